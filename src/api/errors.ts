/**
 * Errors at the API edge: every failure leaves as `{ error: { code, message, details? } }` with an HTTP status derived
 * from its stable code. The mapping lives here and only here (routes throw {@link XsiteError}s, or let the
 * Directory's errors through).
 *
 * | code                                                        | status |
 * |-------------------------------------------------------------|--------|
 * | `BAD_REQUEST` (schema validation, malformed JSON, bad value) | 400    |
 * | `UNAUTHORIZED` (missing or unknown bearer token)            | 401    |
 * | `FORBIDDEN` (the token's role may not do this)              | 403    |
 * | `NOT_FOUND` (no such route), `*_NOT_FOUND`                  | 404    |
 * | `DUPLICATE_*`, `*_CONFLICT`, `NAT_POOL_EXHAUSTED`, `VM_BAD_REFERENCE`, `NO_GATEWAY`, `STORE_CONSTRAINT`, `JOB_BAD_TRANSITION` | 409 |
 * | `MIGRATION_SAME_HOST`, `MIGRATION_IN_PROGRESS`, `MIGRATION_NO_CAPACITY`, `MIGRATION_NO_PORT`, `MIGRATION_ENDPOINT` | 409 |
 * | `DIRECTORY_READ_ONLY` (`xsite serve`: the data plane's VMs are the topology's)          | 409 |
 * | `UNSUPPORTED_MEDIA_TYPE`                                    | 415    |
 * | `PAYLOAD_TOO_LARGE`                                         | 413    |
 * | `UNAVAILABLE` (`STORE_BUSY`, `STORE_CLOSED`)                | 503    |
 * | anything else                                               | 500 `INTERNAL`, generic message, no details |
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { XsiteError, isXsiteError } from '../core/errors';

/** The body of every error response. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** Codes mapped to a status by name (the rest by suffix/prefix, see {@link httpStatusFor}). */
const EXACT: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  NAT_BAD_PROTOCOL: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NAT_POOL_EXHAUSTED: 409,
  NAT_SAME_GATEWAY: 409,
  VM_BAD_REFERENCE: 409,
  NO_GATEWAY: 409,
  STORE_CONSTRAINT: 409,
  JOB_BAD_TRANSITION: 409,
  MIGRATION_SAME_HOST: 409,
  MIGRATION_IN_PROGRESS: 409,
  MIGRATION_NO_CAPACITY: 409,
  MIGRATION_NO_PORT: 409,
  MIGRATION_ENDPOINT: 409,
  DIRECTORY_READ_ONLY: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAVAILABLE: 503,
  STORE_BUSY: 503,
  STORE_CLOSED: 503,
};

/** The HTTP status for an error code; 500 for codes the API does not know. */
export function httpStatusFor(code: string): number {
  const exact = EXACT[code];
  if (exact !== undefined) return exact;
  if (code.endsWith('_NOT_FOUND')) return 404;
  if (code.startsWith('DUPLICATE_') || code.endsWith('_CONFLICT')) return 409;
  return 500;
}

/** Shorthands for errors the API raises itself. */
export const apiError = {
  badRequest: (message: string, details?: Record<string, unknown>) => new XsiteError('BAD_REQUEST', message, details),
  unauthorized: (message: string) => new XsiteError('UNAUTHORIZED', message),
  forbidden: (message: string) => new XsiteError('FORBIDDEN', message),
  notFound: (code: string, message: string, details?: Record<string, unknown>) => new XsiteError(code, message, details),
};

/** Converts any thrown value into a status and body; internal failures are reduced to a generic 500. */
export function toErrorResponse(err: unknown): { status: number; body: ApiErrorBody; internal: boolean } {
  if (isXsiteError(err)) {
    const status = httpStatusFor(err.code);
    if (status === 500) return internal();
    // STORE_BUSY and STORE_CLOSED leave as UNAVAILABLE: clients retry on the code, not on the store's name.
    const code = status === 503 ? 'UNAVAILABLE' : err.code;
    const message = status === 503 ? 'the store is unavailable, retry later' : err.message;
    const body: ApiErrorBody = { error: { code, message } };
    if (status !== 503 && err.details !== undefined) body.error.details = { ...err.details };
    return { status, body, internal: false };
  }
  const fe = err as Partial<FastifyError> | null;
  if (fe && typeof fe === 'object' && Array.isArray(fe.validation)) {
    return {
      status: 400,
      body: {
        error: {
          code: 'BAD_REQUEST',
          message: fe.message ?? 'invalid request',
          details: {
            in: fe.validationContext ?? 'request',
            issues: fe.validation.map((v) => ({ path: v.instancePath, message: v.message ?? 'invalid', keyword: v.keyword })),
          },
        },
      },
      internal: false,
    };
  }
  // Fastify's own client errors (malformed JSON, wrong content type, body too large, ...).
  const sc = fe && typeof fe === 'object' ? fe.statusCode : undefined;
  if (typeof sc === 'number' && sc >= 400 && sc < 500) {
    const status = sc === 413 || sc === 415 ? sc : 400;
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST';
    return { status, body: { error: { code, message: fe?.message ?? 'bad request' } }, internal: false };
  }
  return internal();
}

function internal(): { status: number; body: ApiErrorBody; internal: boolean } {
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } }, internal: true };
}

/** Installs the one error handler and the not-found handler on the root instance (children inherit them). */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, internal: isInternal } = toErrorResponse(err);
    if (isInternal) request.log.error({ err }, 'internal error');
    if (status === 401) reply.header('www-authenticate', 'Bearer realm="xsite"');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const body: ApiErrorBody = { error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } };
    return reply.code(404).send(body);
  });
}
