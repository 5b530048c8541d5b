import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../helpers/gateway';
import { ussdSession } from '../helpers/crm';

let gw: TestGateway | null = null;
const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-crm-sched-'));
afterEach(async () => {
  await gw?.stop();
  gw = null;
  rmSync(dir, { recursive: true, force: true });
});

describe('scheduled passes', () => {
  // On a SQLite file the pass runs in a worker thread on its own connection; on PostgreSQL on the gateway's
  // pool, its I/O asynchronous. Either way the gateway answers meanwhile and a second tick joins the first.
  it('run off the request path (on SQLite in a worker thread on their own connection), while the gateway keeps answering, and refuse to overlap', async () => {
    gw = await testGateway({ crm: { holdoutPercent: 0 } }, { now: '2026-11-20T07:00:00Z', dbPath: path.join(dir, 'gw.db') });
    for (let i = 0; i < 3; i++) await ussdSession(gw, '+254777000001', [...(i === 0 ? ['1'] : []), '1', '1', '9', '8', '7']);
    const scheduler = gw.core.crmScheduler;
    const first = scheduler.runScheduled();
    expect(scheduler.runScheduled()).toBe(first); // a tick while a pass runs joins it
    // The main thread is free while the worker works: a USSD hop is answered meanwhile.
    const hop = await ussdSession(gw, '+254777000002', []);
    expect(hop[0]).toMatch(/^CON /);
    const summary = await first;
    expect(summary).toMatchObject({ findings: expect.objectContaining({ stuck: 1 }), interventions: { education_sms: { treatment: 1, holdout: 0, blocked: 0 } } });
    // What the worker wrote is in the gateway's database.
    const row = await gw.core.database.all(sql`SELECT kind, status FROM crm_findings`);
    expect(row).toEqual([{ kind: 'stuck', status: 'acted' }]);
    expect(await gw.core.database.get(sql`SELECT count(*) AS n FROM messages WHERE source = 'intervention'`)).toEqual({ n: 1 });
    // The worker's pass shows in the gateway's metrics.
    const metrics = (await gw.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('vasgw_crm_findings_total{kind="stuck"} 1');
    expect(metrics).toContain('vasgw_crm_interventions_total{kind="education_sms",arm="treatment",status="queued"} 1');
  });
});
