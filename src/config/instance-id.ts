import { hostname } from 'node:os';
import type { Config } from './schema';

/**
 * The name this gateway process writes into the rows it claims (the outbox's `claimed_by`), so processes
 * sharing one database never mistake each other's claims for their own. `server.instanceId` when set;
 * otherwise host name and port: distinct for two processes on one host (they cannot share a port) and
 * kept across a restart, so a restarted gateway takes its own claims back at once instead of waiting for
 * their lease to run out. On an ephemeral port (0) the process id stands in for the port.
 */
export function instanceIdOf(config: Pick<Config, 'server'>): string {
  if (config.server.instanceId) return config.server.instanceId;
  return `${hostname()}:${config.server.port === 0 ? `pid${process.pid}` : config.server.port}`;
}
