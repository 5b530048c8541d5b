import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors';
import { html } from './html';
import { sendHtml } from './context';
import { texts, asLang } from './i18n';
import { barePage, page } from './layout';

const T = texts(
  {
    title: (status: number) => (status === 404 ? 'Page not found' : status === 403 ? 'Not allowed' : status >= 500 ? 'Something went wrong' : 'That did not work'),
    notFound: 'There is no such page in the console.',
    broken: 'The gateway could not show this page. The error is in its log; please tell your operator.',
    back: 'Back to the overview',
    tooMany: 'Too many attempts from this address. Wait a minute and try again.',
  },
  {
    title: (status: number) => (status === 404 ? 'Ukurasa haupatikani' : status === 403 ? 'Hairuhusiwi' : status >= 500 ? 'Hitilafu imetokea' : 'Haikufanikiwa'),
    notFound: 'Hakuna ukurasa kama huo kwenye dashibodi.',
    broken: 'Lango halikuweza kuonyesha ukurasa huu. Hitilafu iko kwenye kumbukumbu zake; tafadhali mjulishe msimamizi.',
    back: 'Rudi kwenye muhtasari',
    tooMany: 'Majaribio mengi mno kutoka anwani hii. Subiri dakika moja kisha ujaribu tena.',
  },
);

/** The console's errors as pages (a fragment for htmx): the caller's mistakes say what to fix, bugs say only that. */
export function consoleErrorHandler(err: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const c = req.consoleContext;
  const lang = c?.lang ?? asLang(String(req.headers['accept-language'] ?? '').slice(0, 2));
  const t = T(lang);
  let status = err instanceof AppError ? err.status : ((err as FastifyError).statusCode ?? 500);
  if (status < 400 || status > 599) status = 500;
  let message = status >= 500 ? t.broken : err.message;
  if (status === 429) message = t.tooMany;
  if (status >= 500) req.log.error({ err }, 'console page failed');
  if (req.headers['hx-request']) return sendHtml(reply, html`<p class="error" role="alert">${message}</p>`, status);
  const body = html`<p class="error" role="alert">${message}</p><p><a href="/console">${t.back}</a></p>`;
  return sendHtml(reply, c ? page(c, { title: t.title(status), body }) : barePage(lang, t.title(status), body), status);
}

/** Unknown paths under /console. */
export function consoleNotFound(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return consoleErrorHandler(new AppError(404, 'NOT_FOUND', T(req.consoleContext?.lang ?? 'en').notFound), req, reply);
}
