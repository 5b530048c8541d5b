import type { FastifyReply, FastifyRequest } from 'fastify';
import { maskMsisdn } from '../lib/msisdn';
import { AppError } from '../lib/errors';
import type { Core } from '../core';
import type { AccountRow, Role } from './auth/account-repo';
import { roleAllows, type ConsoleAccounts } from './auth/accounts';
import type { Html } from './html';
import type { Lang } from './i18n';

/** What every console page knows about the request: who, in which language, the form token. */
export interface ConsoleContext {
  account: AccountRow;
  lang: Lang;
  /** The session's CSRF token; every form carries it (`csrfField`). */
  csrf: string;
  /** The request's path without the query, for the navigation's current page. */
  path: string;
  /** The service's time zone, in which the console shows times. */
  timeZone: string;
  /** Whether the account's role allows what `role` may do. */
  can(role: Role): boolean;
  /** A subscriber's number as this account may see it: masked for viewers. */
  msisdn(msisdn: string | null | undefined): string;
}

/** What the console's pages are built from: the gateway's core (the same services the API uses) and the accounts. */
export interface ConsoleDeps {
  core: Core;
  accounts: ConsoleAccounts;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the console's login check on every page but the login page and the assets. */
    consoleContext: ConsoleContext | null;
  }
}

/** Builds the context for a logged-in account. */
export function contextFor(account: AccountRow, csrf: string, path: string, timeZone: string): ConsoleContext {
  const lang: Lang = account.language === 'sw' ? 'sw' : 'en';
  return {
    account,
    lang,
    csrf,
    path,
    timeZone,
    can: (role) => roleAllows(account.role, role),
    msisdn: (m) => (m ? (roleAllows(account.role, 'editor') ? m : maskMsisdn(m)) : '–'),
  };
}

/** The console context of a request that passed the login check. */
export function ctx(req: FastifyRequest): ConsoleContext {
  if (!req.consoleContext) throw new AppError(401, 'LOGIN_REQUIRED', 'Log in to use the console.');
  return req.consoleContext;
}

/** Refuses the request (403) unless the account's role allows what `role` may do. */
export function requireRole(req: FastifyRequest, role: Role): ConsoleContext {
  const c = ctx(req);
  if (!c.can(role)) throw new AppError(403, 'ROLE_TOO_LOW', `This needs the ${role} role; your account is a ${c.account.role}.`);
  return c;
}

/** Sends a whole page (or an htmx fragment). */
export function sendHtml(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').send(body.value);
}

/** Redirects after a form was handled (POST, then GET), optionally with a notice key the page shows. */
export function seeOther(reply: FastifyReply, path: string, notice?: string): FastifyReply {
  const url = notice ? `${path}${path.includes('?') ? '&' : '?'}notice=${encodeURIComponent(notice)}` : path;
  return reply.redirect(url, 303);
}
