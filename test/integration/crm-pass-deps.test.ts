import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CrmService } from '../../src/crm/crm-service';
import { buildPassDeps } from '../../src/crm/pass-deps';
import { openDb } from '../../src/db/client';
import { ManualClock } from '../../src/lib/clock';
import { silentLogger } from '../../src/lib/logger';
import { testGateway, type TestGateway } from '../helpers/gateway';
import { ussdSession } from '../helpers/crm';
import { setOptOut, subscriberId } from '../helpers/subscribers';

let gw: TestGateway | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await gw?.stop();
  gw = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a CRM pass outside the core (the scheduler worker)', () => {
  it('finds and acts through the outbox with only subscribers, usage, messaging and calls built', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-pass-deps-'));
    dirs.push(dir);
    // SQLite by subject on either run: the worker opens the gateway's SQLite file (on PostgreSQL scheduled
    // passes run on the gateway's pool and build no deps of their own).
    gw = await testGateway({ crm: { holdoutPercent: 0 } }, { now: '2026-11-20T07:00:00Z', dbPath: path.join(dir, 'gw.db'), backend: 'sqlite' });
    // A farmer stuck three times on the same menu, and one who opted out stuck the same way.
    for (let i = 0; i < 3; i++) await ussdSession(gw, '+254777000001', [...(i === 0 ? ['1'] : []), '1', '1', '9', '8', '7']);
    for (let i = 0; i < 3; i++) await ussdSession(gw, '+254777000002', [...(i === 0 ? ['1'] : []), '1', '1', '9', '8', '7']);
    await setOptOut(gw.core, await subscriberId(gw.core, '+254777000002'), true);

    // The pass on its own connection, as the worker runs it.
    const db = openDb({ path: path.join(dir, 'gw.db') });
    try {
      const deps = buildPassDeps({ config: gw.core.config, db, clock: new ManualClock(gw.clock.now()), log: silentLogger, flows: gw.core.flows });
      expect(Object.keys(deps).sort()).toEqual(['calls', 'clock', 'config', 'database', 'db', 'flows', 'log', 'messaging', 'metrics', 'subscribers', 'units', 'usage']);
      const summary = await new CrmService(deps).runPass(gw.clock.now());
      expect(summary).toMatchObject({ findings: expect.objectContaining({ stuck: 2 }), interventions: { education_sms: { treatment: 1, holdout: 0, blocked: 0 } }, ineligible: { opted_out: 1 } });
    } finally {
      db.$client.close();
    }
    // What it queued is in the gateway's outbox, for the gateway's dispatcher: the opted-out farmer gets nothing.
    const queued = gw.core.db.$client.prepare("SELECT msisdn, status FROM messages WHERE source = 'intervention'").all();
    expect(queued).toEqual([{ msisdn: '+254777000001', status: 'queued' }]);
  });
});
