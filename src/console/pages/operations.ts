import type { FastifyInstance } from 'fastify';
import { gatewayStatus, type GatewayStatus } from '../../operations/gateway-status';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { num, when } from '../format';
import { html, type Html, type Part } from '../html';
import { texts } from '../i18n';
import { page } from '../layout';
import { table } from '../ui/table';

const T = texts(
  {
    title: 'Operations',
    lead: 'Binds, transports, the outbox and running jobs. The page refreshes itself every 10 seconds.',
    readAt: (at: string) => `Read at ${at}.`,
    refresh: 'Refresh',
    ready: 'Ready: the gateway takes and sends traffic.',
    notReady: 'Not ready:',
    unknown: 'Readiness unknown: read from the database alone.',
    dbClosed: 'The database is closed: the gateway is shutting down or broken. Nothing else can be shown.',
    binds: 'Binds and transports',
    bind: 'Bind',
    mode: 'Mode',
    operator: 'Operator',
    address: 'Address',
    state: 'State',
    lastError: 'Last error',
    up: 'up',
    down: 'down',
    stateUnknown: 'unknown',
    anyOperator: 'any',
    noBinds: 'No SMPP bind is configured (smpp.binds): outgoing SMS wait in the outbox.',
    checks: 'Other transports and checks',
    check: 'Check',
    ok: 'ok',
    notOk: 'not ok',
    queue: 'Outbox queue',
    route: 'Route',
    transport: 'Transport',
    canCarry: 'can send',
    cannotCarry: 'none can send',
    due: 'Due now',
    deferred: 'Waiting for later',
    sent: 'Awaiting receipt',
    total: 'Total',
    oldest: (at: string, operator: string, waited: string) => `Oldest due message: due ${at} on route ${operator}, waiting ${waited} seconds.`,
    noOldest: 'No message is due.',
    errors: 'Send errors in the last 24 hours',
    at: 'When',
    message: 'Message',
    status: 'Status',
    error: 'Error',
    noErrors: 'No send error in the last 24 hours.',
    jobs: 'Running jobs',
    campaign: 'Campaign',
    run: 'Run',
    handedOver: 'Handed over',
    heldBy: 'Held by',
    started: 'Started',
    noCampaigns: 'No campaign run is going on.',
    crmPass: (owner: string, until: string) => `A CRM pass is running (held by ${owner} until ${until}).`,
    noCrmPass: 'No CRM pass is running.',
  },
  {
    title: 'Uendeshaji',
    lead: 'Miunganisho, njia za kutuma, foleni ya ujumbe na kazi zinazoendelea. Ukurasa hujisasisha kila sekunde 10.',
    readAt: (at: string) => `Imesomwa ${at}.`,
    refresh: 'Sasisha',
    ready: 'Tayari: lango linapokea na kutuma ujumbe.',
    notReady: 'Haliko tayari:',
    unknown: 'Hali ya utayari haijulikani: imesomwa kutoka hifadhidata pekee.',
    dbClosed: 'Hifadhidata imefungwa: lango linazimwa au lina hitilafu. Hakuna kingine kinachoweza kuonyeshwa.',
    binds: 'Miunganisho na njia za kutuma',
    bind: 'Muunganisho',
    mode: 'Aina',
    operator: 'Mtandao',
    address: 'Anwani',
    state: 'Hali',
    lastError: 'Hitilafu ya mwisho',
    up: 'umeunganishwa',
    down: 'umekatika',
    stateUnknown: 'haijulikani',
    anyOperator: 'yoyote',
    noBinds: 'Hakuna muunganisho wa SMPP uliowekwa (smpp.binds): SMS zinazotoka zinasubiri kwenye foleni.',
    checks: 'Njia nyingine za kutuma na ukaguzi',
    check: 'Ukaguzi',
    ok: 'sawa',
    notOk: 'si sawa',
    queue: 'Foleni ya ujumbe unaotoka',
    route: 'Njia',
    transport: 'Usafirishaji',
    canCarry: 'inaweza kutuma',
    cannotCarry: 'hakuna inayoweza kutuma',
    due: 'Tayari kutumwa',
    deferred: 'Unasubiri baadaye',
    sent: 'Unasubiri risiti',
    total: 'Jumla',
    oldest: (at: string, operator: string, waited: string) => `Ujumbe uliosubiri muda mrefu zaidi: ulipaswa kutumwa ${at} kwenye njia ${operator}, umesubiri sekunde ${waited}.`,
    noOldest: 'Hakuna ujumbe unaosubiri kutumwa.',
    errors: 'Hitilafu za kutuma katika saa 24 zilizopita',
    at: 'Lini',
    message: 'Ujumbe',
    status: 'Hali',
    error: 'Hitilafu',
    noErrors: 'Hakuna hitilafu ya kutuma katika saa 24 zilizopita.',
    jobs: 'Kazi zinazoendelea',
    campaign: 'Kampeni',
    run: 'Mzunguko',
    handedOver: 'Zimekabidhiwa',
    heldBy: 'Inashikiliwa na',
    started: 'Ilianza',
    noCampaigns: 'Hakuna kampeni inayoendelea.',
    crmPass: (owner: string, until: string) => `Uchambuzi wa CRM unaendelea (unashikiliwa na ${owner} hadi ${until}).`,
    noCrmPass: 'Hakuna uchambuzi wa CRM unaoendelea.',
  },
);

type Text = ReturnType<typeof T>;

const badge = (cls: 'good' | 'bad' | 'warn' | '', text: string): Html => html`<span class="badge${cls ? ` ${cls}` : ''}">${text}</span>`;

function readiness(t: Text, s: GatewayStatus): Html {
  if (s.ready === null) return html`<p>${badge('warn', t.unknown)}</p>`;
  if (s.ready) return html`<p>${badge('good', t.ready)}</p>`;
  return html`<p>${badge('bad', t.notReady)}</p><ul id="ops-reasons">${s.reasons.map((r) => html`<li><code>${r.code}</code> ${r.message}</li>`)}</ul>`;
}

function binds(t: Text, s: GatewayStatus): Html {
  const state = (up: boolean | null, detail: string | null) => (up === null ? badge('warn', t.stateUnknown) : up ? badge('good', t.up) : html`${badge('bad', t.down)} ${detail ?? ''}`);
  const checks = Object.entries(s.otherChecks);
  return html`<section aria-labelledby="ops-binds-h"><h2 id="ops-binds-h">${t.binds}</h2>
${s.binds.length === 0
  ? html`<p class="empty">${t.noBinds}</p>`
  : table({
      id: 'ops-binds',
      caption: t.binds,
      columns: [t.bind, t.mode, t.operator, t.address, t.state, t.lastError],
      rows: s.binds.map((b) => [b.id, b.mode, b.operator ?? t.anyOperator, b.address, state(b.up, b.state), b.lastError ?? '–']),
    })}
${checks.length > 0 ? table({ id: 'ops-checks', caption: t.checks, columns: [t.check, t.state], rows: checks.map(([name, ch]) => [name, ch.ok ? badge('good', t.ok) : badge('bad', t.notOk)]) }) : null}
</section>`;
}

function queue(c: ConsoleContext, t: Text, s: GatewayStatus): Html {
  const L = c.lang;
  const carry = (v: boolean | null) => (v === null ? badge('warn', t.stateUnknown) : v ? badge('good', t.canCarry) : badge('bad', t.cannotCarry));
  const rows: Part[][] = s.routes.map((r) => [r.operator, carry(r.canCarry), num(L, r.due), num(L, r.deferred), num(L, r.sent)]);
  rows.push([html`<strong>${t.total}</strong>`, '', html`<strong id="ops-due">${num(L, s.queue.due)}</strong>`, html`<strong>${num(L, s.queue.deferred)}</strong>`, html`<strong>${num(L, s.queue.sent)}</strong>`]);
  const o = s.oldestDue;
  return html`<section aria-labelledby="ops-queue-h"><h2 id="ops-queue-h">${t.queue}</h2>
${table({ id: 'ops-queue', caption: t.queue, columns: [t.route, t.transport, { label: t.due, numeric: true }, { label: t.deferred, numeric: true }, { label: t.sent, numeric: true }], rows })}
<p id="ops-oldest">${o ? t.oldest(when(L, o.dueAt, c.timeZone), o.operator, num(L, o.waitedSeconds)) : t.noOldest}</p>
</section>`;
}

function errors(c: ConsoleContext, t: Text, s: GatewayStatus): Html {
  return html`<section aria-labelledby="ops-errors-h"><h2 id="ops-errors-h">${t.errors}</h2>
${table({
  id: 'ops-errors',
  caption: t.errors,
  columns: [t.at, t.message, t.operator, t.status, t.error, t.bind],
  rows: s.lastErrors.map((e) => [when(c.lang, e.at, c.timeZone), html`<code>${e.messageId}</code>`, e.operator ?? '–', e.status, `${e.error}${e.errorCode !== null ? ` (${e.errorCode})` : ''}`, e.bindId ?? '–']),
  empty: t.noErrors,
})}
</section>`;
}

function jobs(c: ConsoleContext, t: Text, s: GatewayStatus): Html {
  const L = c.lang;
  const pass = s.jobs.crmPass;
  return html`<section aria-labelledby="ops-jobs-h"><h2 id="ops-jobs-h">${t.jobs}</h2>
${table({
  id: 'ops-jobs',
  caption: t.jobs,
  columns: [t.campaign, t.run, t.status, { label: t.handedOver, numeric: true }, t.heldBy, t.started],
  rows: s.jobs.campaignRuns.map((r) => [
    html`<a href="/console/campaigns/${encodeURIComponent(r.campaignId)}">${r.name ?? r.campaignId}</a>`,
    num(L, r.runId),
    r.status,
    `${num(L, r.queued)} / ${num(L, r.total)}`,
    r.leaseOwner ?? '–',
    when(L, r.startedAt, c.timeZone),
  ]),
  empty: t.noCampaigns,
})}
<p>${pass ? t.crmPass(pass.owner, when(L, pass.expiresAt, c.timeZone)) : t.noCrmPass}</p>
</section>`;
}

/** The part of the page htmx reloads every 10 seconds (and the Refresh link reloads at once). */
function statusFragment(c: ConsoleContext, t: Text, s: GatewayStatus): Html {
  return html`<div id="ops-status" hx-get="/console/operations" hx-trigger="every 10s" hx-swap="outerHTML">
<p class="actions"><span id="ops-read-at">${t.readAt(when(c.lang, s.at, c.timeZone))}</span>
<a href="/console/operations" hx-get="/console/operations" hx-target="#ops-status" hx-swap="outerHTML" id="ops-refresh">${t.refresh}</a></p>
${readiness(t, s)}
${binds(t, s)}
${queue(c, t, s)}
${errors(c, t, s)}
${jobs(c, t, s)}
</div>`;
}

/** GET /console/operations: the gateway's state (the whole page, or its status part for htmx). */
export function operationsPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const { core } = deps;
  app.get('/operations', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const fragment = req.headers['hx-request'] === 'true';
    if (!core.storage.isOpen()) {
      const error = html`<p class="error" role="alert">${t.dbClosed}</p>`;
      return sendHtml(reply, fragment ? error : page(c, { title: t.title, error: t.dbClosed, body: null }), 503);
    }
    // Exactly what GET /api/v1/operations/status answers.
    const status = await gatewayStatus({
      database: core.database,
      config: core.config,
      now: core.clock.now(),
      live: { readiness: await core.readiness.evaluate(), canCarry: (op) => core.messaging.canCarry(op) },
    });
    const body = statusFragment(c, t, status);
    return sendHtml(reply, fragment ? body : page(c, { title: t.title, lead: t.lead, body }));
  });
}
