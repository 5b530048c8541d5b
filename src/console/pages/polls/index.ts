import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Poll } from '../../../campaigns/poll-repo';
import { AppError } from '../../../lib/errors';
import { ctx, requireRole, seeOther, sendHtml, type ConsoleContext, type ConsoleDeps } from '../../context';
import { when } from '../../format';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { csrfField, page } from '../../layout';
import { table } from '../../ui/table';
import { blankPoll, checkPollFields, patchOf, pollChangedMessage, pollFieldsOf, pollForm, readPollFields, type PollErrors, type PollFields } from './poll-form';
import { resultsSection, type ResultsJson } from './poll-results';

const T = texts(
  {
    title: 'Polls',
    lead: 'Questions asked by SMS, USSD and voice, and what subscribers answered.',
    newPoll: 'New poll',
    newLead: 'Ask in English and Kiswahili; each subscriber gets the question in their language.',
    question: 'Question',
    type: 'Type',
    status: 'Status',
    created: 'Created',
    choice: 'Multiple choice',
    nps: 'Score 0-10 (NPS)',
    open: 'open',
    closed: 'closed',
    none: 'No polls yet.',
    key: 'Key for flows',
    edit: 'Edit the texts',
    close: 'Close poll',
    closeHelp: 'A closed poll takes no more answers; results stay.',
    details: 'About this poll',
    notices: (k: string) => ({ created: 'The poll is created.', saved: 'Your changes are saved.', closed: 'The poll is closed: replies are no longer counted.' })[k] ?? '',
    notOpen: 'This poll is already closed.',
    campaignHint: 'To send it, schedule a campaign with this poll.',
    newCampaign: 'New campaign',
  },
  {
    title: 'Kura za maoni',
    lead: 'Maswali yanayoulizwa kwa SMS, USSD na sauti, na majibu ya wateja.',
    newPoll: 'Kura mpya ya maoni',
    newLead: 'Uliza kwa Kiingereza na Kiswahili; kila mteja hupata swali kwa lugha yake.',
    question: 'Swali',
    type: 'Aina',
    status: 'Hali',
    created: 'Iliundwa',
    choice: 'Chaguo nyingi',
    nps: 'Alama 0-10 (NPS)',
    open: 'wazi',
    closed: 'imefungwa',
    none: 'Bado hakuna kura za maoni.',
    key: 'Jina la kutumia kwenye menyu',
    edit: 'Hariri maandishi',
    close: 'Funga kura',
    closeHelp: 'Kura iliyofungwa haipokei majibu zaidi; matokeo hubaki.',
    details: 'Kuhusu kura hii',
    notices: (k: string) => ({ created: 'Kura ya maoni imeundwa.', saved: 'Mabadiliko yako yamehifadhiwa.', closed: 'Kura imefungwa: majibu hayahesabiwi tena.' })[k] ?? '',
    notOpen: 'Kura hii tayari imefungwa.',
    campaignHint: 'Ili kuituma, panga kampeni yenye kura hii.',
    newCampaign: 'Kampeni mpya',
  },
);

const noticeOf = (c: ConsoleContext, q: unknown) => {
  const k = (q as Record<string, unknown>).notice;
  return typeof k === 'string' ? T(c.lang).notices(k) || null : null;
};

/** A poll's question in the reader's language. */
export function questionOf(c: ConsoleContext, p: Poll): string {
  return p.question[c.lang] ?? p.question.en ?? Object.values(p.question)[0] ?? p.id;
}

function statusBadge(c: ConsoleContext, p: Poll): Html {
  const t = T(c.lang);
  return html`<span class="badge ${p.status === 'open' ? 'good' : ''}">${p.status === 'open' ? t.open : t.closed}</span>`;
}

function newPollPage(c: ConsoleContext, f: PollFields, errors: PollErrors, error: string | null): Html {
  const t = T(c.lang);
  return page(c, { title: t.newPoll, lead: t.newLead, error, body: pollForm(c, f, errors) });
}

/** The poll's page: what it asks, its results, and (for editors) the edit and close forms. */
async function pollPage(
  deps: ConsoleDeps,
  c: ConsoleContext,
  poll: Poll,
  opts: { notice?: string | null; error?: string | null; form?: { f: PollFields; errors: PollErrors; open: boolean } } = {},
): Promise<Html> {
  const t = T(c.lang);
  const results = (await deps.core.pollResults.results(poll)) as unknown as ResultsJson;
  const form = opts.form ?? { f: pollFieldsOf(poll), errors: {}, open: false };
  const editor = c.can('editor')
    ? html`<details${form.open ? html` open` : ''}><summary role="button" class="secondary">${t.edit}</summary>${pollForm(c, form.f, form.errors, poll)}</details>
${poll.status === 'open'
  ? html`<form method="post" action="/console/polls/${poll.id}/close" class="inline-form">${csrfField(c)}<button type="submit" class="contrast">${t.close}</button><small>${t.closeHelp}</small></form>`
  : null}`
    : null;
  const body = html`<section aria-labelledby="about-h">
<h2 id="about-h">${t.details}</h2>
<dl class="facts">
<dt>${t.type}</dt><dd>${poll.type === 'nps' ? t.nps : t.choice}</dd>
<dt>${t.status}</dt><dd>${statusBadge(c, poll)}</dd>
<dt>${t.key}</dt><dd><code>${poll.key}</code></dd>
<dt>${t.created}</dt><dd>${when(c.lang, poll.createdAt, c.timeZone)}</dd>
</dl>
${poll.status === 'open' && c.can('editor') ? html`<p>${t.campaignHint} <a href="/console/campaigns/new?pollId=${encodeURIComponent(poll.id)}">${t.newCampaign}</a></p>` : null}
${editor}
</section>
${resultsSection(c, poll, results)}`;
  return page(c, { title: questionOf(c, poll), notice: opts.notice ?? null, error: opts.error ?? null, body });
}

const clientError = (e: unknown): e is AppError => e instanceof AppError && e.status >= 400 && e.status < 500;

/** Polls: list, create, a poll's results (with the CSV), edit its texts, close it. */
export function pollsPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const { core, accounts } = deps;

  app.get('/polls', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const polls = await core.pollReads.list(200);
    const body = html`${c.can('editor') ? html`<p><a href="/console/polls/new">${t.newPoll}</a></p>` : null}
${table({
  caption: t.title,
  columns: [t.question, t.type, t.status, t.created],
  rows: polls.map((p) => [html`<a href="/console/polls/${p.id}">${questionOf(c, p)}</a>`, p.type === 'nps' ? t.nps : t.choice, statusBadge(c, p), when(c.lang, p.createdAt, c.timeZone)]),
  empty: t.none,
  id: 'polls-table',
})}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, notice: noticeOf(c, req.query), body }));
  });

  app.get('/polls/new', async (req, reply) => {
    const c = requireRole(req, 'editor');
    return sendHtml(reply, newPollPage(c, blankPoll(), {}, null));
  });

  app.post('/polls/new', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const f = readPollFields((req.body ?? {}) as Record<string, unknown>);
    const { errors, input } = checkPollFields(c, f);
    if (!input) return sendHtml(reply, newPollPage(c, f, errors, null), 400);
    let poll: Poll;
    try {
      // The poll and its audit entry are one unit: no entry for a poll that was not made.
      poll = await core.polls.create(input, (tx, made) => accounts.auditIn(tx, c.account.name, 'poll.create', made.id, { type: made.type, answers: made.answers.length }));
    } catch (e) {
      if (!clientError(e)) throw e;
      return sendHtml(reply, newPollPage(c, f, {}, e.message), e.status);
    }
    return seeOther(reply, `/console/polls/${poll.id}`, 'created');
  });

  app.get<{ Params: { id: string } }>('/polls/:id', async (req, reply) => {
    const c = ctx(req);
    const poll = await core.pollReads.require(req.params.id);
    return sendHtml(reply, await pollPage(deps, c, poll, { notice: noticeOf(c, req.query) }));
  });

  // The same CSV as GET /api/v1/polls/:id/results.csv, for a logged-in reader.
  app.get<{ Params: { id: string } }>('/polls/:id/results.csv', async (req, reply: FastifyReply) => {
    ctx(req);
    const poll = await core.pollReads.require(req.params.id);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="poll-${poll.id}.csv"`)
      .send(Readable.from(core.pollResults.csv(poll)));
  });

  app.post<{ Params: { id: string } }>('/polls/:id/edit', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const poll = await core.pollReads.require(req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.updatedAt !== String(poll.updatedAt)) {
      return sendHtml(reply, await pollPage(deps, c, poll, { error: pollChangedMessage(c), form: { f: pollFieldsOf(poll), errors: {}, open: true } }), 409);
    }
    const f = readPollFields(body, poll.type);
    const { errors, input } = checkPollFields(c, f);
    if (!input) return sendHtml(reply, await pollPage(deps, c, poll, { form: { f, errors, open: true } }), 400);
    try {
      await core.polls.update(poll.id, patchOf(input), (tx) => accounts.auditIn(tx, c.account.name, 'poll.edit', poll.id, { answers: input.answers?.length ?? 0 }));
    } catch (e) {
      if (!clientError(e)) throw e;
      return sendHtml(reply, await pollPage(deps, c, poll, { error: e.message, form: { f, errors: {}, open: true } }), e.status);
    }
    return seeOther(reply, `/console/polls/${poll.id}`, 'saved');
  });

  app.post<{ Params: { id: string } }>('/polls/:id/close', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const poll = await core.pollReads.require(req.params.id);
    if (poll.status !== 'open') return sendHtml(reply, await pollPage(deps, c, poll, { error: T(c.lang).notOpen }), 409);
    await core.polls.update(poll.id, { status: 'closed' }, (tx) => accounts.auditIn(tx, c.account.name, 'poll.close', poll.id));
    return seeOther(reply, `/console/polls/${poll.id}`, 'closed');
  });
}
