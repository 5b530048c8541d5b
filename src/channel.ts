import type { FastifyInstance } from 'fastify';
import type { Core } from './core';

/**
 * The port every channel plugs into (channels/index.ts lists them). A channel parses its dialects into
 * calls on the core and renders the replies; it may also hold connections (SMPP binds) and register
 * itself as a transport of the core (an SMS sender, a voice provider).
 */
export interface Channel {
  name: string;
  /** HTTP callbacks; registered under the callback guard (shared secret, IP allow-list). */
  routes?(app: FastifyInstance): void | Promise<void>;
  /** Opens connections and attaches transports to the core. */
  start?(): void | Promise<void>;
  /** Closes connections; must be safe to call twice. */
  stop?(): void | Promise<void>;
}

/** Builds a channel from the core; the composition root (src/server.ts) calls each factory. */
export type ChannelFactory = (core: Core) => Channel;
