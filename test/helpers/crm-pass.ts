import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '../../src/config';
import { CrmService } from '../../src/crm/crm-service';
import { PopulationGenerator, type GenerateOptions, type GenerateSummary } from '../../src/crm/generator/population';
import type { Db } from '../../src/db/client';
import { closeDb } from '../../src/db/handle';
import { copySqliteToPostgres, openCopySource } from '../../src/db/postgres/copy';
import type { PgDatabase } from '../../src/db/postgres/pg-database';
import type { Database, UnitOfWork } from '../../src/db/database';
import { GroupCommit } from '../../src/db/group-commit';
import { sqliteDatabase } from '../../src/db/sqlite-database';
import type { FlowRegistry } from '../../src/engine/flow-registry';
import { ManualClock } from '../../src/lib/clock';
import { createMetrics } from '../../src/lib/metrics';
import { silentLogger } from '../../src/lib/logger';
import { buildGateway, type Gateway } from '../../src/server';
import type { TestGateway } from './gateway';

/**
 * A CRM service with no messaging and no acting, on `on` (either engine; `db` only for SQLite's
 * parallel ingest): what the rollup tests run passes of.
 */
export function bareCrmService(on: { db?: Db; database: Database; units: UnitOfWork }, config: Config, flows: FlowRegistry, now: number, ingest: { parallel?: boolean; parallelMinEvents?: number } = {}): CrmService {
  return new CrmService({
    ...(on.db ? { db: on.db } : {}),
    database: on.database,
    units: on.units,
    config: { ...config, crm: { ...config.crm, act: false } },
    clock: new ManualClock(now),
    log: silentLogger,
    metrics: createMetrics({ processMetrics: false }),
    flows,
    subscribers: { findByIdIn: async () => null },
    usage: { recordIn: async () => undefined },
    messaging: null,
    calls: null,
    parallelIngest: ingest.parallel ?? false,
    ...(ingest.parallelMinEvents !== undefined ? { parallelMinEvents: ingest.parallelMinEvents } : {}),
  });
}

/**
 * One CRM pass over the SQLite `db` as of `now`, with no messaging and no acting: what the rollup tests
 * compare (many passes against one, parallel ingest against serial).
 */
export function bareCrmPass(db: Db, config: Config, flows: FlowRegistry, now: number, ingest: { parallel?: boolean; parallelMinEvents?: number } = {}) {
  return bareCrmService({ db, database: sqliteDatabase(db), units: new GroupCommit(db) }, config, flows, now, ingest).runPass(now);
}

/**
 * Generates a population (a planted truth) into the gateway's database, as `new PopulationGenerator(...)
 * .generate(options)` does on SQLite, on either engine.
 *
 * The generator writes SQLite only. On PostgreSQL the same generation runs against a gateway on a staging
 * SQLite file (same config, same clock), and the result is copied into the gateway's database the way
 * `vasgw generate` does: what the test then reads, PostgreSQL answers. The gateway's database may hold
 * rows only where the population has none (console accounts and sessions); otherwise the copy refuses,
 * naming the tables.
 */
export function generatePopulation(gw: TestGateway, options: GenerateOptions): Promise<GenerateSummary> {
  return generateOnEither(gw, () => options);
}

/**
 * As `generatePopulation`, while the CRM passes and acts day by day on the gateway's clock, as the
 * scheduler would (on PostgreSQL, the staging gateway's CRM). Leaves the clock at the last pass.
 * `moveShares` replaces the planted effects (0 plants none).
 */
export function generateWithCrm(gw: TestGateway, opts: { subscribers: number; days: number; joinDays?: number; seed: number; start: number; moveShares?: GenerateOptions['moveShares'] }): Promise<GenerateSummary> {
  return generateOnEither(gw, (on) => ({
    subscribers: opts.subscribers,
    days: opts.days,
    ...(opts.joinDays !== undefined ? { joinDays: opts.joinDays } : {}),
    ...(opts.moveShares !== undefined ? { moveShares: opts.moveShares } : {}),
    seed: opts.seed,
    startAt: opts.start,
    now: opts.start,
    crm: {
      runPass: (now) => {
        gw.clock.set(now);
        return on.core.crm.runPass(now);
      },
    },
  }));
}

/** Runs the generator with `options(on)` on the gateway itself (SQLite) or on a staging copy (PostgreSQL). */
async function generateOnEither(gw: TestGateway, options: (on: Gateway) => GenerateOptions): Promise<GenerateSummary> {
  const run = (on: Gateway) => new PopulationGenerator(on.core.db, on.core.flows, on.core.config).generate(options(on));
  if (gw.core.database.dialect !== 'postgresql') return run(gw);
  const dir = mkdtempSync(path.join(tmpdir(), 'vasgw-staging-'));
  try {
    const file = path.join(dir, 'staging.db');
    const staging = await buildGateway({ config: { ...gw.core.config, database: { ...gw.core.config.database, path: file, url: null } }, clock: gw.clock, log: silentLogger });
    let summary: GenerateSummary;
    try {
      summary = await run(staging);
    } finally {
      await staging.stop();
    }
    const source = openCopySource(file);
    try {
      await copySqliteToPostgres(source, (gw.core.database as PgDatabase).pool, { besideOtherTables: true });
    } finally {
      closeDb(source);
    }
    return summary;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
