import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { CrmService } from '../../src/crm/crm-service';
import { PopulationGenerator } from '../../src/crm/generator/population';
import { migrateDb, openDb, type Db } from '../../src/db/client';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { DAY, ManualClock } from '../../src/lib/clock';
import { createMetrics } from '../../src/lib/metrics';
import { silentLogger } from '../../src/lib/logger';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-crm-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = loadConfig({ env: {} });
const flows = new FlowRegistry(loadFlowsOrThrow('flows'));
const START = Date.parse('2026-11-01T21:00:00Z');

function pass(db: Db, now: number) {
  const crm = new CrmService({
    db,
    config: { ...config, crm: { ...config.crm, act: false } },
    clock: new ManualClock(now),
    log: silentLogger,
    metrics: createMetrics({ processMetrics: false }),
    flows,
    subscribers: { findById: () => null },
    usage: { record: () => undefined },
    messaging: null,
    calls: null,
    parallelIngest: false,
  });
  return crm.runPass(now);
}

const demography = (db: Db) =>
  Object.fromEntries(
    ['crm_usage_profile_daily', 'crm_content_profile_daily'].map((t) => [
      t,
      (db.$client.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3, 4, 5, 6`).raw().all() as unknown[][]).map((r) => r.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : v))),
    ]),
  );

describe('demography rollups across passes', () => {
  it('passes that stop in the middle of sessions give exactly what one pass over the whole log gives', () => {
    const base = path.join(dir, 'base.db');
    const db0 = openDb({ path: base });
    migrateDb(db0);
    new PopulationGenerator(db0, flows, config).generate({ subscribers: 300, days: 6, seed: 3, startAt: START, now: START });
    db0.$client.pragma('wal_checkpoint(TRUNCATE)');
    db0.$client.close();
    const run = (name: string, stops: number[]) => {
      const file = path.join(dir, `${name}.db`);
      copyFileSync(base, file);
      const db = openDb({ path: file });
      for (const at of stops) pass(db, at);
      const out = demography(db);
      db.$client.close();
      return out;
    };
    const end = START + 7 * DAY;
    const stops: number[] = [];
    for (let t = START + 3_600_000; t < end; t += 5 * 3_600_000 + 7 * 60_000) stops.push(t);
    const many = run('many', [...stops, end]);
    const one = run('one', [end]);
    expect((one.crm_usage_profile_daily as unknown[]).length).toBeGreaterThan(10);
    expect((one.crm_content_profile_daily as unknown[]).length).toBeGreaterThan(10);
    expect(many).toEqual(one);
  });
});
