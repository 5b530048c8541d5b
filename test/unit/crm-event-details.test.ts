import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { migrateDb, openDb, type Db } from '../../src/db/client';
import { GroupCommit } from '../../src/db/group-commit';
import { sqliteDatabase } from '../../src/db/sqlite-database';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { createMetrics } from '../../src/lib/metrics';
import { UsageLog, type UsageEvent } from '../../src/usage/usage-log';
import { bareCrmPass } from '../helpers/crm-pass';

const config = loadConfig({ env: {} });
const flows = new FlowRegistry(loadFlowsOrThrow('flows'));
const T0 = Date.parse('2026-11-02T06:00:00Z');
const MIN = 60_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-crm-details-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One USSD session on crop-advice: start, the main menu, an end whose detail is `detail`. */
function session(sub: number, id: string, at: number, detail: Record<string, unknown> | null): UsageEvent[] {
  const base = { subscriberId: sub, channel: 'ussd' as const, sessionId: id };
  return [
    { ...base, at, type: 'session_start', flowId: 'crop-advice', nodeId: 'main' },
    { ...base, at: at + 10_000, type: 'menu', flowId: 'crop-advice', nodeId: 'main' },
    { ...base, at: at + 20_000, type: 'session_end', flowId: 'crop-advice', nodeId: 'main', detail },
  ];
}

function billing(sub: number, at: number, detail: Record<string, unknown> | null): UsageEvent {
  return { at, subscriberId: sub, channel: 'sms', type: 'billing', detail };
}

async function plant(db: Db, parallel: boolean) {
  migrateDb(db);
  const add = db.$client.prepare("INSERT INTO subscribers (msisdn, profile, first_seen_at, updated_at) VALUES (?, '{}', 0, 0)");
  for (const m of ['254700000001', '254700000002']) add.run(m);
  const database = sqliteDatabase(db);
  const log = new UsageLog(createMetrics({ processMetrics: false }), database);
  await new GroupCommit(db).unit((tx) => log.recordIn(tx, [
    ...session(1, 's1', T0, { reason: 'user_exit', depth: 1 }),
    ...session(1, 's2', T0 + 10 * MIN, null),
    ...session(1, 's3', T0 + 20 * MIN, { reason: null, depth: 'deep' }),
    // A reason that is not text: the pass counts it under its JSON form, as it always did.
    ...session(2, 's4', T0 + 30 * MIN, { reason: 7 }),
    ...session(2, 's5', T0 + 40 * MIN, { reason: 'timeout', dialect: 'africastalking' }),
    billing(1, T0 + 50 * MIN, { event: 'subscribed', serviceId: 'crop-daily', subscriptionId: 'sub_a', amount: 5 }),
    billing(1, T0 + 51 * MIN, { event: 'renewed', serviceId: 'crop-daily', subscriptionId: 'sub_a', amount: '5' }),
    billing(1, T0 + 52 * MIN, { event: 'renewed', serviceId: 'crop-daily', subscriptionId: 'sub_a', amount: 5, flag: 'suspect' }),
    billing(2, T0 + 53 * MIN, { event: 'renewal_failed', serviceId: 'crop-daily', subscriptionId: 'sub_b', amount: 5.5 }),
    billing(2, T0 + 54 * MIN, { event: 'renewed', serviceId: 7, subscriptionId: 'sub_b', amount: 5 }),
    billing(2, T0 + 55 * MIN, null),
  ]));
  return bareCrmPass(db, config, flows, T0 + 2 * 86_400_000, parallel ? { parallel: true, parallelMinEvents: 1 } : {});
}

describe('session-end and billing details in the CRM pass', () => {
  it('counts each end under its reason (none: completed) and each charge with its amount, whichever thread reads the log', async () => {
    for (const parallel of [false, true]) {
      // A file, so the parallel pass can read it from a worker thread.
      const db = openDb({ path: path.join(dir, `${parallel ? 'worker' : 'local'}.db`) });
      const summary = await plant(db, parallel);
      expect(summary.sessions).toBe(5);
      const ends = db.$client.prepare('SELECT ends FROM crm_session_daily').pluck().all() as string[];
      const total: Record<string, number> = {};
      for (const e of ends) for (const [k, v] of Object.entries(JSON.parse(e) as Record<string, number>)) total[k] = (total[k] ?? 0) + v;
      expect(total).toEqual({ user_exit: 1, completed: 2, '7': 1, timeout: 1 });
      const charges = Object.fromEntries(
        (db.$client.prepare('SELECT subscriber_id, charges_recent FROM crm_subscribers ORDER BY 1').raw().all() as [number, string | null][]).map(([id, c]) => [id, c ? (JSON.parse(c) as unknown[]) : null]),
      );
      // [at, service, 1 renewed / 2 subscribed / 0 failed, amount in minor units]; flagged and service-less events are not charges.
      expect(charges[1]).toEqual([
        [T0 + 50 * MIN, 'crop-daily', 2, 500],
        [T0 + 51 * MIN, 'crop-daily', 1, 0],
      ]);
      expect(charges[2]).toEqual([[T0 + 53 * MIN, 'crop-daily', 0, 550]]);
      db.$client.close();
    }
  });
});
