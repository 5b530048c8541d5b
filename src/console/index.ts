import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { assetRoutes } from './assets';
import { contextFor, type ConsoleDeps } from './context';
import { assertCsrf, tokenOf } from './csrf';
import { consoleErrorHandler, consoleNotFound } from './errors';
import { loginPages } from './pages/login';
import { CONSOLE_PAGES } from './pages';
import { SESSION_COOKIE } from './session-cookie';
import { AppError } from '../lib/errors';

// Pages are HTML from the server; scripts only enhance. Nothing loads from another origin.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A multipart form: its handler checks the CSRF field itself (the body is a stream until then). */
    csrfInHandler?: boolean;
  }
}

const isPublic = (path: string) => path === '/console/login' || path.startsWith('/console/assets/');
const pathOf = (url: string) => url.split('?')[0] as string;

/** The web console at /console (and GET / leads there). */
export async function consoleRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const { core, accounts } = deps;
  app.get('/', async (_req, reply) => reply.redirect('/console', 302));

  await app.register(
    async (scope) => {
      await scope.register(cookie);
      await scope.register(rateLimit, { global: false });
      scope.decorateRequest('consoleContext', null);
      scope.setErrorHandler(consoleErrorHandler);
      scope.setNotFoundHandler(consoleNotFound);

      scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        const path = pathOf(req.url);
        if (isPublic(path)) return;
        const token = req.cookies[SESSION_COOKIE];
        const session = token ? await accounts.session(token) : undefined;
        if (!session) {
          if (req.method === 'GET' || req.method === 'HEAD') return reply.redirect(`/console/login?next=${encodeURIComponent(req.url)}`, 303);
          throw new AppError(401, 'LOGIN_REQUIRED', 'Your login has ended. Log in again, then repeat what you were doing.');
        }
        req.consoleContext = contextFor(session.account, session.csrf, path, core.config.defaults.timezone);
      });
      scope.addHook('preHandler', async (req: FastifyRequest) => {
        if (req.method === 'GET' || req.method === 'HEAD' || req.routeOptions.config.csrfInHandler) return;
        const c = req.consoleContext;
        if (c) assertCsrf(tokenOf(req), c.csrf);
      });
      scope.addHook('onSend', async (req, reply) => {
        void reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin').header('x-frame-options', 'DENY');
        if (!pathOf(req.url).startsWith('/console/assets/')) void reply.header('cache-control', 'no-store');
      });

      assetRoutes(scope);
      loginPages(scope, deps);
      for (const pages of CONSOLE_PAGES) pages(scope, deps);
    },
    { prefix: '/console' },
  );
}
