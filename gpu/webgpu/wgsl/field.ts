/**
 * WGSL source for Montgomery arithmetic over a ~254-bit prime field, generated from the modulus so no
 * constant is typed by hand. Limb layout and the carry-safety argument: see ../limbs.ts.
 *
 * Every function is fully unrolled at generation time: the limb indices become literals, so the
 * shader compiler keeps the 20 limbs in registers instead of a dynamically indexed array.
 */
import { type FieldConstants, LIMB_BITS, LIMB_MASK, LIMBS, toLimbs, WORDS } from '../limbs.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const u = (n: number) => `${n}u`;
const bigLiteral = (v: bigint) => `Big(${toLimbs(v).map(u).join(', ')})`;

/** Field-independent helpers: the Big type, packing to/from 8 storage words, zero tests. */
export function bigIntWgsl(): string {
  const unpack = range(LIMBS).map((k) => {
    const bit = k * LIMB_BITS;
    const word = bit >> 5;
    const shift = bit & 31;
    let expr = shift === 0 ? `w[${word}]` : `(w[${word}] >> ${u(shift)})`;
    if (shift + LIMB_BITS > 32 && word + 1 < WORDS) expr = `(${expr} | (w[${word + 1}] << ${u(32 - shift)}))`;
    return `  r[${k}] = ${expr} & ${u(LIMB_MASK)};`;
  });
  const pack = range(WORDS).map((j) => {
    const parts: string[] = [];
    for (let k = 0; k < LIMBS; k++) {
      const lo = k * LIMB_BITS;
      const hi = lo + LIMB_BITS;
      if (hi <= j * 32 || lo >= (j + 1) * 32) continue;
      const shift = lo - j * 32;
      parts.push(shift >= 0 ? `(a[${k}] << ${u(shift)})` : `(a[${k}] >> ${u(-shift)})`);
    }
    return `  w[${j}] = ${parts.join(' | ')};`;
  });
  return `
alias Big = array<u32, ${LIMBS}>;
alias Packed = array<u32, ${WORDS}>;

fn big_unpack(w: Packed) -> Big {
  var r: Big;
${unpack.join('\n')}
  return r;
}

fn big_pack(a: Big) -> Packed {
  var w: Packed;
${pack.join('\n')}
  return w;
}

fn big_is_zero(a: Big) -> bool {
  return (${range(LIMBS)
    .map((k) => `a[${k}]`)
    .join(' | ')}) == 0u;
}

fn big_eq(a: Big, b: Big) -> bool {
  return (${range(LIMBS)
    .map((k) => `(a[${k}] ^ b[${k}])`)
    .join(' | ')}) == 0u;
}

fn packed_is_zero(w: Packed) -> bool {
  return (${range(WORDS)
    .map((k) => `w[${k}]`)
    .join(' | ')}) == 0u;
}
`;
}

/**
 * Field arithmetic named `<prefix>_add/_sub/_mul/_sqr/_double` plus constants `<PREFIX>_P`, `<PREFIX>_ONE`,
 * `<PREFIX>_R2`, `<PREFIX>_FROM_SNARKJS`, `<PREFIX>_TO_SNARKJS`. Inputs and outputs are canonical (< p).
 */
export function fieldWgsl(prefix: string, c: FieldConstants): string {
  const P = prefix.toUpperCase();
  const M = u(LIMB_MASK);

  // r := r − p when r ≥ p (r < 2p on entry). Loops rather than unrolled code: see the note at _mul.
  const reduceOnce = (v: string) => `
  {
    var d: Big;
    var borrow = 0u;
    for (var k = 0u; k < ${u(LIMBS)}; k++) {
      let x = ${v}[k] + ${u(1 << LIMB_BITS)} - ${P}_P[k] - borrow;
      d[k] = x & ${M};
      borrow = 1u - (x >> ${u(LIMB_BITS)});
    }
    if (borrow == 0u) { ${v} = d; }
  }`;

  const p = toLimbs(c.modulus);
  const tVars = range(LIMBS - 1)
    .map((k) => `  var t${k} = 0u;`)
    .join('\n');
  const inner = range(LIMBS - 1)
    .map((k) => {
      const j = k + 1;
      const prev = j === LIMBS - 1 ? '' : `t${j} + `;
      return `    t${k} = ${prev}ai * b[${j}] + m * ${u(p[j])}${j === 1 ? ' + carry' : ''};`;
    })
    .join('\n');
  const normalize = range(LIMBS - 1)
    .map((k) => `  { let y = t${k} + carry; r[${k}] = y & ${M}; carry = y >> ${u(LIMB_BITS)}; }`)
    .join('\n');
  return `
const ${P}_P = ${bigLiteral(c.modulus)};
const ${P}_ONE = ${bigLiteral(c.one)};
const ${P}_R2 = ${bigLiteral(c.r2)};
const ${P}_FROM_SNARKJS = ${bigLiteral(c.fromSnarkjs)};
const ${P}_TO_SNARKJS = ${bigLiteral(c.toSnarkjs)};

fn ${prefix}_add(a: Big, b: Big) -> Big {
  var r: Big;
  var carry = 0u;
  for (var k = 0u; k < ${u(LIMBS)}; k++) {
    let x = a[k] + b[k] + carry;
    r[k] = x & ${M};
    carry = x >> ${u(LIMB_BITS)};
  }
${reduceOnce('r')}
  return r;
}

fn ${prefix}_double(a: Big) -> Big {
  return ${prefix}_add(a, a);
}

fn ${prefix}_sub(a: Big, b: Big) -> Big {
  var r: Big;
  var borrow = 0u;
  for (var k = 0u; k < ${u(LIMBS)}; k++) {
    let x = a[k] + ${u(1 << LIMB_BITS)} - b[k] - borrow;
    r[k] = x & ${M};
    borrow = 1u - (x >> ${u(LIMB_BITS)});
  }
  if (borrow != 0u) {
    var carry = 0u;
    for (var k = 0u; k < ${u(LIMBS)}; k++) {
      let x = r[k] + ${P}_P[k] + carry;
      r[k] = x & ${M};
      carry = x >> ${u(LIMB_BITS)};
    }
  }
  return r;
}

fn ${prefix}_neg(a: Big) -> Big {
  if (big_is_zero(a)) { return a; }
  return ${prefix}_sub(${P}_P, a);
}

// Montgomery product a·b·2^-260 (CIOS with lazy carries: every t_k stays < 2^32, see limbs.ts).
// The outer loop stays a loop and the inner one is unrolled: limbs of the accumulator live in scalar
// registers and the modulus limbs are literals, while the body stays small. Fully unrolled, the point
// formulas (~12 multiplications each, every call inlined by the driver) took minutes to compile on lavapipe.
fn ${prefix}_mul(a: Big, b: Big) -> Big {
${tVars}
  for (var i = 0u; i < ${u(LIMBS)}; i++) {
    let ai = a[i];
    var x = t0 + ai * b[0];
    let m = (x * ${u(c.nPrime)}) & ${M};
    x = x + m * ${u(p[0])};
    let carry = x >> ${u(LIMB_BITS)};
${inner}
  }
  var r: Big;
  var carry = 0u;
${normalize}
  r[${LIMBS - 1}] = carry;
${reduceOnce('r')}
  return r;
}

fn ${prefix}_sqr(a: Big) -> Big {
  return ${prefix}_mul(a, a);
}
`;
}
