import type { ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  DomainError,
  type ErrorCode,
  RateLimitedError,
  statusOf,
  TooManyAttemptsError,
} from '../errors.ts';
import type { AppContext, AppEnv } from './app-env.ts';
import type { ErrorBodyShape } from './error-body.ts';
import { recordRefusal } from './record-refusal.ts';

export function errorResponse(
  c: AppContext,
  code: ErrorCode,
  message: string,
  details?: unknown,
): Response {
  const body: ErrorBodyShape = {
    error: { code, message, requestId: c.get('requestId') ?? 'unknown' },
  };
  if (details !== undefined) body.error.details = details;
  return c.json(body, statusOf(code) as ContentfulStatusCode);
}

/** Framework errors (bad JSON, oversized bodies) as our error codes. */
function fromHttpException(e: HTTPException): { code: ErrorCode; message: string } {
  switch (e.status) {
    case 400:
      return {
        code: 'VALIDATION',
        message: /json/i.test(e.message)
          ? 'The request body is not valid JSON.'
          : `The request is not valid: ${e.message}`,
      };
    case 401:
      return { code: 'UNAUTHENTICATED', message: 'Sign in first.' };
    case 403:
      return { code: 'FORBIDDEN', message: 'This request is not allowed.' };
    case 404:
      return { code: 'NOT_FOUND', message: 'Not found.' };
    case 413:
      return { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.' };
    case 415:
      return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the request body as JSON.' };
    default:
      return { code: 'INTERNAL', message: 'The server could not handle this request.' };
  }
}

/** The SQLSTATE of a database error, wrapped by drizzle or not, from either driver. */
function databaseErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** The names of the fields a validation error blames, for the log (never their values). */
function fieldsOf(details: unknown): string[] | undefined {
  if (!Array.isArray(details)) return undefined;
  return details
    .map((d) => (d && typeof d === 'object' ? (d as { field?: unknown }).field : undefined))
    .filter((f): f is string => typeof f === 'string')
    .map((f) => f.slice(0, 100));
}

/** The single place an error becomes a response; nothing else builds error bodies. */
export const onError: ErrorHandler<AppEnv> = async (err, c) => {
  const log = c.get('deps').logger;
  const requestId = c.get('requestId');
  if (err instanceof DomainError) {
    if (err instanceof TooManyAttemptsError || err instanceof RateLimitedError) {
      c.header('Retry-After', String(err.retryAfterSeconds));
    }
    // The message is for the caller and may name people ("already holds", "may already be
    // registered: …"): the log gets the code and which fields were wrong, never the words.
    log.info(
      { requestId, code: err.code, path: c.req.path, fields: fieldsOf(err.details) },
      'request refused',
    );
    await recordRefusal(c, err.code);
    return errorResponse(c, err.code, err.message, err.details);
  }
  if (err instanceof HTTPException) {
    const { code, message } = fromHttpException(err);
    // Not the framework's own message: a JSON parser quotes the body it could not read.
    log.info({ requestId, code, path: c.req.path, status: err.status }, message);
    return errorResponse(c, code, message);
  }
  if (databaseErrorCode(err) === '23505') {
    // A unique constraint caught a race that the service's own checks could not see.
    log.info({ requestId, path: c.req.path }, 'unique constraint conflict');
    return errorResponse(
      c,
      'CONFLICT',
      'Someone else made the same change at the same moment. Reload and check before trying again.',
    );
  }
  log.error({ requestId, err, path: c.req.path }, 'unhandled error');
  return errorResponse(
    c,
    'INTERNAL',
    `Something went wrong on the server. If it happens again, quote request ${requestId} to the RA team.`,
  );
};

export const notFoundApi: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(c, 'NOT_FOUND', `There is no API route ${c.req.method} ${c.req.path}.`);
