import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { when } from '../format';
import { html } from '../html';
import { asLang, texts, type Lang } from '../i18n';
import { barePage } from '../layout';
import { ctx, sendHtml, type ConsoleDeps } from '../context';
import { assertCsrf, tokensMatch, csrfRefused } from '../csrf';
import { clearSessionCookie, LOGIN_COOKIE, SESSION_COOKIE, setLoginCookie, setSessionCookie } from '../session-cookie';
import { field } from '../ui/field';

const T = texts(
  {
    title: 'Log in',
    username: 'Name',
    password: 'Password',
    submit: 'Log in',
    wrong: 'Wrong name or password.',
    locked: (until: string) => `Too many wrong passwords: this account is locked until ${until}. An admin can unlock it sooner.`,
    noAccounts: 'There are no console accounts yet. An operator creates the first one on the gateway machine with:',
    other: 'Kiswahili',
  },
  {
    title: 'Ingia',
    username: 'Jina',
    password: 'Nenosiri',
    submit: 'Ingia',
    wrong: 'Jina au nenosiri si sahihi.',
    locked: (until: string) => `Nenosiri zisizo sahihi mara nyingi mno: akaunti hii imefungwa hadi ${until}. Msimamizi anaweza kuifungua mapema.`,
    noAccounts: 'Bado hakuna akaunti za dashibodi. Mwendeshaji huunda ya kwanza kwenye mashine ya lango kwa:',
    other: 'English',
  },
);

/** Where to go after logging in: a console path from `next`, never another site. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/console(\/[^/\\]|$|\?)/.test(next) && !next.startsWith('/console/login') ? next : '/console';
}

function loginLang(req: FastifyRequest): Lang {
  const q = (req.query ?? {}) as Record<string, unknown>;
  if (q.lang === 'sw' || q.lang === 'en') return q.lang;
  return asLang(String(req.headers['accept-language'] ?? '').slice(0, 2).toLowerCase());
}

/** The login form; `error` is shown above it with the status given. */
async function loginPage(req: FastifyRequest, reply: FastifyReply, deps: ConsoleDeps, opts: { lang: Lang; next: string; name?: string; error?: string; status?: number }) {
  const t = T(opts.lang);
  const token = randomBytes(24).toString('base64url');
  setLoginCookie(req, reply, token);
  const none = (await deps.accounts.accounts.count()) === 0;
  const other: Lang = opts.lang === 'sw' ? 'en' : 'sw';
  const body = html`${opts.error ? html`<p class="error" role="alert" id="login-error">${opts.error}</p>` : null}
${none ? html`<p>${t.noAccounts}</p><pre><code>vasgw users add NAME --role admin</code></pre>` : null}
<form method="post" action="/console/login"${opts.error ? html` aria-describedby="login-error"` : ''}>
<input type="hidden" name="_csrf" value="${token}">
<input type="hidden" name="next" value="${opts.next}">
<input type="hidden" name="lang" value="${opts.lang}">
${field({ name: 'username', label: t.username, value: opts.name ?? '', required: true, attrs: 'autocomplete="username" autocapitalize="none"' })}
${field({ name: 'password', label: t.password, type: 'password', required: true, attrs: 'autocomplete="current-password"' })}
<button type="submit">${t.submit}</button>
</form>
<p><a href="/console/login?lang=${other}" lang="${other}">${t.other}</a></p>`;
  return sendHtml(reply, barePage(opts.lang, t.title, body), opts.status ?? 200);
}

/** GET/POST /console/login, POST /console/logout and POST /console/language. */
export function loginPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const { accounts, core } = deps;
  const limit = core.config.console.loginRateLimit;

  app.get('/login', async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token && (await accounts.session(token))) return reply.redirect('/console', 303);
    return loginPage(req, reply, deps, { lang: loginLang(req), next: safeNext((req.query as Record<string, unknown>).next) });
  });

  app.post('/login', { config: { rateLimit: { max: limit.max, timeWindow: limit.windowSeconds * 1000 } } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const expected = req.cookies[LOGIN_COOKIE];
    if (!expected || !tokensMatch(body._csrf, expected)) throw csrfRefused();
    const lang = asLang(body.lang);
    const next = safeNext(body.next);
    const name = typeof body.username === 'string' ? body.username.trim().slice(0, 64) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 200) : '';
    const result = await accounts.signIn(name, password);
    if (!result.ok) {
      const t = T(lang);
      const error = result.reason === 'locked' ? t.locked(when(lang, result.lockedUntil, core.config.defaults.timezone)) : t.wrong;
      return loginPage(req, reply, deps, { lang, next, name, error, status: result.reason === 'locked' ? 423 : 401 });
    }
    const { session } = result;
    setSessionCookie(req, reply, session.token, (session.expiresAt - core.clock.now()) / 1000);
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (req, reply) => {
    const c = ctx(req);
    const token = req.cookies[SESSION_COOKIE];
    // The session and the audit entry are one unit; a logout without a cookie still leaves its entry.
    if (token) await accounts.endSession(token, c.account.name);
    else await accounts.record(c.account.name, 'logout');
    clearSessionCookie(req, reply);
    return reply.redirect(`/console/login?lang=${c.lang}`, 303);
  });

  app.post('/language', async (req, reply) => {
    const c = ctx(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    assertCsrf(body._csrf ?? req.headers['x-csrf-token'], c.csrf);
    await accounts.change(c.account.name, { language: asLang(body.language) });
    // Back to the page the switch was made on (the Referer, when it is a console page of this site).
    let back = '/console';
    try {
      const ref = new URL(String(req.headers.referer ?? ''));
      if (ref.host === req.headers.host && ref.pathname.startsWith('/console')) back = safeNext(ref.pathname + ref.search);
    } catch {
      // no usable Referer: the overview
    }
    return reply.redirect(back, 303);
  });
}
