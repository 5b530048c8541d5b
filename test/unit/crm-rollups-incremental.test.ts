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

const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-crm-rollups-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = loadConfig({ env: {} });
const flows = new FlowRegistry(loadFlowsOrThrow('flows'));
const START = Date.parse('2026-11-01T21:00:00Z');

const pass = (db: Db, now: number) => bareCrmPass(db, config, flows, now);

// Rollups the CRM pass keeps for first-go discovery (episodes), for demography (profile groups) and for
// advice served against its context.
const ROLLUPS = ['crm_discovery_daily', 'crm_discovery_profile_daily', 'crm_usage_profile_daily', 'crm_content_profile_daily', 'crm_context_daily', 'crm_menu_daily'];

const rollups = (db: Db) =>
  Object.fromEntries(
    ROLLUPS.map((t) => [
      t,
      (db.$client.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3, 4, 5, 6`).raw().all() as unknown[][]).map((r) => r.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : v))),
    ]),
  );

describe('discovery and demography rollups across passes', () => {
  it('passes that stop in the middle of sessions and episodes give exactly what one pass over the whole log gives', async () => {
    const base = path.join(dir, 'base.db');
    const db0 = openDb({ path: base });
    migrateDb(db0);
    await new PopulationGenerator(db0, flows, config).generate({ subscribers: 300, days: 6, seed: 3, startAt: START, now: START });
    db0.$client.pragma('wal_checkpoint(TRUNCATE)');
    db0.$client.close();
    const run = async (name: string, stops: number[]) => {
      const file = path.join(dir, `${name}.db`);
      copyFileSync(base, file);
      const db = openDb({ path: file });
      const open: number[] = [];
      for (const at of stops) {
        await pass(db, at);
        open.push((db.$client.prepare('SELECT count(*) AS n FROM crm_open_episodes').get() as { n: number }).n);
      }
      const out = { tables: rollups(db), open };
      db.$client.close();
      return out;
    };
    const end = START + 7 * DAY;
    // Stops every 5 hours and 7 minutes: at busy hours, in the middle of sessions and of episodes.
    const stops: number[] = [];
    for (let t = START + 3_600_000; t < end; t += 5 * 3_600_000 + 7 * 60_000) stops.push(t);
    const many = await run('many', [...stops, end]);
    const one = await run('one', [end]);
    expect(many.open.some((n) => n > 0)).toBe(true);
    for (const t of ['crm_discovery_daily', 'crm_usage_profile_daily', 'crm_content_profile_daily', 'crm_context_daily', 'crm_menu_daily']) expect(one.tables[t]!.length).toBeGreaterThan(10);
    expect(many.tables).toEqual(one.tables);
  });
});
