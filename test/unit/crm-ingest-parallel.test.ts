import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { PopulationGenerator } from '../../src/crm/generator/population';
import { migrateDb, openDb, type Db } from '../../src/db/client';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { DAY } from '../../src/lib/clock';
import { bareCrmPass } from '../helpers/crm-pass';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-crm-par-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = loadConfig({ env: {} });
const flows = new FlowRegistry(loadFlowsOrThrow('flows'));
const START = Date.parse('2026-11-01T21:00:00Z');

const pass = (db: Db, now: number, parallel: boolean) => bareCrmPass(db, config, flows, now, { parallel, parallelMinEvents: 1 });

const tables = (db: Db) =>
  Object.fromEntries(
    ['crm_subscribers', 'crm_node_daily', 'crm_session_daily', 'crm_usage_daily', 'crm_open_sessions'].map((t) => [t, db.$client.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3, 4`).raw().all()]),
  );

describe('reading the usage log in a worker thread', () => {
  it('gives exactly what reading it in the pass thread gives, including sessions left open between passes', async () => {
    const base = path.join(dir, 'base.db');
    const db0 = openDb({ path: base });
    migrateDb(db0);
    await new PopulationGenerator(db0, flows, config).generate({ subscribers: 300, days: 6, seed: 2, startAt: START, now: START });
    db0.$client.pragma('wal_checkpoint(TRUNCATE)');
    db0.$client.close();
    const results = await Promise.all([true, false].map(async (parallel) => {
      const file = path.join(dir, `${parallel ? 'worker' : 'local'}.db`);
      copyFileSync(base, file);
      const db = openDb({ path: file });
      // Two passes: the first stops mid-day, so some sessions are carried into the second.
      const first = await pass(db, START + 3 * DAY + 14 * 3_600_000, parallel);
      const second = await pass(db, START + 6 * DAY, parallel);
      const out = { first: { events: first.events, sessions: first.sessions, findings: first.findings }, second: { events: second.events, sessions: second.sessions, findings: second.findings }, tables: tables(db) };
      db.$client.close();
      return out;
    }));
    expect(results[0]!.first.events).toBeGreaterThan(500);
    expect((results[0]!.tables.crm_open_sessions as unknown[]).length + results[0]!.first.sessions).toBeGreaterThan(0);
    expect(results[0]).toEqual(results[1]);
  });
});
