import type { FastifyInstance } from 'fastify';
import { buildApp } from './app';
import { ConsoleAccounts } from './console/auth/accounts';
import type { Channel } from './channel';
import { loadConfig, type Config } from './config';
import { instanceIdOf } from './config/instance-id';
import { defaultPublicBaseUrl } from './config/ivr';
import { buildCore, type Core } from './core';
import type { Db } from './db/client';
import { maskDatabaseUrl } from './db/postgres/url';
import { openStorage } from './db/storage';
import { FlowRegistry } from './engine/flow-registry';
import { loadFlowsOrThrow } from './engine/flow-loader';
import type { ValidateOptions } from './engine/flow-validator';
import { systemClock, type Clock } from './lib/clock';
import { ConfigError } from './lib/errors';
import { createLogger, type Logger } from './lib/logger';
import { channelFactories } from '../channels';

export interface GatewayOptions {
  config: Config;
  clock?: Clock;
  log?: Logger;
  /** An already open SQLite database (tests pass ':memory:'); otherwise the configured database is opened (src/db/storage.ts). */
  db?: Db;
  logRequests?: boolean;
}

export interface Gateway {
  config: Config;
  core: Core;
  app: FastifyInstance;
  channels: Channel[];
  /** The web console's accounts (null when console.enabled is false). */
  console: ConsoleAccounts | null;
  /** Starts channels (binds) and background work; does not listen. Safe to call twice. */
  start(): Promise<void>;
  /** Stops background work and channels, closes the app and the database. Safe to call twice. */
  stop(): Promise<void>;
}

/** What flows are validated against: the screen size and the configured services. */
export function flowValidation(config: Config): ValidateOptions {
  // Advice context names regions and crops; the profile schema's lists of them, when it has lists, catch typos.
  const fields = config.profile.fields;
  const knownContext = { ...(fields.region?.values ? { regions: fields.region.values } : {}), ...(fields.crops?.values ? { crops: fields.crops.values } : {}) };
  return { maxChars: config.ussd.maxChars, ...(config.services.length ? { services: config.services.map((s) => s.id) } : {}), knownContext };
}

/** Loads and validates the flows; an invalid flow stops start-up with every problem listed. */
export function loadFlowRegistry(config: Config, log?: Logger): FlowRegistry {
  const flows = loadFlowsOrThrow(config.flows.dir, flowValidation(config), log ? (line) => log.warn({ comp: 'flows' }, line) : undefined);
  if (flows.length === 0) throw new ConfigError(`no flows found in ${config.flows.dir}`);
  return new FlowRegistry(flows);
}

/** The composition root: config -> database -> core -> channels -> app. */
export async function buildGateway(opts: GatewayOptions): Promise<Gateway> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(config.logLevel);
  // Flows first: an invalid flow stops start-up before any connection is opened.
  const flows = loadFlowRegistry(config, log);
  const storage = await openStorage(config, opts.db ? { db: opts.db } : {});
  const core = buildCore({ config, storage, clock, log, flows });
  await core.flowTexts.loaded;
  const channels = channelFactories.map((make) => make(core));
  const consoleAccounts = config.console.enabled ? new ConsoleAccounts({ database: core.database, units: core.commits }, clock, config.console) : null;
  const app = await buildApp({ core, channels, logRequests: opts.logRequests ?? false, consoleAccounts });
  let started = false;
  let stopped = false;
  return {
    config,
    core,
    app,
    channels,
    console: consoleAccounts,
    async start() {
      // Once: most lifecycles start an interval timer, and a second start would leave the first one
      // ticking after stop(), against a closed database.
      if (started) return;
      started = true;
      for (const ch of channels) await ch.start?.();
      for (const l of core.lifecycles) await l.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const l of [...core.lifecycles].reverse()) await l.stop();
      for (const ch of [...channels].reverse()) await ch.stop?.();
      await app.close();
      await storage.close();
    },
  };
}

/** `vasgw serve`: start everything, listen, and shut down gracefully on SIGTERM/SIGINT. */
export async function serve(opts: { configFile?: string | undefined }): Promise<void> {
  const config = loadConfig({ file: opts.configFile });
  const log = createLogger(config.logLevel);
  const gw = await buildGateway({ config, log, logRequests: true });
  await gw.start();
  await gw.app.listen({ host: config.server.host, port: config.server.port });
  // PORT=0 picks a port at listen: callback URLs derived from the address must carry the real one.
  const bound = gw.app.server.address();
  if (config.ivr.publicBaseUrl.trim() === '' && config.server.port === 0 && bound && typeof bound === 'object') {
    config.ivr.publicBaseUrl = defaultPublicBaseUrl({ host: config.server.host, port: bound.port });
  }
  log.info({ host: config.server.host, port: config.server.port, instance: instanceIdOf(config), db: gw.core.storage.dialect === 'sqlite' ? config.database.path : maskDatabaseUrl(config.database.url ?? ''), flows: gw.core.flows.all().map((f) => f.id) }, 'gateway listening');
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down: draining requests, closing binds, flushing the database');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 15 s; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    try {
      await gw.stop();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  // shutdown() catches its own failures and exits the process; nothing is left to wait for.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
