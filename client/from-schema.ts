/**
 * FromSchema<S, Refs>: the TypeScript type of the values a JSON schema (written `as const`) accepts, so that the
 * client's types are computed from the very schemas the routes validate with (server/schemas.ts, the route
 * files) instead of being written twice. Covers the subset those schemas use: type (one or a list), const, enum,
 * anyOf, properties/required/additionalProperties, items, and `$ref: '<Id>#'` resolved through Refs.
 */

type Primitive<T> = T extends 'string'
  ? string
  : T extends 'integer' | 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'null'
        ? null
        : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type ObjectOf<S, R> = S extends { properties: infer P }
  ? Simplify<
      { -readonly [K in keyof P as K extends RequiredOf<S> ? K : never]: FromSchema<P[K], R> } & {
        -readonly [K in keyof P as K extends RequiredOf<S> ? never : K]?: FromSchema<P[K], R>;
      } & AdditionalOf<S, R>
    >
  : S extends { additionalProperties: infer A }
    ? A extends false
      ? Record<string, never>
      : A extends true
        ? Record<string, unknown>
        : Record<string, FromSchema<A, R>>
    : Record<string, unknown>;

type RequiredOf<S> = S extends { required: readonly (infer K)[] } ? K : never;

/** Extra keys beside the listed properties: none unless additionalProperties is a schema or true. */
type AdditionalOf<S, R> = S extends { additionalProperties: infer A }
  ? A extends false
    ? unknown
    : A extends true
      ? Record<string, unknown>
      : Record<string, FromSchema<A, R>>
  : unknown;

type ByType<T, S, R> = T extends 'object'
  ? ObjectOf<S, R>
  : T extends 'array'
    ? S extends { items: infer I }
      ? FromSchema<I, R>[]
      : unknown[]
    : Primitive<T>;

export type FromSchema<S, R = Record<string, never>> = S extends { $ref: `${infer Id}#` }
  ? Id extends keyof R
    ? FromSchema<R[Id], R>
    : unknown
  : S extends { const: infer C }
    ? C
    : S extends { enum: readonly (infer E)[] }
      ? E
      : S extends { anyOf: readonly (infer A)[] }
        ? A extends unknown
          ? FromSchema<A, R>
          : never
        : S extends { type: readonly (infer T)[] }
          ? T extends unknown
            ? ByType<T, S, R>
            : never
          : S extends { type: infer T }
            ? ByType<T, S, R>
            : unknown;
