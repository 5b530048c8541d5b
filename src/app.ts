import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import type { Core } from './core';
import type { Channel } from './channel';
import { installErrorHandler } from './api/error-handler';
import { lazyChildLogger } from './lib/lazy-child-logger';
import { bearerAuth } from './api/auth';
import { callbackGuard } from './api/callback-guard';
import { operationsRoutes } from './api/operations';
import { apiRoutes } from './api';
import { openApiOptions } from './api/openapi';
import { ERROR_CODE_KEYWORD } from './api/schemas/common';
import { consoleRoutes } from './console';
import type { ConsoleAccounts } from './console/auth/accounts';

export interface AppOptions {
  core: Core;
  channels: Channel[];
  /** Log each request (off in tests and benchmarks). */
  logRequests?: boolean;
  /** The console's accounts; null when console.enabled is false. */
  consoleAccounts: ConsoleAccounts | null;
}

/** Builds the Fastify app from explicit dependencies. It never listens: src/server.ts does. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { core } = opts;
  const app = Fastify({
    // pino's Logger is Fastify's logger; widen the type so the app is a plain FastifyInstance.
    loggerInstance: core.log.child({ comp: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !opts.logRequests }),
    childLoggerFactory: lazyChildLogger,
    bodyLimit: core.config.server.bodyLimit,
    trustProxy: core.config.server.trustProxy,
    return503OnClosing: true,
    // Route schemas may name the error code a failing field answers with (see error-handler.ts).
    ajv: { customOptions: { keywords: [ERROR_CODE_KEYWORD] } },
  });
  installErrorHandler(app);
  await app.register(formbody);
  // XML (SOAP billing, VoiceXML submits) and CSV (imports) arrive as text for their dialects to parse.
  app.addContentTypeParser(['text/xml', 'application/xml', 'application/soap+xml', 'text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  // A write made while a group commit is open joins it; no answer leaves before that commit. A callback
  // hook, not an async one: most answers find no group open (the route already awaited its own), and
  // then pay no promise or microtask turn. PostgreSQL has no group: a unit has committed when it resolves.
  const commits = core.groupCommit;
  if (commits) {
    app.addHook('onSend', (_req, _reply, _payload, done) => {
      if (!commits.busy) done();
      else commits.idle().then(() => done(), done);
    });
  }

  // Before any route: it collects each route's schema as it is added.
  await app.register(swagger, openApiOptions);
  operationsRoutes(app, core);

  await app.register(
    async (scope) => {
      scope.addHook('onRequest', bearerAuth(core.config.api.token));
      for (const routes of apiRoutes) routes(scope, core);
    },
    { prefix: '/api/v1' },
  );

  await app.register(async (scope) => {
    // No secret and no allow-list: nothing to check, so no hook on every callback.
    const guard = callbackGuard(core.config.callbacks);
    if (guard) scope.addHook('onRequest', guard);
    for (const ch of opts.channels) if (ch.routes) await ch.routes(scope);
  });

  // The web console: its own login (accounts, sessions, CSRF); the bearer token does not open it.
  if (opts.consoleAccounts) await consoleRoutes(app, { core, accounts: opts.consoleAccounts });
  return app;
}
