import type { FastifyReply, FastifyRequest } from 'fastify';

// The console's cookies: the session (HttpOnly, SameSite=Strict, Secure when the request came over TLS,
// which trustProxy lets a reverse proxy vouch for) and the login form's double-submit token.

export const SESSION_COOKIE = 'vasgw_console';
export const LOGIN_COOKIE = 'vasgw_login';

const base = (req: FastifyRequest, path: string) => ({ path, httpOnly: true, sameSite: 'strict' as const, secure: req.protocol === 'https' });

/** Sets the session cookie for the session's life (Max-Age, so a browser whose clock differs from ours still keeps it). */
export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string, lifeSeconds: number): void {
  void reply.setCookie(SESSION_COOKIE, token, { ...base(req, '/console'), maxAge: Math.max(1, Math.floor(lifeSeconds)) });
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, base(req, '/console'));
}

/** The login form's token: set on the form's GET, compared on its POST (there is no session yet). */
export function setLoginCookie(req: FastifyRequest, reply: FastifyReply, token: string): void {
  void reply.setCookie(LOGIN_COOKIE, token, base(req, '/console/login'));
}
