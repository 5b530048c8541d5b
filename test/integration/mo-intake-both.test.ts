import { sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { concatParts, inboundSms } from '../../src/db/schema';
import { ConcatBuffer, joinParts, type ConcatGroup } from '../../src/messaging/concat-buffer';
import { decodeText } from '../../src/messaging/encoding';
import { InboundRepo } from '../../src/messaging/inbound-repo';
import { eachBackend } from '../helpers/backends';

// What MO intake writes, in units of work on both engines: concatenated parts are kept (a resent part
// once) until the last one completes the group, which then leaves the table; stale groups are handed
// back with what arrived; an aggregator's repeated id is recorded once even when two units race for it.
const now = Date.parse('2026-11-02T09:00:00Z');

eachBackend((get) => {
  let concat: ConcatBuffer;
  let inbound: InboundRepo;

  beforeEach(async () => {
    const b = get();
    await b.clear(concatParts, inboundSms);
    concat = new ConcatBuffer(b.database);
    inbound = new InboundRepo(b.database);
  });

  const part = (groupKey: string, seq: number, total: number, text: string, meta: Record<string, unknown> = { from: '+254700001111', to: '20123' }) => ({
    groupKey, seq, total, dataCoding: 0, data: Buffer.from(text, 'latin1'), meta, at: now,
  });

  it('keeps parts until the group is whole, ignores a resent part and hands the group back in order with its meta', async () => {
    const b = get();
    const g1 = await b.units.unit(async (tx) => concat.add(part('mo|a', 2, 3, 'lo wo'), tx));
    const g2 = await b.units.unit(async (tx) => concat.add(part('mo|a', 2, 3, 'other'), tx));
    const g3 = await b.units.unit(async (tx) => concat.add(part('mo|a', 1, 3, 'hel', { from: '+254700001111', to: '20123', n: [1, 2] }), tx));
    expect([g1, g2, g3]).toEqual([null, null, null]);
    expect(await b.units.unit((tx) => concat.metaOf('mo|a', tx))).toEqual({ from: '+254700001111', to: '20123' });
    const whole = await b.units.unit(async (tx) => concat.add(part('mo|a', 3, 3, 'rld'), tx));
    expect(whole).toMatchObject({ groupKey: 'mo|a', missing: [], meta: { from: '+254700001111', to: '20123', n: [1, 2] } });
    expect(joinParts(whole!, decodeText)).toBe('hello world');
    expect((await b.database.get<{ n: number }>(sql`SELECT count(*) AS "n" FROM ${concatParts}`))!.n).toBe(0);
  });

  it('completes a group once when its last two parts arrive at two processes at the same moment', async () => {
    const b = get();
    await b.units.unit(async (tx) => concat.add(part('mo|r', 1, 3, 'to'), tx));
    let wholes: unknown[];
    if (b.dialect === 'postgresql') {
      // Process A has stored part 2 and not yet committed when process B stores part 3: B's count must
      // wait for A's commit, or each counts two parts and neither completes the group.
      const other = await b.reopen();
      try {
        let stored!: () => void;
        const aStored = new Promise<void>((resolve) => (stored = resolve));
        const a = other.units.unit(async (tx) => {
          const g = await new ConcatBuffer(other.database).add(part('mo|r', 2, 3, 'ge'), tx);
          stored();
          await new Promise((resolve) => setTimeout(resolve, 300)); // B runs meanwhile
          return g;
        });
        await aStored;
        const c = b.units.unit(async (tx) => concat.add(part('mo|r', 3, 3, 'ther'), tx));
        wholes = (await Promise.all([a, c])).filter((g) => g !== null);
      } finally {
        await other.close();
      }
    } else {
      // One writer: the two units take turns.
      const both = await Promise.all([b.units.unit(async (tx) => concat.add(part('mo|r', 2, 3, 'ge'), tx)), b.units.unit(async (tx) => concat.add(part('mo|r', 3, 3, 'ther'), tx))]);
      wholes = both.filter((g) => g !== null);
    }
    expect(wholes).toHaveLength(1);
    expect(joinParts(wholes[0] as ConcatGroup, decodeText)).toBe('together');
    expect((await b.database.get<{ n: number }>(sql`SELECT count(*) AS "n" FROM ${concatParts}`))!.n).toBe(0);
  });

  it('leaves no part of a unit that fails, and hands stale groups back with what arrived', async () => {
    const b = get();
    await expect(
      b.units.unit(async (tx) => {
        await concat.add(part('mo|b', 1, 2, 'gone'), tx);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await b.units.unit(async (tx) => concat.add({ ...part('mo|c', 2, 3, 'middle'), at: now - 60_000 }, tx));
    await b.units.unit(async (tx) => concat.add(part('mo|d', 1, 2, 'fresh'), tx));
    const stale = await b.units.unit((tx) => concat.expired(now - 30_000, tx));
    expect(stale.map((g) => [g.groupKey, g.missing, joinParts(g, decodeText)])).toEqual([['mo|c', [1, 3], 'middle']]);
    const left = await b.database.all<{ k: string }>(sql`SELECT ${concatParts.groupKey} AS "k" FROM ${concatParts} ORDER BY ${concatParts.groupKey}`);
    expect(left.map((r) => r.k)).toEqual(['mo|d']);
  });

  it('records an aggregator id once, even when two units race for it; a message without an id always', async () => {
    const b = get();
    const sms = (externalId: string | null, text: string) => ({
      source: 'africastalking', externalId, fromAddr: '+254700001111', toAddr: '20123', text, subscriberId: null, route: 'unroutable', receivedAt: now, createdAt: now,
    });
    const ids = await Promise.all([
      b.units.unit((tx) => inbound.insert(sms('ATX1', 'first'), tx)),
      b.units.unit((tx) => inbound.insert(sms('ATX1', 'again'), tx)),
      b.units.unit((tx) => inbound.insert(sms(null, 'no id'), tx)),
      b.units.unit((tx) => inbound.insert(sms(null, 'no id'), tx)),
    ]);
    expect(ids.filter((id) => id === null)).toHaveLength(1);
    const first = ids[0] ?? ids[1]!;
    await b.units.unit((tx) => inbound.setRoute(first, 'keyword', null, tx));
    const kept = (await inbound.byFrom('+254700001111')).map((r) => `${r.externalId ?? '(no id)'} ${r.route}`).sort();
    expect(kept).toEqual(['(no id) unroutable', '(no id) unroutable', 'ATX1 keyword']);
  });
});
