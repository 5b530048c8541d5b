import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeSmsc, type ReceivedSubmit } from '../fakes/smsc';
import { AUTH, eventually } from '../helpers/gateway';
import { createTestDatabase, postgresUnavailable, testPostgresServer, type TestPostgresDatabase, type TestPostgresServer } from '../helpers/postgres';
import { killHard, serveOnPostgres, type ServedGateway } from '../helpers/served-gateway';

// Two real `vasgw serve` processes on one PostgreSQL database, as a deployment runs them behind a load
// balancer, and one of them killed with SIGKILL in the middle of its work: what it held only in memory
// is gone, what it committed stays, and the other gateway finishes the job. At-least-once towards the
// SMSC means a PDU the killed process had handed to the SMSC without committing its outcome is sent
// again; nothing else may be, and nothing may be lost.

const skip = postgresUnavailable();

/** Outbox claims of a gateway that died are taken over after this (messaging.dispatch.claimLeaseSeconds). */
const CLAIM_LEASE_SECONDS = 6;
/** A campaign run whose runner died is taken over after this (campaigns.leaseSeconds). */
const RUN_LEASE_SECONDS = 4;

const msisdn = (i: number) => `+2547${String(i).padStart(8, '0')}`;
/** The SMSC sees the number as the bind sent it; the outbox keeps it in E.164. */
const digits = (n: string) => n.replace(/^\+/, '');

let server: TestPostgresServer | null = null;
let db: TestPostgresDatabase | null = null;
let client: pg.Client | null = null;
let smsc: FakeSmsc | null = null;
let dir = '';
const gateways: ServedGateway[] = [];

async function freshDatabase(): Promise<pg.Client> {
  db = await createTestDatabase(server!, { migrated: true });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  return client;
}

async function serve(instanceId: string, config: Record<string, unknown>): Promise<ServedGateway> {
  const gw = await serveOnPostgres({ databaseUrl: db!.url, instanceId, dir, config });
  gateways.push(gw);
  return gw;
}

/** A bind of gateway `systemId` to the fake SMSC: each gateway logs in with its own account, so every submit names its sender. */
const bindTo = (port: number, systemId: string, extra: Record<string, unknown> = {}) => ({
  id: 'smsc',
  host: '127.0.0.1',
  port,
  systemId,
  password: 'secret',
  reconnect: { minSeconds: 0.05, maxSeconds: 0.25 },
  ...extra,
});

async function scalar(q: string, values: unknown[] = []): Promise<number> {
  const r = await client!.query<{ n: string }>(q, values);
  return Number(r.rows[0]?.n ?? 0);
}

/** PostgreSQL backends still open for a gateway (its connections carry its instance id as application_name). */
const backendsOf = (gw: ServedGateway) => scalar('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [gw.instanceId]);

/**
 * Kills `gw` with SIGKILL and waits until it is gone everywhere: the SMSC has closed its session (no
 * more submits can come from it) and PostgreSQL has ended its connections (a COMMIT it had sent is
 * committed or rolled back by now), so what the database says next is what the dead process left. Resolves
 * with the wall-clock time of its death.
 */
async function killMidWork(gw: ServedGateway, systemId: string): Promise<number> {
  expect(await backendsOf(gw)).toBeGreaterThan(0);
  await killHard(gw);
  // Wall-clock time, as the gateways write it into claims, leases and sent_at; taken once the process is
  // gone, so every time it wrote is before it.
  const at = Date.now();
  await eventually(() => !smsc!.bound().some((s) => s.systemId === systemId), { what: 'the SMSC session of the killed gateway closed', timeoutMs: 10_000 });
  await eventually(async () => (await backendsOf(gw)) === 0, { what: 'PostgreSQL let go of the killed gateway', timeoutMs: 10_000, intervalMs: 20 });
  return at;
}

/** POSTs each message to the gateway's /api/v1/messages, `concurrency` requests at a time. */
async function enqueueThrough(gw: ServedGateway, items: { to: string; text: string }[], concurrency = 8): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const r = await fetch(`${gw.base}/api/v1/messages`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ ...items[i], kind: 'transactional' }) });
      if (r.status !== 202) throw new Error(`${gw.instanceId} answered ${r.status} to message ${i}: ${await r.text()}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function api(gw: ServedGateway, method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${gw.base}/api/v1${url}`, { method, headers: { ...AUTH, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/** How often each key was submitted to the SMSC. */
function tally(submits: readonly ReceivedSubmit[], key: (s: ReceivedSubmit) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of submits) out.set(key(s), (out.get(key(s)) ?? 0) + 1);
  return out;
}

/** Keys submitted more than once, and the submits beyond the first. */
function duplicatesIn(counts: Map<string, number>): { keys: string[]; extra: number } {
  const keys = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
  return { keys, extra: keys.reduce((s, k) => s + counts.get(k)! - 1, 0) };
}

describe.skipIf(skip !== null)('two gateway processes on one PostgreSQL database, one killed', () => {
  beforeAll(async () => {
    server = await testPostgresServer();
  }, 120_000);

  afterEach(async () => {
    for (const gw of gateways.splice(0)) gw.proc.kill();
    await client?.end().catch(() => undefined);
    client = null;
    await smsc?.stop();
    smsc = null;
    await db?.drop();
    db = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  afterAll(async () => {
    await server?.stop();
  });

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vasgw-multiprocess-'));
  });

  it('sends all of 5,000 messages queued through both when one is killed mid-send; only its PDUs in flight go twice', async () => {
    const pgc = await freshDatabase();
    smsc = await new FakeSmsc({ accounts: { 'gw-a': 'secret', 'gw-b': 'secret' }, receipts: false }).start();
    const port = smsc.port;
    // The SMSC is down while the messages are queued, so the kill finds a full outbox, not a race with the API.
    await smsc.stop();
    // tps throttles each bind (as an operator's contract does), so sending 5,000 takes seconds, not a blink.
    const config = (systemId: string) => ({
      messaging: { quietHours: null, dispatch: { pollMs: 50, batch: 100, claimLeaseSeconds: CLAIM_LEASE_SECONDS } },
      smpp: { binds: [bindTo(port, systemId, { tps: 400, window: 20 })] },
      crm: { enabled: false, onboarding: { enabled: false } },
    });
    const [a, b] = await Promise.all([serve('gw-a', config('gw-a')), serve('gw-b', config('gw-b'))]);

    const items = Array.from({ length: 5000 }, (_, i) => ({ to: msisdn(i), text: `Mvua inakuja ${i}` }));
    await Promise.all([enqueueThrough(a, items.slice(0, 2500)), enqueueThrough(b, items.slice(2500))]);
    expect(await scalar("SELECT count(*) AS n FROM messages WHERE status = 'queued'")).toBe(5000);

    await smsc.start(port);
    const fromA = () => smsc!.submits.filter((s) => s.systemId === 'gw-a');
    await eventually(() => fromA().length >= 300, { what: 'some hundreds of submits from gw-a', timeoutMs: 30_000, intervalMs: 2 });
    const killedAt = await killMidWork(a, 'gw-a');

    // In flight at the kill: messages the SMSC received from the killed gateway's bind whose outcome the
    // killed gateway never committed (the row is still queued under its claim). The survivor cannot know
    // the SMSC has them, so it sends them again after the claim lease: these, and only these, may be
    // duplicates. Rows it had claimed but not submitted are stranded too, and must be sent once.
    const sentByA = new Set(fromA().map((s) => s.text));
    type Queued = { id: string; text: string; claimed_by: string | null; claim_expires_at: string | null };
    const queued = (await pgc.query<Queued>("SELECT id, text, claimed_by, claim_expires_at FROM messages WHERE status = 'queued'")).rows;
    const inFlightRows = queued.filter((r) => sentByA.has(r.text));
    expect(inFlightRows.filter((r) => r.claimed_by !== 'gw-a')).toEqual([]);
    const inFlight = new Set(inFlightRows.map((r) => r.text));
    const stranded = queued.filter((r) => r.claimed_by === 'gw-a');
    // The kill came mid-send: the killed gateway left claimed work behind for the survivor.
    expect(stranded.length).toBeGreaterThan(0);

    await eventually(async () => (await scalar("SELECT count(*) AS n FROM messages WHERE status <> 'sent'")) === 0, {
      what: 'every message sent by the survivor',
      timeoutMs: 90_000,
      intervalMs: 100,
    });
    const doneMs = Date.now() - killedAt;
    expect(b.proc.child.exitCode).toBeNull();
    expect(await scalar('SELECT count(*) AS n FROM messages WHERE claimed_by IS NOT NULL')).toBe(0);
    // The survivor sent the stranded rows, and never before their claim ran out: a live gateway's claims
    // are not taken.
    const taken = (await pgc.query<{ id: string; sent_at: string }>('SELECT id, sent_at FROM messages WHERE id = ANY($1)', [stranded.map((r) => r.id)])).rows;
    const expiry = new Map(stranded.map((r) => [r.id, Number(r.claim_expires_at)]));
    expect(taken.filter((r) => Number(r.sent_at) < expiry.get(r.id)!)).toEqual([]);
    const takeoverMs = Math.min(...taken.map((r) => Number(r.sent_at))) - killedAt;

    const perText = tally(smsc.submits, (s) => s.text);
    const lost = items.filter((m) => !perText.has(m.text));
    expect(lost).toEqual([]);
    const dups = duplicatesIn(perText);
    expect(dups.keys.filter((t) => !inFlight.has(t))).toEqual([]);
    expect(Math.max(...perText.values())).toBeLessThanOrEqual(2);
    expect(dups.extra).toBeLessThanOrEqual(inFlight.size);
    console.log(
      `kill test: 5000 enqueued, ${perText.size} delivered, ${dups.extra} duplicates, ${inFlight.size} in flight at kill ` +
        `(${sentByA.size} submitted by the killed gateway, ${stranded.length} of its claims stranded; first taken over ${takeoverMs} ms, all sent ${doneMs} ms after the kill)`,
    );
  }, 150_000);

  it('sends a 10,000-recipient campaign exactly once per recipient when the process running it is killed', async () => {
    const pgc = await freshDatabase();
    smsc = await new FakeSmsc({ accounts: { 'gw-a': 'secret', 'gw-b': 'secret' }, receipts: false }).start();
    // Small batches make the fan-out a hundred units of work, so the kill lands in the middle of it.
    const config = (systemId: string) => ({
      messaging: { quietHours: null, dispatch: { pollMs: 50, batch: 200, claimLeaseSeconds: CLAIM_LEASE_SECONDS } },
      smpp: { binds: [bindTo(smsc!.port, systemId, { window: 50 })] },
      campaigns: { tickSeconds: 0.5, batchSize: 100, leaseSeconds: RUN_LEASE_SECONDS },
      crm: { enabled: false, onboarding: { enabled: false } },
    });
    const [a, b] = await Promise.all([serve('gw-a', config('gw-a')), serve('gw-b', config('gw-b'))]);

    // 10,000 growers in Kirinyaga (the segment) and 500 in Nyeri who must get nothing, planted in one statement.
    const now = Date.now();
    await pgc.query(
      `INSERT INTO subscribers (msisdn, language, region, first_seen_at, updated_at)
       SELECT '+2547' || lpad(g::text, 8, '0'), 'en', CASE WHEN g <= 10000 THEN 'Kirinyaga' ELSE 'Nyeri' END, $1, $1 FROM generate_series(1, 10500) AS g`,
      [now],
    );
    const segment = await api(a, 'POST', '/segments', { name: 'Kirinyaga', filter: { region: 'Kirinyaga' } });
    expect(segment.status).toBe(201);
    const campaign = await api(a, 'POST', '/campaigns', { name: 'Long rains', kind: 'sms', segmentId: segment.body.id, text: { en: 'Plant maize with the first rains.' }, schedule: { at: new Date(now).toISOString() } });
    expect(campaign.status).toBe(201);
    const id = campaign.body.id as string;

    type Run = { status: string; queued: string; lease_owner: string | null; lease_expires_at: string | null };
    const run = async () => (await pgc.query<Run>('SELECT status, queued, lease_owner, lease_expires_at FROM campaign_runs WHERE campaign_id = $1', [id])).rows[0];
    // The run's lease names its owner host:pid:random: the gateway to kill is the one whose pid it carries.
    const ownerOf = (r: Run | undefined) => gateways.find((g) => r?.lease_owner && new RegExp(`:${g.pid}:[0-9a-f]+$`).test(r.lease_owner));
    const running = await eventually(async () => {
      const r = await run();
      return r && r.status === 'sending' && Number(r.queued) >= 1000 && ownerOf(r) ? r : null;
    }, { what: 'the campaign run under way', timeoutMs: 60_000, intervalMs: 5 });
    const runner = ownerOf(running)!;
    const survivor = runner === a ? b : a;
    const killedAt = await killMidWork(runner, runner.instanceId);

    const atKill = (await run())!;
    // The fan-out was cut short: the survivor has recipients left to queue, not only messages to send.
    expect(atKill.status).toBe('sending');
    expect(Number(atKill.queued)).toBeLessThan(10_000);
    // In flight at the kill, as in the test above: numbers the SMSC received from the killed gateway's
    // bind whose campaign message is still queued under its claim.
    const sentByRunner = new Set(smsc.submits.filter((s) => s.systemId === runner.instanceId).map((s) => digits(s.to)));
    const stranded = (
      await pgc.query<{ msisdn: string }>("SELECT msisdn FROM messages WHERE source = 'campaign' AND source_ref = $1 AND status = 'queued' AND claimed_by = $2", [id, runner.instanceId])
    ).rows;
    const inFlight = new Set(stranded.map((r) => digits(r.msisdn)).filter((n) => sentByRunner.has(n)));

    await eventually(
      async () => (await run())?.status === 'done' && (await scalar("SELECT count(*) AS n FROM messages WHERE source = 'campaign' AND status <> 'sent'")) === 0,
      { what: 'the campaign queued and sent in full', timeoutMs: 120_000, intervalMs: 100 },
    );
    const doneMs = Date.now() - killedAt;
    // The survivor handed the rest over, and not before the dead runner's lease ran out (renewed at its
    // last batch, a moment before the kill): a live runner's lease is not taken.
    expect(survivor.proc.child.exitCode).toBeNull();
    const handedAfter = await scalar('SELECT min(r.at) AS n FROM campaign_recipients r JOIN campaign_runs u ON u.id = r.run_id WHERE u.campaign_id = $1 AND r.at > $2', [id, killedAt]);
    expect(handedAfter).toBeGreaterThanOrEqual(Number(atKill.lease_expires_at));
    const takeoverMs = handedAfter - killedAt;

    // Exactly one outbox message per recipient, none to anybody outside the segment.
    const perRecipient = (await pgc.query<{ msisdn: string; n: string }>("SELECT msisdn, count(*) AS n FROM messages WHERE source = 'campaign' AND source_ref = $1 GROUP BY msisdn", [id])).rows;
    expect(perRecipient).toHaveLength(10_000);
    expect(perRecipient.filter((r) => Number(r.n) !== 1)).toEqual([]);
    expect(new Set(perRecipient.map((r) => r.msisdn))).toEqual(new Set(Array.from({ length: 10_000 }, (_, i) => msisdn(i + 1))));
    const finished = await pgc.query<{ total: string; queued: string; blocked: string }>('SELECT total, queued, blocked FROM campaign_runs WHERE campaign_id = $1', [id]);
    expect(finished.rows.map((r) => ({ total: Number(r.total), queued: Number(r.queued), blocked: Number(r.blocked) }))).toEqual([{ total: 10_000, queued: 10_000, blocked: 0 }]);
    expect(await scalar("SELECT count(*) AS n FROM campaign_recipients WHERE status = 'pending'")).toBe(0);

    // Every recipient reached the SMSC; a second copy only for a PDU in flight at the kill.
    const perNumber = tally(smsc.submits, (s) => digits(s.to));
    expect(perRecipient.filter((r) => !perNumber.has(digits(r.msisdn)))).toEqual([]);
    const dups = duplicatesIn(perNumber);
    expect(dups.keys.filter((n) => !inFlight.has(n))).toEqual([]);
    expect(dups.extra).toBeLessThanOrEqual(inFlight.size);
    console.log(
      `campaign kill test: 10000 recipients, ${Number(atKill.queued)} queued before the kill, 1 message per recipient, ${perNumber.size} reached the SMSC, ` +
        `${dups.extra} duplicates, ${inFlight.size} in flight at kill (${sentByRunner.size} submitted by the killed runner, ${stranded.length} of its claims stranded); ` +
        `run taken over ${takeoverMs} ms after the kill, all sent ${doneMs} ms after it`,
    );
  }, 180_000);

  it('carries one USSD session whose hops alternate between the two processes', async () => {
    const pgc = await freshDatabase();
    const config = { crm: { enabled: false, onboarding: { enabled: false } } };
    const [a, b] = await Promise.all([serve('gw-a', config), serve('gw-b', config)]);
    const walk = async (sessionId: string, phoneNumber: string, gatewayOf: (hop: number) => ServedGateway) => {
      const screens: string[] = [];
      for (const [hop, text] of ['', '1', '1*1', '1*1*1', '1*1*1*1'].entries()) {
        const r = await fetch(`${gatewayOf(hop).base}/ussd/africastalking`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ sessionId, serviceCode: '*384*1#', phoneNumber, networkCode: '63902', text }).toString(),
        });
        expect(r.status).toBe(200);
        screens.push(await r.text());
      }
      return screens;
    };
    // Hops go to gw-a, gw-b, gw-a, gw-b, gw-a: each finds the session the other process saved.
    const alternating = await walk('mp-alternate', '+254711083001', (hop) => (hop % 2 ? b : a));
    // The user sees what a session held by one process shows: the menu goes on, it does not restart.
    const oneProcess = await walk('mp-one', '+254711083002', () => a);
    expect(alternating).toEqual(oneProcess);
    expect(alternating.slice(0, 4).every((screen) => screen.startsWith('CON '))).toBe(true);
    expect(alternating[2]).toContain('Maize');
    expect(alternating[4]!.toLowerCase()).toContain('plant');
    const sessions = await pgc.query<{ hops: string }>("SELECT hops FROM sessions WHERE external_id = 'africastalking:mp-alternate'");
    expect(sessions.rows.map((r) => Number(r.hops))).toEqual([5]);
  }, 90_000);
});
