import type { FastifyInstance } from 'fastify';
import type { Core } from '../../src/core';
import { AppError } from '../../src/lib/errors';
import type { SmsCallbackResult, SmsDialect } from './dialect';
import { receiptSmsc } from './send-error';

/**
 * The one route wrapper every SMS aggregator callback goes through: content-type check, parse, then
 * an incoming SMS to the messaging service's intake (duplicate ids ignored) or a delivery report to
 * the same receipt handling as SMPP; answered only once durable. Dialects only translate.
 */
export function registerSmsDialect(app: FastifyInstance, core: Core, dialect: SmsDialect): void {
  const outcomes = core.metrics.counter('sms_callbacks_total', 'Aggregator SMS callbacks by dialect and outcome', ['dialect', 'outcome']);
  const log = core.log.child({ comp: 'sms', dialect: dialect.name });
  app.post(dialect.path, async (req, reply) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!dialect.contentTypes.includes(type)) {
      throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', `${dialect.path} takes ${dialect.contentTypes.join(' or ')}, not "${type || 'no content type'}".`);
    }
    const cb = dialect.parse(req, core.clock.now());
    let result: SmsCallbackResult;
    if (cb.kind === 'mo') {
      const r = await core.messaging.receiveSms({ source: dialect.source, externalId: cb.externalId, from: cb.from, to: cb.to, text: cb.text, receivedAt: cb.receivedAt });
      result = { kind: 'mo', ...r };
      outcomes.inc({ dialect: dialect.name, outcome: r.duplicate ? 'duplicate' : 'mo' });
      if (r.duplicate) log.info({ id: cb.externalId }, 'incoming SMS already received; ignored');
    } else {
      // A report whose id matches nothing yet is kept (pending receipts) and acknowledged: the
      // aggregator must not retry it forever; it settles its message if the send answer is recorded later.
      const ok = await new Promise<boolean>((resolve) =>
        core.messaging.handleReceipt({ smsc: receiptSmsc(dialect.source), smscId: cb.messageId, stat: cb.stat, err: cb.err, bindId: dialect.source }, resolve),
      );
      if (!ok) throw new Error('delivery report could not be stored');
      result = { kind: 'receipt' };
      outcomes.inc({ dialect: dialect.name, outcome: 'receipt' });
    }
    return dialect.render(reply, result);
  });
}
