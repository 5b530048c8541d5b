import type { Config } from '../config';
import type { Database } from '../db/database';
import type { NotReadyReason, ReadinessReport } from '../lib/readiness';
import { OutboxHealthStore, type RecentError } from '../messaging/outbox-health-store';
import { NO_OPERATOR } from './outbox-readiness';
import { RunningJobsStore, type RunningCampaignRun } from './running-jobs-store';

/** One configured SMPP bind; `state`/`up` are null when read from the database only (the gateway's memory is not reachable). */
export interface BindStatus {
  id: string;
  mode: string;
  operator: string | null;
  address: string;
  up: boolean | null;
  state: string | null;
  lastError: string | null;
}

/** A route of the outbox (an operator's numbers, or `none`) and whether a transport can take its messages now. */
export interface RouteStatus {
  operator: string;
  /** null: unknown without the running gateway. */
  canCarry: boolean | null;
  due: number;
  deferred: number;
  sent: number;
}

/** A campaign run holding or waiting for the fan-out, its times as ISO-8601. */
export type RunningCampaign = Omit<RunningCampaignRun, 'leaseExpiresAt' | 'startedAt' | 'deferred' | 'sent'> & { leaseExpiresAt: string | null; startedAt: string | null };

/** What `GET /api/v1/operations/status` and `vasgw status` show. */
export interface GatewayStatus {
  /** `gateway`: bind state and readiness from the running gateway; `database`: read from the database file alone (bind state unknown). */
  source: 'gateway' | 'database';
  at: string;
  /** null when the gateway was not reachable. */
  ready: boolean | null;
  reasons: NotReadyReason[];
  /** Readiness checks other than binds, database and outbox (transports added later register here too). */
  otherChecks: Record<string, { ok: boolean; detail?: unknown }>;
  binds: BindStatus[];
  routes: RouteStatus[];
  queue: { due: number; deferred: number; sent: number };
  oldestDue: { operator: string; dueAt: string; waitedSeconds: number } | null;
  lastErrors: Array<Omit<RecentError, 'at'> & { at: string }>;
  jobs: { campaignRuns: RunningCampaign[]; crmPass: { owner: string; expiresAt: string | null } | null };
}

/** Errors this recent are shown (ms). */
const ERROR_WINDOW_MS = 24 * 3600 * 1000;
const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/**
 * The gateway's state for an operator: binds, routes and their queues, the oldest due message, recent
 * send errors and running jobs. With `live` (inside the gateway) bind state and readiness come from
 * memory; without it only what the database holds is known.
 */
export async function gatewayStatus(d: { database: Database; config: Config; now: number; live?: { readiness: ReadinessReport; canCarry?(operator: string | null): boolean } }): Promise<GatewayStatus> {
  const { database, config, now, live } = d;
  const health = new OutboxHealthStore(database);
  const [depthRows, dueRows, errors, jobs] = await Promise.all([health.depth(now), health.due(now), health.recentErrors(now - ERROR_WINDOW_MS, 10), runningJobs(database, now)]);
  const checks = live?.readiness.checks ?? {};
  const binds: BindStatus[] = config.smpp.binds.map((b) => {
    const c = checks[`smpp:${b.id}`] as { ok: boolean; detail?: { state?: string; lastError?: string } } | undefined;
    return {
      id: b.id,
      mode: b.mode,
      operator: b.operator ?? null,
      address: `${b.host}:${b.port}`,
      up: c ? c.ok : null,
      state: c?.detail?.state ?? null,
      lastError: c?.detail?.lastError ?? null,
    };
  });
  const depth = new Map(depthRows.map((r) => [r.operator, r]));
  const operators: Array<string | null> = [...config.operators.map((o) => o.id), null];
  for (const op of depth.keys()) if (!operators.includes(op)) operators.push(op);
  const routes: RouteStatus[] = operators.map((op) => {
    const r = depth.get(op);
    return { operator: op ?? NO_OPERATOR, canCarry: live?.canCarry ? live.canCarry(op) : null, due: r?.due ?? 0, deferred: r?.deferred ?? 0, sent: r?.sent ?? 0 };
  });
  const queue = routes.reduce((a, r) => ({ due: a.due + r.due, deferred: a.deferred + r.deferred, sent: a.sent + r.sent }), { due: 0, deferred: 0, sent: 0 });
  let oldestDue: GatewayStatus['oldestDue'] = null;
  for (const r of dueRows) {
    if (oldestDue && Date.parse(oldestDue.dueAt) <= r.oldestDueAt) continue;
    oldestDue = { operator: r.operator ?? NO_OPERATOR, dueAt: iso(r.oldestDueAt)!, waitedSeconds: Math.max(0, Math.floor((now - r.oldestDueAt) / 1000)) };
  }
  const otherChecks = Object.fromEntries(Object.entries(checks).filter(([name]) => name !== 'database' && name !== 'outbox' && !name.startsWith('smpp:')));
  return {
    source: live ? 'gateway' : 'database',
    at: iso(now)!,
    ready: live ? live.readiness.ok : null,
    reasons: live?.readiness.reasons ?? [],
    otherChecks,
    binds,
    routes,
    queue,
    oldestDue,
    lastErrors: errors.map((e) => ({ ...e, at: iso(e.at)! })),
    jobs,
  };
}

/** Campaign runs not finished, and the CRM pass lease while a pass holds it. */
async function runningJobs(database: Database, now: number): Promise<GatewayStatus['jobs']> {
  const jobs = new RunningJobsStore(database);
  const [runs, lease] = await Promise.all([jobs.campaignRuns(), jobs.crmPassLease()]);
  return {
    campaignRuns: runs.map((r) => ({ ...r, leaseExpiresAt: iso(r.leaseExpiresAt), startedAt: iso(r.startedAt) })),
    crmPass: lease && (lease.expiresAt === null || lease.expiresAt > now) ? { owner: lease.owner, expiresAt: iso(lease.expiresAt) } : null,
  };
}

/** The status as lines for a terminal. */
export function formatStatus(s: GatewayStatus): string[] {
  const out: string[] = [];
  const ready = s.ready === null ? 'unknown (gateway not reachable; read from the database)' : s.ready ? 'ready' : 'NOT READY';
  out.push(`gateway status at ${s.at}: ${ready}`);
  for (const r of s.reasons) out.push(`  ${r.code}: ${r.message}`);
  out.push('', 'binds:');
  if (s.binds.length === 0) out.push('  none configured (smpp.binds): outbound SMS wait in the outbox');
  for (const b of s.binds) {
    const state = b.up === null ? 'state unknown' : b.up ? 'bound' : `NOT BOUND (${b.state ?? 'unknown'})`;
    out.push(`  ${b.id.padEnd(12)} ${b.mode.padEnd(12)} ${b.address.padEnd(22)} operator ${(b.operator ?? 'any').padEnd(10)} ${state}${b.lastError ? `, last error ${b.lastError}` : ''}`);
  }
  for (const [name, c] of Object.entries(s.otherChecks)) out.push(`  ${name.padEnd(12)} ${c.ok ? 'ok' : 'NOT OK'}`);
  out.push('', 'routes and queue (due = sendable now, deferred = later, sent = awaiting a receipt):');
  for (const r of s.routes) {
    const carry = r.canCarry === null ? '' : r.canCarry ? '  transport up' : '  NO TRANSPORT';
    out.push(`  ${r.operator.padEnd(12)} due ${String(r.due).padStart(7)}  deferred ${String(r.deferred).padStart(7)}  sent ${String(r.sent).padStart(7)}${carry}`);
  }
  out.push(`  ${'total'.padEnd(12)} due ${String(s.queue.due).padStart(7)}  deferred ${String(s.queue.deferred).padStart(7)}  sent ${String(s.queue.sent).padStart(7)}`);
  out.push('', s.oldestDue ? `oldest due message: due ${s.oldestDue.dueAt} (operator ${s.oldestDue.operator}), waiting ${s.oldestDue.waitedSeconds} s` : 'oldest due message: none');
  out.push('', 'last errors (24 h):');
  if (s.lastErrors.length === 0) out.push('  none');
  for (const e of s.lastErrors) out.push(`  ${e.at} ${e.messageId} ${e.status.padEnd(8)} ${e.error}${e.errorCode !== null ? ` (${e.errorCode})` : ''}${e.bindId ? ` via ${e.bindId}` : ''}`);
  out.push('', 'running jobs:');
  if (s.jobs.campaignRuns.length === 0 && !s.jobs.crmPass) out.push('  none');
  for (const r of s.jobs.campaignRuns) out.push(`  campaign ${r.campaignId}${r.name ? ` (${r.name})` : ''} run ${r.runId}: ${r.status}, ${r.queued}/${r.total} handed over${r.leaseOwner ? `, held by ${r.leaseOwner}` : ''}`);
  if (s.jobs.crmPass) out.push(`  CRM pass held by ${s.jobs.crmPass.owner}${s.jobs.crmPass.expiresAt ? ` until ${s.jobs.crmPass.expiresAt}` : ''}`);
  return out;
}
