import type { FastifyInstance } from 'fastify';
import type { Core } from '../../src/core';
import { AppError } from '../../src/lib/errors';
import type { UssdDialect } from './dialect';

/**
 * The one route wrapper every USSD dialect goes through: content-type check, parse, the session
 * service's hop, render, and per-dialect metrics. Dialects only translate.
 */
export function registerUssdDialect(app: FastifyInstance, core: Core, dialect: UssdDialect): void {
  const hops = core.metrics.histogram('ussd_hop_seconds', 'Time to answer a USSD hop', ['dialect'], [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5]);
  const timer = hops.labels({ dialect: dialect.name });
  const log = core.log.child({ comp: 'ussd', dialect: dialect.name });
  app.post(dialect.path, async (req, reply) => {
    const started = performance.now();
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!dialect.contentTypes.includes(type)) {
      throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', `${dialect.path} takes ${dialect.contentTypes.join(' or ')}, not "${type || 'no content type'}".`);
    }
    const hop = dialect.parse(req, (raw) => core.subscribers.normalize(raw));
    // The hop is one unit of work and resolves once it is durable: an answered hop survives a crash.
    const result = await core.sessions.hop({
      channel: 'ussd',
      externalId: `${dialect.name}:${hop.sessionKey}`,
      msisdn: hop.msisdn,
      operator: core.operators.forNetworkCode(hop.networkCode) ?? null,
      entry: { ussdCode: hop.serviceCode },
      input: hop.input,
      maxChars: core.config.ussd.maxChars,
      startDetail: { dialect: dialect.name, ...(hop.networkCode ? { networkCode: hop.networkCode } : {}) },
    });
    if (result.flowId === null) log.info({ msisdn: hop.msisdn, serviceCode: hop.serviceCode }, 'unknown service code');
    timer.observe((performance.now() - started) / 1000);
    return dialect.render(reply, result);
  });
}
