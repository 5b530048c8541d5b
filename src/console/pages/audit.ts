import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors';
import type { AuditRow } from '../auth/audit-repo';
import { requireRole, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { when } from '../format';
import { html, type Html } from '../html';
import { texts } from '../i18n';
import { page } from '../layout';
import { field } from '../ui/field';
import { table } from '../ui/table';

// The audit log (admins only): who changed what in the console, newest first, a page at a time.

const T = texts(
  {
    title: 'Audit log',
    lead: 'Who changed what in the console, newest first.',
    filter: 'Filter',
    account: 'Account',
    anyAccount: 'Any account',
    action: 'Action',
    actionHelp: 'An action such as account.add, or a family such as account.',
    show: 'Show',
    entries: 'Entries',
    at: 'When',
    target: 'Target',
    detail: 'Detail',
    none: 'No entries match.',
    older: 'Older entries',
    newest: 'Newest entries',
    paging: 'Pages of the audit log',
    badBefore: 'The page link is broken (before must be an entry number). Start again from the newest entries.',
    commandLine: 'the command line',
  },
  {
    title: 'Kumbukumbu za mabadiliko',
    lead: 'Nani alibadilisha nini kwenye dashibodi, ya karibuni kwanza.',
    filter: 'Chuja',
    account: 'Akaunti',
    anyAccount: 'Akaunti yoyote',
    action: 'Kitendo',
    actionHelp: 'Kitendo kama account.add, au familia kama account.',
    show: 'Onyesha',
    entries: 'Maingizo',
    at: 'Lini',
    target: 'Kilicholengwa',
    detail: 'Maelezo',
    none: 'Hakuna maingizo yanayolingana.',
    older: 'Maingizo ya zamani zaidi',
    newest: 'Maingizo ya karibuni',
    paging: 'Kurasa za kumbukumbu za mabadiliko',
    badBefore: 'Kiungo cha ukurasa kimeharibika (before lazima iwe namba ya ingizo). Anza tena kutoka maingizo ya karibuni.',
    commandLine: 'mstari wa amri',
  },
);

const PAGE_SIZE = 50;
const COMMAND_LINE = '(command line)';

/**
 * The detail of an entry as short `key: value` text (never markup), keys in alphabetical order: the order
 * they were written in does not survive PostgreSQL (jsonb keeps keys its own way), so a written order would
 * show `from` and `to` one way round on SQLite and the other on PostgreSQL.
 */
function detailText(detail: AuditRow['detail']): string {
  if (!detail) return '';
  return Object.entries(detail)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

function query(filter: { account?: string; action?: string }, before?: number): string {
  const q = new URLSearchParams();
  if (filter.account) q.set('account', filter.account);
  if (filter.action) q.set('action', filter.action);
  if (before !== undefined) q.set('before', String(before));
  const s = q.toString();
  return s ? `/console/audit?${s}` : '/console/audit';
}

async function auditPage(c: ConsoleContext, deps: ConsoleDeps, filter: { account?: string; action?: string }, before: number | undefined): Promise<Html> {
  const t = T(c.lang);
  // One more than a page tells whether there is an older page without counting the log.
  const rows = await deps.accounts.auditPage(PAGE_SIZE + 1, before, filter);
  const shown = rows.slice(0, PAGE_SIZE);
  const last = shown[shown.length - 1];
  const names = (await deps.accounts.accounts.all()).map((a) => a.name);
  const accounts = [...new Set([...names, COMMAND_LINE, ...(filter.account ? [filter.account] : [])])];
  const who = (name: string) => (name === COMMAND_LINE ? t.commandLine : name);
  const body = html`<section aria-labelledby="audit-filter"><h2 id="audit-filter">${t.filter}</h2>
<form method="get" action="/console/audit"><div class="grid">
<div>${field({ name: 'account', label: t.account, type: 'select', value: filter.account ?? '', options: [{ value: '', label: t.anyAccount }, ...accounts.map((a) => ({ value: a, label: who(a) }))] })}</div>
<div>${field({ name: 'action', label: t.action, type: 'search', value: filter.action ?? '', help: t.actionHelp, attrs: 'autocapitalize="none" maxlength="64"' })}</div>
</div><button type="submit">${t.show}</button></form></section>
<section aria-labelledby="audit-entries"><h2 id="audit-entries">${t.entries}</h2>
${table({
  columns: [t.at, t.account, t.action, t.target, t.detail],
  rows: shown.map((r) => [when(c.lang, r.at, c.timeZone), who(r.accountName), html`<code>${r.action}</code>`, r.target ?? '', html`<span class="audit-detail">${detailText(r.detail)}</span>`]),
  empty: t.none,
})}
${before !== undefined || rows.length > PAGE_SIZE
  ? html`<nav aria-label="${t.paging}" class="actions">
${before !== undefined ? html`<a href="${query(filter)}">${t.newest}</a>` : null}
${rows.length > PAGE_SIZE && last ? html`<a href="${query(filter, last.id)}">${t.older}</a>` : null}
</nav>`
  : null}</section>`;
  return page(c, { title: t.title, lead: t.lead, body });
}

/** GET /console/audit?account=&action=&before=: the audit log, newest first, 50 entries a page. */
export function auditPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/audit', async (req, reply) => {
    const c = requireRole(req, 'admin');
    const q = (req.query ?? {}) as Record<string, unknown>;
    const account = typeof q.account === 'string' && q.account.length > 0 && q.account.length <= 64 ? q.account : undefined;
    const action = typeof q.action === 'string' && q.action.trim() ? q.action.trim().slice(0, 64) : undefined;
    let before: number | undefined;
    if (q.before !== undefined && q.before !== '') {
      before = Number(q.before);
      if (!Number.isSafeInteger(before) || before < 1) throw new AppError(400, 'BEFORE_INVALID', T(c.lang).badBefore);
    }
    return sendHtml(reply, await auditPage(c, deps, { account, action }, before));
  });
}
