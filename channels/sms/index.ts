import type { ChannelFactory } from '../../src/channel';
import { africasTalkingDelivery, africasTalkingIncoming } from './africastalking';
import type { SmsDialect } from './dialect';
import { jsonInbound } from './json';
import { AfricasTalkingSms } from './providers/africastalking';
import { registerSmsDialect } from './route';

/** Every aggregator SMS callback; a new aggregator is one file plus one line here. */
const dialects: SmsDialect[] = [africasTalkingIncoming, africasTalkingDelivery, jsonInbound];

/**
 * SMS through HTTP aggregators: the configured `sms.transports` attached to the outbox beside the
 * SMPP binds, and their callbacks (incoming SMS, delivery reports) plus the generic /sms/inbound.
 */
export const smsChannel: ChannelFactory = (core) => {
  for (const t of core.config.sms.transports) core.messaging.attachTransport(new AfricasTalkingSms(t, core.log));
  return {
    name: 'sms',
    routes(app) {
      for (const d of dialects) registerSmsDialect(app, core, d);
    },
  };
};
