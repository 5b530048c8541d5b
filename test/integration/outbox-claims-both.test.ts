import { sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import type { UnitOfWork } from '../../src/db/database';
import { messages } from '../../src/db/schema';
import { OutboxRepo } from '../../src/messaging/outbox-repo';
import { eachBackend } from '../helpers/backends';

// Outbox claims across processes, on both engines: a claim picks and marks due rows in one statement,
// so two dispatchers (two connections on PostgreSQL claiming at the same time; on SQLite units that take
// turns) never hold the same row; a row whose claim expired (its process died) is taken over, a live
// claim of another process is left alone, and a process takes back its own rows after a restart.
const now = Date.parse('2026-11-02T09:00:00Z');

const row = (id: string, o: { dueAt?: number; claimedBy?: string; claimExpiresAt?: number; operator?: string | null } = {}) => ({
  id, msisdn: '+254700001111', text: `text ${id}`, kind: 'transactional', source: 'api', status: 'queued', operator: o.operator === undefined ? 'saf' : o.operator,
  encoding: 'gsm7', parts: 1, dueAt: o.dueAt ?? now, expiresAt: now + 86_400_000, createdAt: now, updatedAt: now,
  claimedBy: o.claimedBy ?? null, claimExpiresAt: o.claimExpiresAt ?? null,
});

eachBackend((get) => {
  beforeEach(async () => {
    await get().clear(messages);
  });

  it('never lets two dispatchers claim the same row, and between them claims every due row once', async () => {
    const b = get();
    const ids = Array.from({ length: 60 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    await b.plant(messages, ids.map((id, i) => row(id, { dueAt: now - 60_000 + i })));
    const other = await b.reopen();
    try {
      // Another process: its own connection and pool on PostgreSQL; on SQLite (one writer) its claims
      // take turns with ours on the one connection.
      const pg = b.dialect === 'postgresql';
      const sides: Array<{ repo: OutboxRepo; units: UnitOfWork; owner: string; got: string[] }> = [
        { repo: new OutboxRepo(b.database), units: b.units, owner: 'gw-a', got: [] },
        { repo: new OutboxRepo(pg ? other.database : b.database), units: pg ? (other.database as unknown as UnitOfWork) : b.units, owner: 'gw-b', got: [] },
      ];
      // Each side reads past what it holds already, as the dispatcher does.
      const round = (s: (typeof sides)[number]) =>
        s.units.unit((tx) => s.repo.claim('saf', now, 7, new Set(s.got), { owner: s.owner, until: now + 60_000 }, tx)).then((r) => {
          s.got.push(...r.rows.map((x) => x.id));
          return r.rows.length;
        });
      // Both claim at the same time, each one claim after another (as a dispatcher does), until nothing is left.
      const drain = async (s: (typeof sides)[number]) => {
        for (let guard = 0; guard < 20 && (await round(s)) > 0; guard++);
      };
      await Promise.all([drain(sides[0]!), drain(sides[1]!)]);
      const [a, c] = sides;
      expect(a!.got.filter((id) => c!.got.includes(id))).toEqual([]);
      expect([...a!.got, ...c!.got].sort()).toEqual(ids);
      // The database says the same: each row is held by the dispatcher that got it.
      const held = await b.database.all<{ id: string; by: string }>(sql`SELECT ${messages.id} AS "id", ${messages.claimedBy} AS "by" FROM ${messages} ORDER BY ${messages.id}`);
      expect(held.filter((h) => h.by === 'gw-a').map((h) => h.id)).toEqual([...a!.got].sort());
    } finally {
      await other.close();
    }
  });

  it('on PostgreSQL, a claim skips the rows another process is claiming in an open transaction instead of waiting', async (ctx) => {
    const b = get();
    if (b.dialect !== 'postgresql') ctx.skip();
    await b.plant(messages, Array.from({ length: 10 }, (_, i) => row(`s${i}`, { dueAt: now - 100 + i })));
    const other = await b.reopen();
    try {
      const a = new OutboxRepo(b.database);
      const c = new OutboxRepo(other.database);
      let letGo!: () => void;
      const held = new Promise<void>((r) => (letGo = r));
      let first: string[] | null = null;
      // A's claim stays uncommitted (its rows locked) while B claims.
      const slow = b.units.unit(async (tx) => {
        first = (await a.claim('saf', now, 4, new Set(), { owner: 'gw-a', until: now + 60_000 }, tx)).rows.map((r) => r.id);
        await held;
      });
      while (first === null) await new Promise((r) => setImmediate(r));
      const second = await (other.database as unknown as UnitOfWork).unit((tx) => c.claim('saf', now, 4, new Set(), { owner: 'gw-b', until: now + 60_000 }, tx));
      letGo();
      await slow;
      expect(first).toEqual(['s0', 's1', 's2', 's3']);
      expect(second.rows.map((r) => r.id)).toEqual(['s4', 's5', 's6', 's7']);
    } finally {
      await other.close();
    }
  });

  it('takes over a row whose claim expired, leaves a live claim alone, and takes back its own rows', async () => {
    const b = get();
    await b.plant(messages, [
      row('dead', { claimedBy: 'gw-dead', claimExpiresAt: now - 1 }),
      row('busy', { claimedBy: 'gw-busy', claimExpiresAt: now + 30_000 }),
      row('mine', { claimedBy: 'gw-a', claimExpiresAt: now + 30_000 }),
      row('free'),
      row('later', { dueAt: now + 1000 }),
      row('other-lane', { operator: null }),
    ]);
    const repo = new OutboxRepo(b.database);
    const lease = { owner: 'gw-a', until: now + 60_000 };
    const got = await b.units.unit((tx) => repo.claim('saf', now, 10, new Set(), lease, tx));
    expect(got.rows.map((r) => r.id).sort()).toEqual(['dead', 'free', 'mine']);
    const claims = await b.database.all<{ id: string; by: string | null; until: number | null }>(
      sql`SELECT ${messages.id} AS "id", ${messages.claimedBy} AS "by", ${messages.claimExpiresAt} AS "until" FROM ${messages} ORDER BY ${messages.id}`,
    );
    expect(claims).toEqual([
      { id: 'busy', by: 'gw-busy', until: now + 30_000 },
      { id: 'dead', by: 'gw-a', until: now + 60_000 },
      { id: 'free', by: 'gw-a', until: now + 60_000 },
      { id: 'later', by: null, until: null },
      { id: 'mine', by: 'gw-a', until: now + 60_000 },
      { id: 'other-lane', by: null, until: null },
    ]);
    // The dead process's late answer changes nothing; the new holder's does, and lets go of the claim.
    const late = await b.units.unit((tx) => repo.markSent('dead', 'trx', now + 1, true, 'gw-dead', tx));
    const mine = await b.units.unit((tx) => repo.markSent('dead', 'trx', now + 2, true, 'gw-a', tx));
    expect([late, mine]).toEqual([false, true]);
    // Once the busy claim runs out, it is taken over too; a shutdown releases what is left.
    const after = await b.units.unit((tx) => repo.claim('saf', now + 31_000, 10, new Set(['free', 'mine']), { owner: 'gw-c', until: now + 90_000 }, tx));
    expect(after.rows.map((r) => r.id)).toEqual(['busy', 'later']);
    expect(await b.units.unit((tx) => repo.releaseAll('gw-c', tx))).toBe(2);
  });
});
