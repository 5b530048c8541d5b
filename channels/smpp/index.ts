import type { ChannelFactory } from '../../src/channel';
import { BindPool } from './bind-pool';
import { PartnerServer } from './partner-server';

/**
 * The SMPP channel: binds to the operators' SMSCs (the outbox's transport, receipts, MO) and, when
 * `smpp.server.port` is set, a listener for partners whose submits go through the same outbox.
 */
export const smppChannel: ChannelFactory = (core) => {
  const pool = new BindPool(core.config.smpp.binds, core);
  core.messaging.attachTransport(pool);
  const server = core.config.smpp.server.port > 0 ? new PartnerServer(core.config.smpp.server, core) : null;
  return {
    name: 'smpp',
    async start() {
      pool.start();
      await server?.start();
    },
    async stop() {
      await server?.stop();
      await pool.stop();
    },
  };
};
