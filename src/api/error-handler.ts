import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors';
import { ERROR_CODE_KEYWORD } from './schemas/common';

/** The contract's error body. */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details !== undefined ? { details } : {}) } };
}

// Fastify's own 4xx errors, renamed to stable codes with plain sentences.
const FASTIFY_CODES: Record<string, { code: string; message?: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than the gateway accepts.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'INVALID_BODY', message: 'The JSON body is empty.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'INVALID_BODY', message: 'Content-Length does not match the body.' },
};

/**
 * The caller's mistake inside any error, as an AppError: our own, a schema validation failure, or one of
 * Fastify's 4xx (body parsing, media type, size). Null when the error is a bug. Dialects that answer in
 * their own shape (a SOAP fault) use this too, so every parse failure maps the same way.
 */
export function callerError(err: FastifyError | AppError | Error, routeSchema?: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError;
  if (fe.validation) {
    const where = fe.validationContext ?? 'body';
    const first = fe.validation[0];
    const path = first?.instancePath ? first.instancePath.replace(/^\//, '').split('/') : [];
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    const field = path.length > 0 ? path.join('.') : (missing ?? '');
    const allowed = (first?.params as { allowedValues?: unknown[] } | undefined)?.allowedValues;
    const detail = first?.message ?? 'is invalid';
    const message = `${where}${field ? `.${field}` : ''} ${detail}${allowed ? ` (${allowed.join(', ')})` : ''}`.trim();
    const code = fieldErrorCode((routeSchema as Record<string, unknown> | undefined)?.[where], path.length > 0 ? path : missing ? [missing] : []);
    return new AppError(400, code ?? 'VALIDATION_ERROR', message);
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
    const code = mapped?.code ?? (err instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'INVALID_JSON' : 'BAD_REQUEST');
    const message = mapped?.message ?? (code === 'INVALID_JSON' ? `The body is not valid JSON: ${fe.message}` : fe.message);
    return new AppError(fe.statusCode, code, message);
  }
  return null;
}

// The error code a route schema gives the failing field (ERROR_CODE_KEYWORD), found by walking its path.
function fieldErrorCode(schema: unknown, path: string[]): string | undefined {
  let node = schema as Record<string, unknown> | undefined;
  for (const key of path) {
    const props = node?.properties as Record<string, Record<string, unknown>> | undefined;
    node = props?.[key] ?? (/^\d+$/.test(key) ? (node?.items as Record<string, unknown> | undefined) : undefined);
    if (!node) return undefined;
  }
  const code = node?.[ERROR_CODE_KEYWORD];
  return typeof code === 'string' ? code : undefined;
}

/** A bug: logged in full, answered 500 with nothing internal in it. */
export function internalError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  req.log.error({ err }, 'unhandled error');
  return reply.status(500).send(errorBody('INTERNAL', 'Something went wrong on our side; it has been logged.'));
}

/**
 * One error handler for the whole app: caller mistakes become 4xx with the contract's shape and a
 * sentence; anything else is a bug, logged in full and answered 500 with nothing internal in it.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const caller = callerError(err, req.routeOptions.schema);
    if (caller) return reply.status(caller.status).send(errorBody(caller.code, caller.message, caller.details));
    return internalError(err, req, reply);
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(errorBody('NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}.`));
  });
}
