import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config';
import { buildCore } from '../core';
import { databaseBackend } from '../db/backend';
import { migrateDb, openDb, type Db } from '../db/client';
import { closeDb } from '../db/handle';
import { CopyFailedError, CopyRefusedError, copySqliteToPostgres } from '../db/postgres/copy';
import { PostgresUnavailableError } from '../db/postgres/migrate';
import { maskDatabaseUrl } from '../db/postgres/url';
import { openStorage, sqliteStorage } from '../db/storage';
import { FlowRegistry } from '../engine/flow-registry';
import { loadFlowsOrThrow } from '../engine/flow-loader';
import { ManualClock, systemClock, type Clock } from '../lib/clock';
import { ConfigError } from '../lib/errors';
import { createLogger } from '../lib/logger';
import type { PassSummary } from './crm-service';
import { PopulationGenerator, type CrmHook, type GenerateSummary } from './generator/population';
import { INTERVENTION_KINDS } from './interventions';

type Out = (line: string) => void;

/** Bad command-line input; the dispatcher prints it and exits 2. */
export type UsageErrorCtor = new (message: string) => Error;

function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(args: string[], spec: T, UsageError: UsageErrorCtor) {
  try {
    return parseArgs({ args, options: spec, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function open(config: Config, file?: string): Db {
  const db = openDb({ path: file ?? config.database.path, synchronous: config.database.synchronous });
  migrateDb(db);
  return db;
}

function flowsOf(config: Config): FlowRegistry {
  const flows = loadFlowsOrThrow(config.flows.dir);
  if (flows.length === 0) throw new ConfigError(`no flows found in ${config.flows.dir}`);
  return new FlowRegistry(flows);
}

/** Prints a pass summary for a person. */
export function formatSummary(s: PassSummary, out: Out): void {
  if (s.skipped) {
    out(`detect: skipped (${s.skipped})`);
    return;
  }
  out(`detect as of ${s.asOf}: ${s.events} new events, ${s.sessions} sessions finished (${s.stuckSessions} stuck) in ${s.durationMs} ms`);
  out(`  findings: ${Object.entries(s.findings).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const acted = Object.entries(s.interventions);
  out(`  interventions: ${acted.length ? acted.map(([k, v]) => `${k} ${v.treatment} queued, ${v.holdout} held out, ${v.blocked} blocked`).join('; ') : 'none'}`);
  const inel = Object.entries(s.ineligible);
  if (s.deferred || inel.length || s.expired) out(`  waiting for cool-down ${s.deferred}, not eligible ${inel.map(([k, v]) => `${k} ${v}`).join(', ') || 0}, expired ${s.expired}`);
  if (s.refit) out(`  models refitted: ${s.refit.bgbb} BG/BB cohorts, ${s.refit.sbg} sBG cohorts (${s.refit.ms} ms)`);
  if (s.outcomesClosed) out(`  outcome windows closed: ${s.outcomesClosed}`);
}

/** `vasgw detect [--now ISO] [--json] [--config FILE]`: one pass as the scheduler would run it. */
export async function runDetect(args: string[], out: Out, UsageError: UsageErrorCtor, err: Out = out): Promise<number> {
  const v = parse(args, { now: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' } }, UsageError);
  let clock: Clock = systemClock;
  if (v.now !== undefined) {
    const t = Date.parse(v.now);
    if (!/^\d{4}-\d{2}-\d{2}/.test(v.now) || Number.isNaN(t)) throw new UsageError(`--now "${v.now}" is not an ISO-8601 time (e.g. 2026-11-20T06:00:00Z)`);
    clock = new ManualClock(t);
  }
  const config = loadConfig({ file: v.config });
  const flows = flowsOf(config);
  // The configured database, either engine: the pass is written for both (on PostgreSQL it reads the log in this thread).
  let storage;
  try {
    storage = await openStorage(config);
  } catch (e) {
    if (!(e instanceof PostgresUnavailableError)) throw e;
    err(`vasgw detect: ${e.message}.`);
    return 1;
  }
  try {
    const core = buildCore({ config, storage, clock, log: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel), flows });
    const summary = await core.crm.runPass(clock.now());
    if (v.json) out(JSON.stringify(summary, null, 2));
    else formatSummary(summary, out);
    return summary.skipped ? 1 : 0;
  } finally {
    await storage.close();
  }
}

/**
 * Prints the planted-versus-what-happened table of a generation with the CRM acting; with `onboarding`
 * (the onboarding report over the population), the recovered figures beside the planted ones.
 */
export function formatTruth(s: GenerateSummary, out: Out, onboarding?: Record<string, unknown>): void {
  if (!s.crm) return;
  const c = s.crm;
  out(`crm: ${c.passes} daily passes (${(c.passMs / 1000).toFixed(1)} s); intervention SMS/calls delivered ${c.delivered}, failed ${c.failed}; subscribers moved to act ${c.moved}`);
  out('planted truth (closed outcome windows): kind, outcome, treated/holdout, delivered share, effect on reached (CACE), ITT');
  const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)} pts`);
  for (const t of c.truth) {
    out(`  ${t.kind.padEnd(15)} ${t.outcome.padEnd(15)} ${String(t.treated).padStart(6)}/${String(t.holdout).padEnd(6)} ${t.deliveryShare === null ? '-' : t.deliveryShare.toFixed(3)}  ${pct(t.effectOnReached).padStart(9)}  ${pct(t.itt).padStart(9)}`);
  }
  const o = c.onboarding;
  out(`onboarding: welcomed ${o.welcomed.treatment}, held out ${o.welcomed.holdout}, delivered ${o.welcomed.delivered}; planted: first go +${o.planted.firstGoMoveShare * 100}% of the reached, retention +${o.planted.retentionMoveShare * 100}% of the reached without a subscription`);
  type Cmp = { uplift: number | null; ci95: [number, number] | null; treatment: { subscribers: number }; holdout: { subscribers: number } };
  const got = (name: 'firstGo' | 'retention') => {
    const r = onboarding?.[name] as Cmp | undefined;
    return r ? `report ${pct(r.uplift)} (95% CI ${r.ci95 ? `${pct(r.ci95[0])} to ${pct(r.ci95[1])}` : '-'}) over ${r.treatment.subscribers}/${r.holdout.subscribers}` : '';
  };
  out(`  first go    planted ITT ${pct(o.firstGo.itt).padStart(9)}, on reached ${pct(o.firstGo.effectOnReached).padStart(9)}   ${got('firstGo')}`);
  out(`  retention   planted ITT ${pct(o.retention.itt).padStart(9)}, on reached ${pct(o.retention.effectOnReached).padStart(9)}   ${got('retention')}`);
}

// A null run: every intervention kind moves nobody, so any uplift the report shows is the comparison's own error.
const NO_EFFECT = Object.fromEntries(INTERVENTION_KINDS.map((k) => [k, 0]));

/** `vasgw generate --subscribers N --days D [--seed S] [--db PATH] [--crm [--no-effect]] | --append-days K`: a synthetic population. */
export async function runGenerate(args: string[], out: Out, UsageError: UsageErrorCtor, err: Out = out): Promise<number> {
  const v = parse(
    args,
    { subscribers: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' }, db: { type: 'string' }, 'append-days': { type: 'string' }, config: { type: 'string' }, quiet: { type: 'boolean' }, crm: { type: 'boolean' }, 'no-effect': { type: 'boolean' } },
    UsageError,
  );
  const int = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`--${name} must be a whole number of at least 1, not "${raw}"`);
    return Number(raw);
  };
  const append = int('append-days', v['append-days']);
  const subscribers = int('subscribers', v.subscribers);
  const days = int('days', v.days);
  const seed = v.seed === undefined ? 1 : int('seed', v.seed)!;
  if (append === undefined && (subscribers === undefined || days === undefined)) throw new UsageError('generate needs --subscribers N and --days D (or --append-days K on a generated database)');
  if (append !== undefined && (subscribers !== undefined || days !== undefined)) throw new UsageError('--append-days continues an earlier population: leave out --subscribers and --days');
  if (append !== undefined && v.crm) throw new UsageError('--crm simulates the CRM over a fresh population: it cannot be combined with --append-days');
  if (v['no-effect'] && !v.crm) throw new UsageError('--no-effect plants no intervention effect in the CRM simulation: it needs --crm');
  const config = loadConfig({ file: v.config });
  // On PostgreSQL the population is generated into a SQLite file of its own, then copied as `vasgw db
  // copy` does: the generator writes millions of rows through SQLite's bulk path, and the copy is one
  // transaction, so the database gets the whole population or nothing.
  const postgres = v.db === undefined && databaseBackend(config) === 'postgresql' ? config.database.url! : null;
  if (postgres && append !== undefined) throw new UsageError('--append-days continues a population in a SQLite file (--db PATH); on PostgreSQL, generate a whole population into an empty database instead');
  const staging = postgres ? mkdtempSync(path.join(os.tmpdir(), 'vasgw-generate-')) : null;
  const db = open(config, staging ? path.join(staging, 'population.db') : v.db);
  try {
    const flows = flowsOf(config);
    const gen = new PopulationGenerator(db, flows, config);
    const progress = v.quiet ? undefined : (l: string) => process.stderr.write(`${l}\n`);
    // The real CRM (detectors, holdouts, messaging, calls) on the same database, its clock moved day by day.
    let crm: CrmHook | undefined;
    let core: ReturnType<typeof buildCore> | null = null;
    if (v.crm) {
      const clock = new ManualClock(systemClock.now());
      const c = (core = buildCore({ config, storage: sqliteStorage(db), clock, log: createLogger('warn'), flows }));
      crm = {
        runPass: (now) => {
          clock.set(now);
          return c.crm.runPass(now);
        },
      };
    }
    let s;
    try {
      s = append !== undefined ? await gen.append(append, progress) : await gen.generate({ subscribers: subscribers!, days: days!, seed, now: systemClock.now(), ...(progress ? { progress } : {}), ...(crm ? { crm } : {}), ...(v['no-effect'] ? { moveShares: NO_EFFECT } : {}) });
    } catch (e) {
      if (e instanceof Error && /database|generate|append|must be/.test(e.message)) throw new UsageError(e.message);
      throw e;
    }
    out(
      `generated ${s.events} usage events (${s.sessions} sessions, ${s.stuckSessions} stuck; ${s.billingEvents} billing events, ${s.subscriptions} new subscriptions) ` +
        `for ${s.subscribers} subscribers, days ${s.fromDay}-${s.toDay - 1} (${s.startAt} to ${s.endAt}) in ${(s.ms / 1000).toFixed(1)} s`,
    );
    // Beside the planted onboarding truth, what the onboarding report recovers over the whole population.
    const onboarding = core && s.crm ? await core.reports.run('onboarding', { from: s.startAt.slice(0, 10), to: s.endAt.slice(0, 10) }) : undefined;
    formatTruth(s, out, onboarding);
    if (postgres) {
      const started = performance.now();
      let copied;
      try {
        // Beside console accounts made first (`vasgw users add`): the population never writes those tables.
        copied = await copySqliteToPostgres(db, postgres, { besideOtherTables: true });
      } catch (e) {
        if (!(e instanceof PostgresUnavailableError || e instanceof CopyRefusedError || e instanceof CopyFailedError)) throw e;
        err(`vasgw generate: ${e.message}; the generated population was not kept.`);
        return 1;
      }
      out(`copied ${copied.totalRows.toLocaleString('en-US')} rows into ${maskDatabaseUrl(postgres)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    return 0;
  } finally {
    closeDb(db);
    if (staging) rmSync(staging, { recursive: true, force: true });
  }
}
