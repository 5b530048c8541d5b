import type { FastifyInstance } from 'fastify';
import type { Campaign } from '../../../campaigns/campaign-types';
import { AppError } from '../../../lib/errors';
import { maskMsisdn } from '../../../lib/msisdn';
import { ctx, requireRole, seeOther, sendHtml, type ConsoleContext, type ConsoleDeps } from '../../context';
import { num, when } from '../../format';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { page } from '../../layout';
import { table } from '../../ui/table';
import { blankCampaign, campaignFieldsOf, campaignForm, checkCampaignEdit, checkNewCampaign, contentInWords, pollsOf, readCampaignFields, type CampaignErrors, type CampaignFields } from './campaign-form';
import { progressSection, statusActions, statusBadge, type ProgressJson } from './campaign-progress';
import { scheduleInWords } from './schedule-words';
import { armsResultsSection } from './arms-results';

const T = texts(
  {
    title: 'Campaigns',
    lead: 'Messages, polls and calls sent to a segment, once or on a schedule.',
    newCampaign: 'New campaign',
    newLead: 'Who, what and when. Nothing is sent before the time you choose.',
    name: 'Name',
    status: 'Status',
    content: 'Sends',
    schedule: 'When',
    nextRun: 'Next run',
    progress: 'Latest run',
    progressOf: (done: string, total: string) => `${done} of ${total} handed over`,
    noRuns: 'no run yet',
    none: 'No campaigns yet.',
    about: 'About this campaign',
    segment: 'Segment',
    rate: 'Rate',
    perSecond: (n: string) => `${n} per second`,
    asFast: 'as fast as the gateway can',
    edit: 'Change this campaign',
    pollResults: 'Poll results',
    previewTitle: 'Recipients now',
    previewCount: (n: string) => `${n} subscribers are in this segment now (opted-out subscribers are left out).`,
    previewSample: 'For example:',
    previewPoll: 'A poll campaign does not ask again those who have already answered.',
    previewNone: 'Choose a segment to see how many it reaches.',
    changed: 'This campaign was changed by someone else since you opened it; here is the current version. Make your change again.',
    finished: 'This campaign has finished and cannot change.',
    notices: (k: string) =>
      ({
        created: 'The campaign is saved.',
        saved: 'Your changes are saved.',
        start: 'The campaign is started.',
        pause: 'The campaign is paused; messages already handed over still go.',
        resume: 'The campaign goes on from where it stopped.',
        cancel: 'The campaign is cancelled.',
      })[k] ?? '',
  },
  {
    title: 'Kampeni',
    lead: 'Jumbe, kura za maoni na simu zinazotumwa kwa kundi, mara moja au kwa ratiba.',
    newCampaign: 'Kampeni mpya',
    newLead: 'Nani, nini na lini. Hakuna kinachotumwa kabla ya muda unaouchagua.',
    name: 'Jina',
    status: 'Hali',
    content: 'Inatuma',
    schedule: 'Lini',
    nextRun: 'Awamu ijayo',
    progress: 'Awamu ya mwisho',
    progressOf: (done: string, total: string) => `${done} kati ya ${total} zimekabidhiwa`,
    noRuns: 'bado hakuna awamu',
    none: 'Bado hakuna kampeni.',
    about: 'Kuhusu kampeni hii',
    segment: 'Kundi',
    rate: 'Mwendo',
    perSecond: (n: string) => `${n} kwa sekunde`,
    asFast: 'haraka kadiri lango linavyoweza',
    edit: 'Badilisha kampeni hii',
    pollResults: 'Matokeo ya kura',
    previewTitle: 'Wapokeaji sasa',
    previewCount: (n: string) => `Wateja ${n} wako katika kundi hili sasa (waliojiondoa hawahesabiwi).`,
    previewSample: 'Kwa mfano:',
    previewPoll: 'Kampeni ya kura haiwaulizi tena waliokwisha kujibu.',
    previewNone: 'Chagua kundi kuona linawafikia wangapi.',
    changed: 'Kampeni hii imebadilishwa na mtu mwingine tangu ulipoifungua; hili ndilo toleo la sasa. Fanya mabadiliko yako tena.',
    finished: 'Kampeni hii imekwisha na haiwezi kubadilishwa.',
    notices: (k: string) =>
      ({
        created: 'Kampeni imehifadhiwa.',
        saved: 'Mabadiliko yako yamehifadhiwa.',
        start: 'Kampeni imeanzishwa.',
        pause: 'Kampeni imesitishwa; jumbe zilizokwisha kukabidhiwa bado zitatumwa.',
        resume: 'Kampeni inaendelea ilipoishia.',
        cancel: 'Kampeni imeghairiwa.',
      })[k] ?? '',
  },
);

const clientError = (e: unknown): e is AppError => e instanceof AppError && e.status >= 400 && e.status < 500;
const noticeOf = (c: ConsoleContext, q: unknown) => {
  const k = (q as Record<string, unknown>).notice;
  return typeof k === 'string' ? T(c.lang).notices(k) || null : null;
};

/** Count and a few masked numbers of a saved segment: the same as POST /api/v1/segments/preview for its filter. */
async function previewOf(deps: ConsoleDeps, c: ConsoleContext, segmentId: string, poll: boolean): Promise<Html> {
  const t = T(c.lang);
  const s = segmentId ? await deps.core.segmentReads.find(segmentId) : null;
  if (!s) return html`<p class="empty">${t.previewNone}</p>`;
  const count = await deps.core.segments.count(s.filter);
  const sample = (await deps.core.segments.sample(s.filter)).map(maskMsisdn);
  return html`<article class="preview"><strong>${t.previewTitle}</strong>
<p id="preview-count">${t.previewCount(num(c.lang, count))}</p>
${sample.length ? html`<p>${t.previewSample} ${sample.map((m, i) => html`${i ? ', ' : ''}<code>${m}</code>`)}</p>` : null}
${poll ? html`<p><small>${t.previewPoll}</small></p>` : null}</article>`;
}

async function newCampaignPage(deps: ConsoleDeps, c: ConsoleContext, f: CampaignFields, errors: CampaignErrors, opts: { error?: string | null; preview?: boolean } = {}): Promise<Html> {
  const t = T(c.lang);
  const preview = opts.preview || f.segmentId ? await previewOf(deps, c, f.segmentId, !!f.pollId) : null;
  return page(c, { title: t.newCampaign, lead: t.newLead, error: opts.error ?? null, body: await campaignForm(deps.core, c, f, errors, { preview }) });
}

async function resultsOf(deps: ConsoleDeps, id: string): Promise<ProgressJson> {
  return (await deps.core.campaignReads.results(id)) as unknown as ProgressJson;
}

/** The campaign's page: what, to whom, when; progress; the status buttons; and the edit form for editors. */
async function campaignPage(deps: ConsoleDeps, c: ConsoleContext, campaign: Campaign, opts: { notice?: string | null; error?: string | null; form?: { f: CampaignFields; errors: CampaignErrors; open: boolean } } = {}): Promise<Html> {
  const t = T(c.lang);
  const { core } = deps;
  const segment = await core.segmentReads.find(campaign.segmentId);
  const progress = await resultsOf(deps, campaign.id);
  const editable = c.can('editor') && campaign.status !== 'completed' && campaign.status !== 'cancelled';
  const form = opts.form ?? { f: campaignFieldsOf(campaign), errors: {}, open: false };
  const armsSection = campaign.arms && campaign.arms.length > 0 ? armsResultsSection(c, await core.armsResults.results(campaign, core.clock.now())) : null;
  const polls = await pollsOf(core, [campaign]);
  const editForm = editable ? await campaignForm(core, c, form.f, form.errors, { stored: campaign }) : null;
  const body = html`<section aria-labelledby="about-h">
<h2 id="about-h">${t.about}</h2>
<dl class="facts">
<dt>${t.status}</dt><dd id="campaign-status">${statusBadge(c, campaign.status)}</dd>
<dt>${t.content}</dt><dd>${contentInWords(c, core, campaign, polls)}${campaign.pollId ? html` · <a href="/console/polls/${campaign.pollId}">${t.pollResults}</a>` : null}</dd>
<dt>${t.segment}</dt><dd>${segment ? html`<a href="/console/segments/${segment.id}">${segment.name}</a>` : campaign.segmentId}</dd>
<dt>${t.schedule}</dt><dd id="campaign-schedule">${scheduleInWords(c.lang, campaign)}</dd>
<dt>${t.nextRun}</dt><dd>${when(c.lang, campaign.nextRunAt, c.timeZone)}</dd>
<dt>${t.rate}</dt><dd>${campaign.ratePerSecond === null ? t.asFast : t.perSecond(num(c.lang, campaign.ratePerSecond))}</dd>
</dl>
</section>
${statusActions(c, campaign)}
${progressSection(c, campaign.id, progress)}
${armsSection}
${editable
  ? html`<section aria-labelledby="edit-h"><details${form.open ? html` open` : ''}><summary role="button" class="secondary" id="edit-h">${t.edit}</summary>
${editForm}</details></section>`
  : null}`;
  return page(c, { title: campaign.name, notice: opts.notice ?? null, error: opts.error ?? null, body });
}

/** Campaigns: list, create (with a recipients preview), a campaign's page with progress, edit, start / pause / resume / cancel. */
export function campaignsPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const { core, accounts } = deps;
  const tz = core.config.defaults.timezone;

  app.get('/campaigns', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const campaigns = await core.campaignReads.list(100);
    const latestRuns = await Promise.all(campaigns.map((x) => core.campaignReads.latestRun(x.id)));
    const polls = await pollsOf(core, campaigns);
    const latest = (i: number) => {
      const run = latestRuns[i];
      return run ? t.progressOf(num(c.lang, run.queued + run.blocked), num(c.lang, run.total)) : t.noRuns;
    };
    const body = html`${c.can('editor') ? html`<p><a href="/console/campaigns/new">${t.newCampaign}</a></p>` : null}
${table({
  caption: t.title,
  columns: [t.name, t.status, t.content, t.schedule, t.nextRun, t.progress],
  rows: campaigns.map((x, i) => [
    html`<a href="/console/campaigns/${x.id}">${x.name}</a>`,
    statusBadge(c, x.status),
    contentInWords(c, core, x, polls),
    scheduleInWords(c.lang, x),
    when(c.lang, x.nextRunAt, c.timeZone),
    latest(i),
  ]),
  empty: t.none,
  id: 'campaigns-table',
})}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, notice: noticeOf(c, req.query), body }));
  });

  app.get('/campaigns/new', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const q = (req.query ?? {}) as Record<string, unknown>;
    return sendHtml(reply, await newCampaignPage(deps, c, blankCampaign(tz, typeof q.pollId === 'string' ? q.pollId : ''), {}));
  });

  // The recipients preview as an htmx fragment (the segment select asks for it on change).
  app.get('/campaigns/preview', async (req, reply) => {
    const c = ctx(req);
    const q = (req.query ?? {}) as Record<string, unknown>;
    return sendHtml(reply, await previewOf(deps, c, typeof q.segmentId === 'string' ? q.segmentId : '', false));
  });

  app.post('/campaigns/new', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const f = readCampaignFields(body, tz);
    if (body.preview) return sendHtml(reply, await newCampaignPage(deps, c, f, {}, { preview: true }));
    const { errors, input } = await checkNewCampaign(core, c, f, !!body.draft);
    if (!input) return sendHtml(reply, await newCampaignPage(deps, c, f, errors), 400);
    let created: Campaign;
    try {
      // The campaign and its audit entry are one unit.
      created = await core.campaigns.create(input, (tx, made) =>
        accounts.auditIn(tx, c.account.name, 'campaign.create', made.id, {
          kind: made.kind,
          channel: made.channel,
          segmentId: made.segmentId,
          status: made.status,
          ...(made.arms ? { arms: made.arms.map((a) => a.name), holdoutPercent: made.holdoutPercent, goal: made.goal?.type } : {}),
        }),
      );
    } catch (e) {
      if (!clientError(e)) throw e;
      return sendHtml(reply, await newCampaignPage(deps, c, f, {}, { error: e.message }), e.status);
    }
    return seeOther(reply, `/console/campaigns/${created.id}`, 'created');
  });

  app.get<{ Params: { id: string } }>('/campaigns/:id', async (req, reply) => {
    const c = ctx(req);
    return sendHtml(reply, await campaignPage(deps, c, await core.campaignReads.require(req.params.id), { notice: noticeOf(c, req.query) }));
  });

  app.get<{ Params: { id: string } }>('/campaigns/:id/progress', async (req, reply) => {
    const c = ctx(req);
    const campaign = await core.campaignReads.require(req.params.id);
    return sendHtml(reply, progressSection(c, campaign.id, await resultsOf(deps, campaign.id)));
  });

  app.post<{ Params: { id: string } }>('/campaigns/:id/edit', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const campaign = await core.campaigns.require(req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (campaign.status === 'completed' || campaign.status === 'cancelled') return sendHtml(reply, await campaignPage(deps, c, campaign, { error: T(c.lang).finished }), 409);
    if (body.updatedAt !== String(campaign.updatedAt)) {
      return sendHtml(reply, await campaignPage(deps, c, campaign, { error: T(c.lang).changed, form: { f: campaignFieldsOf(campaign), errors: {}, open: true } }), 409);
    }
    const f = readCampaignFields(body, tz);
    const { errors, patch } = await checkCampaignEdit(core, c, campaign, f);
    if (!patch) return sendHtml(reply, await campaignPage(deps, c, campaign, { form: { f, errors, open: true } }), 400);
    try {
      await core.campaigns.update(campaign.id, patch, (tx) => accounts.auditIn(tx, c.account.name, 'campaign.edit', campaign.id, { changed: Object.keys(patch) }));
    } catch (e) {
      if (!clientError(e)) throw e;
      return sendHtml(reply, await campaignPage(deps, c, campaign, { error: e.message, form: { f, errors: {}, open: true } }), e.status);
    }
    return seeOther(reply, `/console/campaigns/${campaign.id}`, 'saved');
  });

  for (const action of ['start', 'pause', 'resume', 'cancel'] as const) {
    app.post<{ Params: { id: string } }>(`/campaigns/:id/${action}`, async (req, reply) => {
      const c = requireRole(req, 'editor');
      const campaign = await core.campaigns.require(req.params.id);
      try {
        await core.campaigns[action](campaign.id, (tx) => accounts.auditIn(tx, c.account.name, `campaign.${action}`, campaign.id, { from: campaign.status }));
      } catch (e) {
        if (!clientError(e)) throw e;
        return sendHtml(reply, await campaignPage(deps, c, await core.campaigns.require(campaign.id), { error: e.message }), e.status);
      }
      return seeOther(reply, `/console/campaigns/${campaign.id}`, action);
    });
  }
}
