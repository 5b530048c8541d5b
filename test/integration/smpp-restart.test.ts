import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, eventually, testGateway, type TestGateway } from '../helpers/gateway';
import { FakeSmsc } from '../fakes/smsc';
import type { Config } from '../../src/config';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
let dir = '';
afterEach(async () => {
  await gw?.stop();
  await smsc?.stop();
  gw = null;
  smsc = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cfg = (port: number) =>
  ({
    // One instance id for every gateway on the file, as a restarted process keeps its own (test/fakes/gateway-process.ts too).
    server: { instanceId: 'gw-crash' },
    smpp: { binds: [{ id: 'trx', host: '127.0.0.1', port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', window: 5, reconnect: { minSeconds: 0.02, maxSeconds: 0.1 } }] as Config['smpp']['binds'] },
    messaging: { quietHours: null, dispatch: { pollMs: 10, batch: 50 } },
  }) as never;

async function allDelivered(g: TestGateway, ids: string[]) {
  return eventually(
    async () => {
      const all = await Promise.all(ids.map(async (id) => (await g.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTH })).json().status));
      return all.every((s) => s === 'delivered');
    },
    { what: 'every message delivered', timeoutMs: 10_000 },
  );
}

describe('durability', () => {
  it('sends a backlog queued while no SMSC answered, after a restart', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-smpp-'));
    const dbPath = path.join(dir, 'gw.db');
    smsc = await new FakeSmsc().start();
    const port = smsc.port;
    await smsc.stop();
    gw = await testGateway(cfg(port), { dbPath });
    await gw.start();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to: `+2547110000${String(i).padStart(2, '0')}`, text: `backlog ${i}`, kind: 'transactional' } });
      ids.push(r.json().id);
    }
    await gw.stop();
    smsc = await new FakeSmsc().start(port);
    gw = await testGateway(cfg(port), { dbPath });
    await gw.start();
    await allDelivered(gw, ids);
    expect(new Set(smsc.messages().map((m) => m.text)).size).toBe(20);
  });

  it('loses nothing when the process is killed with PDUs in flight: they are sent again after restart', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-smpp-'));
    const dbPath = path.join(dir, 'gw.db');
    smsc = await new FakeSmsc().start();
    smsc.holdResponses();
    // The database the child opens and the restarted gateway finds: the SQLite file, or on PostgreSQL the
    // database testGateway keeps for it (made here, before the child, so both name the same one).
    const made = await testGateway(cfg(smsc.port), { dbPath });
    const database = made.config.database.url ?? dbPath;
    await made.stop();
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../fakes/gateway-process.ts', import.meta.url)), database, String(smsc.port), '12'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await eventually(() => out.includes('READY'), { what: 'child gateway', timeoutMs: 15_000 });
    await eventually(() => smsc!.heldCount === 5, { what: 'a full window in flight' });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    smsc.dropConnections();
    smsc.holdResponses(false);
    expect(smsc.submits).toHaveLength(0);

    gw = await testGateway(cfg(smsc.port), { dbPath });
    await gw.start();
    const ids = (await gw.core.database.all<{ id: string }>(sql`SELECT id FROM messages ORDER BY created_at, id`)).map((r) => r.id);
    expect(ids).toHaveLength(12);
    await allDelivered(gw, ids);
    const texts = new Set(smsc.messages().map((m) => m.text));
    for (let i = 0; i < 12; i++) expect(texts.has(`crash ${i}`)).toBe(true);
  });
});
