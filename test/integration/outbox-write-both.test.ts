import { sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { messageParts, messages, pendingReceipts, subscribers, usageEvents } from '../../src/db/schema';
import { createMetrics } from '../../src/lib/metrics';
import { silentLogger } from '../../src/lib/logger';
import { OutboxWriter } from '../../src/messaging/outbox-writer';
import { UsageLog } from '../../src/usage/usage-log';
import { OutboxRepo, type NewMessage } from '../../src/messaging/outbox-repo';
import { eachBackend, type Backend } from '../helpers/backends';

// The outbox's writes in units of work, on both engines: what a unit writes is there once it resolves
// and nothing of a failing one is; a message is marked sent once however many writers race for it; the
// receipt path (parts, early receipts, final states) and the sweep leave the rows a user would query.
const now = Date.parse('2026-11-02T09:00:00Z');
const HOUR = 3_600_000;
const OWNER = 'gw-a';
const LEASE = { owner: OWNER, until: now + 60_000 };

const msg = (id: string, o: Partial<NewMessage> = {}): NewMessage => ({
  id, subscriberId: null, msisdn: '+254700001111', sender: '20123', text: `text ${id}`, kind: 'transactional', source: 'api', sourceRef: null,
  status: 'queued', reason: null, operator: 'saf', encoding: 'gsm7', parts: 1, concatRef: 7, dueAt: now, expiresAt: now + 24 * HOUR,
  receiptRequested: 0, createdAt: now, finalAt: null, ...o,
});

eachBackend((get) => {
  let repo: OutboxRepo;
  const row = async (b: Backend, id: string) =>
    b.database.get<{ status: string; attempts: number; error: string | null; reason: string | null; sentAt: number | null; deliveredAt: number | null; finalAt: number | null; dueAt: number }>(
      sql`SELECT ${messages.status} AS "status", ${messages.attempts} AS "attempts", ${messages.error} AS "error", ${messages.reason} AS "reason",
        ${messages.sentAt} AS "sentAt", ${messages.deliveredAt} AS "deliveredAt", ${messages.finalAt} AS "finalAt", ${messages.dueAt} AS "dueAt"
        FROM ${messages} WHERE ${messages.id} = ${id}`,
    );

  beforeEach(async () => {
    const b = get();
    await b.clear(messageParts, pendingReceipts, messages, subscribers);
    repo = new OutboxRepo(b.database);
  });

  it('writes a unit whole once it resolves, and nothing of a unit that fails', async () => {
    const b = get();
    await b.units.unit(async (tx) => {
      await repo.insertIn(msg('a1'), tx);
      await repo.insertIn(msg('a2', { dueAt: now - 1000 }), tx);
    });
    await expect(
      b.units.unit(async (tx) => {
        await repo.insertIn(msg('a3'), tx);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    const other = await b.reopen();
    try {
      const ids = await other.database.all<{ id: string }>(sql`SELECT ${messages.id} AS "id" FROM ${messages} ORDER BY ${messages.id}`);
      expect(ids.map((r) => r.id)).toEqual(['a1', 'a2']);
    } finally {
      await other.close();
    }
    // The claim reads the lane in due order, past rows already held.
    const first = await b.units.unit((tx) => repo.claim('saf', now, 10, new Set(), LEASE, tx));
    expect(first.rows.map((r) => r.id)).toEqual(['a2', 'a1']);
    expect((await b.units.unit((tx) => repo.claim('saf', now, 10, new Set(['a2']), LEASE, tx))).rows.map((r) => r.id)).toEqual(['a1']);
    expect((await b.units.unit((tx) => repo.claimAfter('saf', now, 10, first.last!, new Set(), LEASE, tx))).rows).toEqual([]);
    expect((await b.units.unit((tx) => repo.claim(null, now, 10, new Set(), LEASE, tx))).rows).toEqual([]);
  });

  it('marks a message sent once when writers race for it, and retries and finals land as asked, only by the claim holder', async () => {
    const b = get();
    await b.plant(messages, [msg('r1'), msg('r2'), msg('r3')].map((r) => ({ ...r, updatedAt: now, claimedBy: OWNER, claimExpiresAt: LEASE.until })));
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => b.units.unit((tx) => repo.markSent('r1', `bind${i}`, now + 1, true, OWNER, tx))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await row(b, 'r1')).toMatchObject({ status: 'sent', attempts: 1, sentAt: now + 1, reason: null });
    // Another process's outcomes for rows it does not hold change nothing.
    const foreign = await b.units.unit(async (tx) => {
      await repo.retryLater({ id: 'r2', dueAt: now + 99_000, at: now + 2, error: 'X' }, 'other-host', tx);
      return [await repo.markSent('r2', 'b', now, true, 'other-host', tx), await repo.finalizeClaimed({ id: 'r3', status: 'failed', at: now }, 'other-host', tx)];
    });
    expect(foreign).toEqual([false, false]);
    expect(await row(b, 'r2')).toMatchObject({ status: 'queued', attempts: 0, dueAt: now });
    await b.units.unit(async (tx) => {
      await repo.retryLater({ id: 'r2', dueAt: now + 60_000, at: now + 2, error: 'ESME_RTHROTTLED', errorCode: 0x58 }, OWNER, tx);
      await repo.finalizeClaimed({ id: 'r3', status: 'failed', at: now + 3, error: 'ESME_RINVDSTADR', errorCode: 0x0b, attempt: true }, OWNER, tx);
    });
    expect(await row(b, 'r2')).toMatchObject({ status: 'queued', attempts: 1, dueAt: now + 60_000, error: 'ESME_RTHROTTLED' });
    expect(await row(b, 'r3')).toMatchObject({ status: 'failed', attempts: 1, finalAt: now + 3, error: 'ESME_RINVDSTADR' });
    // A retried row is no longer due now; a sent one is never claimed again.
    expect((await b.units.unit((tx) => repo.claim('saf', now + 10, 10, new Set(), LEASE, tx))).rows).toEqual([]);
  });

  it('records parts, matches receipts by SMSC id, keeps early ones and finalizes when every part is delivered', async () => {
    const b = get();
    await b.plant(messages, [{ ...msg('p1', { parts: 2 }), updatedAt: now, claimedBy: OWNER, claimExpiresAt: LEASE.until }]);
    await b.units.unit(async (tx) => {
      await repo.insertPart({ messageId: 'p1', seq: 1, smsc: 'smsc1', smscId: 'ab01', bindId: 'trx', at: now }, tx);
      await repo.insertPart({ messageId: 'p1', seq: 2, smsc: 'smsc1', smscId: 'ab02', bindId: 'trx', at: now }, tx);
      await repo.markSent('p1', 'trx', now, true, OWNER, tx);
      await repo.insertPending({ smsc: 'smsc1', smscId: 'ff09', stat: 'DELIVRD', err: null, at: now }, tx);
    });
    expect((await repo.partBySmscId('smsc1', 'ab02'))!.seq).toBe(2);
    expect(await repo.pendingCount()).toBe(1);
    const counts = await b.units.unit(async (tx) => {
      await repo.updatePart({ messageId: 'p1', seq: 1, status: 'delivered', stat: 'DELIVRD', err: null, at: now + 5 }, tx);
      const c = await repo.partCounts('p1', tx);
      await repo.updatePart({ messageId: 'p1', seq: 2, status: 'delivered', stat: 'DELIVRD', err: null, at: now + 6 }, tx);
      await repo.finalize({ id: 'p1', status: 'delivered', at: now + 6 }, tx);
      return [c, await repo.partCounts('p1', tx)];
    });
    expect(counts).toEqual([
      { total: 2, delivered: 1 },
      { total: 2, delivered: 2 },
    ]);
    expect(await row(b, 'p1')).toMatchObject({ status: 'delivered', deliveredAt: now + 6, finalAt: now + 6 });
    expect((await repo.parts('p1')).map((p) => [p.seq, p.status, p.dlrStat])).toEqual([
      [1, 'delivered', 'DELIVRD'],
      [2, 'delivered', 'DELIVRD'],
    ]);
    const pend = await b.units.unit(async (tx) => {
      const p = await repo.pendingFor('smsc1', 'ff09', tx);
      expect(await repo.takePending(p[0]!.id, tx)).toBe(true);
      // Taken once: a second taker (another process's sweep) gets nothing to apply.
      expect(await repo.takePending(p[0]!.id, tx)).toBe(false);
      return p;
    });
    expect(pend).toMatchObject([{ stat: 'DELIVRD', err: null, receivedAt: now }]);
    expect(await repo.pendingCount()).toBe(0);
  });

  it('expires what ran out of validity, drops stale early receipts and hands partner receipts over once', async () => {
    const b = get();
    await b.plant(messages, [
      { ...msg('e1', { expiresAt: now - 1 }), updatedAt: now },
      { ...msg('e2', { status: 'sent', expiresAt: now - 1 }), updatedAt: now },
      { ...msg('e3', { status: 'sent', reason: 'no_receipt_requested', expiresAt: now - 1 }), updatedAt: now },
      { ...msg('k1', { source: 'partner:acme', receiptRequested: 1, status: 'failed', finalAt: now - 5 }), updatedAt: now },
      { ...msg('k2', { source: 'partner:acme', receiptRequested: 1, status: 'delivered', finalAt: now - 9 }), updatedAt: now },
    ]);
    await b.plant(pendingReceipts, [
      { smsc: 's', smscId: 'old', stat: 'DELIVRD', err: null, receivedAt: now - 2 * 86_400_000 },
      { smsc: 's', smscId: 'new', stat: 'DELIVRD', err: null, receivedAt: now },
    ]);
    const { expired, dropped } = await b.units.unit(async (tx) => ({ expired: await repo.expire(now, tx), dropped: await repo.prunePending(now - 86_400_000, tx) }));
    expect(expired.map((r) => [r.id, r.status])).toEqual([
      ['e1', 'expired'],
      ['e2', 'expired'],
    ]);
    expect(dropped).toBe(1);
    expect(await row(b, 'e1')).toMatchObject({ status: 'expired', reason: 'validity', finalAt: now });
    expect(await row(b, 'e2')).toMatchObject({ status: 'expired', reason: 'no_receipt' });
    expect(await row(b, 'e3')).toMatchObject({ status: 'sent' });
    expect((await repo.receiptsDue('partner:acme', 10)).map((r) => r.id)).toEqual(['k2', 'k1']);
    await b.units.unit((tx) => repo.markReceiptSent('k2', now, tx));
    expect((await repo.receiptsDue('partner:acme', 10)).map((r) => r.id)).toEqual(['k1']);
    expect(await repo.depth()).toEqual({ queued: 0, sent: 1 });
  });

  it('counts a subscriber\'s promotional messages inside the unit that is about to add one', async () => {
    const b = get();
    await b.plant(subscribers, [{ id: 1, msisdn: '+254700001111', firstSeenAt: now, updatedAt: now }]);
    await b.plant(messages, [
      { ...msg('c1', { subscriberId: 1, kind: 'promotional' }), updatedAt: now },
      { ...msg('c2', { subscriberId: 1, kind: 'promotional', status: 'blocked' }), updatedAt: now },
      { ...msg('c3', { subscriberId: 1, kind: 'promotional', createdAt: now - 10 * 86_400_000 }), updatedAt: now },
    ]);
    const seen = await b.units.unit(async (tx) => {
      const before = await repo.promotionalSinceIn(1, now - 86_400_000, tx);
      await repo.insertIn(msg('c4', { subscriberId: 1, kind: 'promotional' }), tx);
      return [before, await repo.promotionalSinceIn(1, now - 86_400_000, tx), [...(await repo.promotionalCountsIn([1, 2], now - 86_400_000, tx))]];
    });
    expect(seen).toEqual([1, 2, [[1, 2]]]);
  });

  it('matches a receipt whichever process kept it: the part recorded later, by another process or in the same instant, finds it', async () => {
    const b = get();
    await b.plant(messages, [msg('x1'), msg('x2')].map((r) => ({ ...r, status: 'sent', updatedAt: now, sentAt: now })));
    // PostgreSQL: the second process is a second connection with a writer of its own. SQLite has one
    // writer process, so there the one writer records the part.
    const other = b.dialect === 'postgresql' ? await b.reopen() : null;
    const writer = (on: { database: Backend['database']; units: Backend['units'] }) => {
      const metrics = createMetrics({ processMetrics: false });
      return new OutboxWriter({ repo: new OutboxRepo(on.database), log: silentLogger, metrics, usage: new UsageLog(metrics, on.database), units: on.units, pendingReceiptTtlMs: HOUR, owner: OWNER });
    };
    const a = writer(b);
    const c = other ? writer(other) : a;
    try {
      await a.start();
      if (c !== a) await c.start();
      // The receipt overtakes the submit_sm_resp on process A's bind; process C records the part afterwards.
      a.push({ t: 'receipt', r: { smsc: 'smsc1', smscId: 'a1', stat: 'DELIVRD', err: null, bindId: 'bind-a' }, at: now + 1 });
      await a.flush();
      c.push({ t: 'part', messageId: 'x1', seq: 1, smsc: 'smsc1', smscId: 'a1', bindId: 'bind-c', at: now + 2 });
      await c.flush();
      expect(await row(b, 'x1')).toMatchObject({ status: 'delivered', deliveredAt: now + 1 });
      if (!other) return;
      // Kept while the part was being recorded, by two processes whose units did not see each other's
      // rows (only possible with several writers): the next sweep of either applies it, once.
      await b.units.unit(async (tx) => {
        await repo.insertPart({ messageId: 'x2', seq: 1, smsc: 'smsc1', smscId: 'b2', bindId: 'bind-c', at: now + 3 }, tx);
        await repo.insertPending({ smsc: 'smsc1', smscId: 'b2', stat: 'DELIVRD', err: null, at: now + 4 }, tx);
      });
      await Promise.all([a.sweep(now + 5), c.sweep(now + 5)]);
      expect(await row(b, 'x2')).toMatchObject({ status: 'delivered', deliveredAt: now + 4 });
      expect(await repo.pendingCount()).toBe(0);
      const delivered = await b.database.all<{ n: unknown }>(sql`SELECT count(*) AS "n" FROM ${usageEvents} WHERE ${usageEvents.type} = 'sms_status'`);
      expect(Number(delivered[0]!.n)).toBe(0); // no subscriber on these rows: nothing to log, and nothing twice
    } finally {
      await a.stop();
      if (c !== a) await c.stop();
      await other?.close();
    }
  });
});
