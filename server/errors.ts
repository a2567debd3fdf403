import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isZkaiError, type ZkaiErrorCode } from '../common/errors.ts';

/** Every error the API answers with has this shape; `code` is the contract, `message` is for people. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** The one table from error code to HTTP status. Codes not listed are server faults (500). */
const STATUS_BY_CODE: Partial<Record<ZkaiErrorCode, number>> = {
  BAD_INPUT: 400,
  BAD_DATASET: 400,
  BAD_BUNDLE: 400,
  UNSUPPORTED_OP: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  UNKNOWN_RECORD: 404,
  UNKNOWN_DATASET: 404,
  UNKNOWN_JOB: 404,
  UNKNOWN_CIRCUIT: 404,
  UNKNOWN_MODEL: 404,
  JOB_NOT_FINISHED: 409,
  MODEL_NOT_READY: 409,
  JOB_FINISHED: 409,
  SETUP_STALE: 409,
  MODEL_KEYS_CHANGED: 409,
  BATCH_CLAIMS_DISABLED: 409,
  BODY_TOO_LARGE: 413,
  MODEL_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WITNESS_FAILED: 422,
  QUEUE_FULL: 429,
  RATE_LIMITED: 429,
  QUEUE_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
};

/** HTTP status for a zkai error code (500 for anything not known to be the client's fault). */
export function httpStatusFor(code: string): number {
  return STATUS_BY_CODE[code as ZkaiErrorCode] ?? 500;
}

/** JSON schema of ErrorBody, shared by every route's 4xx/5xx responses (and the OpenAPI doc). */
export const errorBodySchema = {
  $id: 'Error',
  type: 'object',
  description: 'Every error: a stable code and a human-readable message.',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', examples: ['BAD_INPUT', 'UNKNOWN_DATASET'] },
        message: { type: 'string' },
      },
    },
  },
} as const;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Per-route override of the code reported for a schema-validation failure (default
     * BAD_INPUT): a body that fails the bundle schema on /v1/verify is a BAD_BUNDLE.
     */
    validationErrorCode?: ZkaiErrorCode;
  }
}

/** Fastify's own errors that are the client's fault, mapped to our codes. */
const FASTIFY_CODES: Record<string, { status: number; code: ZkaiErrorCode; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'BAD_INPUT', message: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'BAD_INPUT', message: 'request body is empty but Content-Type is application/json' },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_INPUT', message: 'the URL is not valid (a bad percent-encoding?)' },
};

/**
 * Turn any thrown value into a status and an ErrorBody. Unexpected errors get a generic message
 * (their text can hold paths or internals); the full error goes to the log instead.
 */
export function errorReply(err: unknown, request: FastifyRequest): { status: number; body: ErrorBody } {
  if (isZkaiError(err)) return { status: httpStatusFor(err.code), body: { error: { code: err.code, message: err.message } } };
  const fe = err as Partial<FastifyError>;
  if (fe.validation) {
    const code = request.routeOptions?.config?.validationErrorCode ?? 'BAD_INPUT';
    return { status: httpStatusFor(code), body: { error: { code, message: fe.message ?? 'invalid request' } } };
  }
  const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) {
    let message = known.message ?? fe.message ?? known.code;
    if (known.code === 'BODY_TOO_LARGE')
      message = `request body is larger than the limit of ${request.routeOptions?.bodyLimit ?? '?'} bytes`;
    if (known.code === 'UNSUPPORTED_MEDIA_TYPE')
      message = `unsupported Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}; send application/json`;
    return { status: known.status, body: { error: { code: known.code, message } } };
  }
  // Other fastify/http errors that carry a 4xx status are still the client's fault (bad URL, bad content length...).
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code: ZkaiErrorCode =
      status === 404 ? 'NOT_FOUND' : status === 413 ? 'BODY_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_INPUT';
    // The status of the code (a 414 for an over-long path parameter becomes a 400 BAD_INPUT): one code, one status.
    return { status: httpStatusFor(code), body: { error: { code, message: fe.message ?? 'bad request' } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: `internal error (request ${request.id}); see the server log` } } };
}

/**
 * For fastify's `frameworkErrors` option: errors raised before routing (a URL that does not decode) skip the
 * error handler, and would otherwise answer fastify's own body instead of ErrorBody.
 */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = errorReply(err, request);
  reply.code(status).type('application/json; charset=utf-8').send(body);
}

/**
 * Install the error and not-found handlers on the root instance so that every route, including
 * unknown ones and failures before a handler runs (body parsing, validation), answers ErrorBody.
 * 5xx are logged with their stack; 4xx at debug level only.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = errorReply(err, request);
    if (status >= 500) request.log.error({ err }, `request failed: ${body.error.code}`);
    else request.log.debug({ code: body.error.code }, body.error.message);
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const body: ErrorBody = { error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } };
    return reply.code(404).send(body);
  });
}
