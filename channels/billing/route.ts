import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../src/core';
import { callerError, errorBody, internalError } from '../../src/api/error-handler';
import { AppError } from '../../src/lib/errors';
import type { BillingDialect } from './dialect';

/**
 * The one route wrapper every billing dialect goes through: content-type check, parse, the
 * subscriptions domain's idempotent ingest, render, and per-dialect metrics. Dialects only translate.
 */
export function registerBillingDialect(app: FastifyInstance, core: Core, dialect: BillingDialect): void {
  const seconds = core.metrics.histogram('billing_notification_seconds', 'Time to ingest a billing notification', ['dialect'], [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.1]);
  const outcomes = core.metrics.counter('billing_notifications_total', 'Billing notifications by outcome', ['dialect', 'outcome']);
  const log = core.log.child({ comp: 'billing', dialect: dialect.name });
  // Label sets bound once: prom-client hashes a label object on every call, a visible cost per notification.
  const timer = seconds.labels({ dialect: dialect.name });
  const outcome = {
    accepted: outcomes.labels({ dialect: dialect.name, outcome: 'accepted' }),
    duplicate: outcomes.labels({ dialect: dialect.name, outcome: 'duplicate' }),
    flagged: outcomes.labels({ dialect: dialect.name, outcome: 'flagged' }),
    rejected: outcomes.labels({ dialect: dialect.name, outcome: 'rejected' }),
  };
  // Every caller mistake on this route, including those Fastify finds before the handler (media type,
  // body size, body parsing, the callback guard), answers in the dialect's own shape: an SDP reads only
  // SOAP and retries anything else.
  // Sends before it returns: Fastify types a route errorHandler as returning nothing, so no reply is handed back.
  const errorHandler = (err: Error, req: FastifyRequest, reply: FastifyReply): void => {
    const caller = callerError(err);
    if (!caller) return void internalError(err, req, reply);
    outcome.rejected.inc();
    log.info({ code: caller.code, status: caller.status }, 'billing notification rejected');
    if (dialect.renderError) return void dialect.renderError(reply, caller);
    reply.status(caller.status).send(errorBody(caller.code, caller.message, caller.details));
  };
  app.post(dialect.path, { errorHandler }, async (req, reply) => {
    const started = performance.now();
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!dialect.contentTypes.includes(type)) {
      throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', `${dialect.path} takes ${dialect.contentTypes.join(' or ')}, not "${type || 'no content type'}".`);
    }
    const n = dialect.parse(req, {
      normalize: (raw) => core.subscribers.normalize(raw),
      catalog: core.subscriptions.catalog,
      now: core.clock.now(),
      feeDivisor: core.config.billing.sdp.feeDivisor,
    });
    // Acknowledged only once its unit of work is durable: a retry-safe, crash-safe answer.
    const result = await core.subscriptions.ingest(n);
    (result.duplicate ? outcome.duplicate : result.flag ? outcome.flagged : outcome.accepted).inc();
    timer.observe((performance.now() - started) / 1000);
    return dialect.render(reply, result);
  });
}
