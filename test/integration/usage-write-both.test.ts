import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { subscribers, usageEvents } from '../../src/db/schema';
import type { UsageEvent } from '../../src/usage/usage-log';
import { eachBackend } from '../helpers/backends';
import { sessionStack, type SessionStack } from '../helpers/session-stack';

// The usage log's writes on both engines: events of a unit land in the order they happened (one
// statement per 16, so a long hop crosses a statement boundary), with their detail as written, and a
// failing unit leaves none of them.

const AT = Date.parse('2026-11-20T07:00:00Z');
const planted = { id: 7, msisdn: '+254711000007', firstSeenAt: AT, updatedAt: AT };
const event = (i: number): UsageEvent => ({
  at: AT + i,
  subscriberId: 7,
  channel: i % 2 ? 'ussd' : 'ivr',
  type: i === 0 ? 'session_start' : 'menu',
  sessionId: 'ses_1',
  flowId: 'crop-advice',
  nodeId: i === 0 ? null : `node-${i}`,
  detail: i % 3 === 0 ? { step: i, path: ['a', 'b'], nested: { ok: true } } : null,
});

eachBackend((get) => {
  let stack: SessionStack;
  beforeEach(async () => {
    await get().clear(usageEvents, subscribers);
    await get().plant(subscribers, [planted]);
    stack = sessionStack(get());
  });
  afterEach(() => stack.close());

  it('appends 1, 3 and 20 events in one unit, in order, with consecutive ids and the detail as written', async () => {
    const b = get();
    const batches = [[event(0)], [1, 2, 3].map(event), Array.from({ length: 20 }, (_, i) => event(10 + i))];
    await b.units.unit(async (tx) => {
      for (const batch of batches) await stack.usage.recordIn(tx, batch);
    });
    const listed = (await stack.usage.list(7, { limit: 100 })).reverse();
    const written = batches.flat();
    expect(listed).toHaveLength(written.length);
    for (const [i, e] of written.entries()) {
      expect(listed[i]).toMatchObject({ at: new Date(e.at).toISOString(), channel: e.channel, type: e.type, sessionId: 'ses_1', flowId: 'crop-advice' });
      expect(listed[i]!.nodeId).toBe(e.nodeId ?? undefined);
      expect(listed[i]!.detail).toEqual(e.detail ?? undefined);
      if (i > 0) expect(listed[i]!.id).toBe((listed[i - 1]!.id as number) + 1);
    }
    // Pages newest first by id.
    const page = await stack.usage.list(7, { limit: 2, beforeId: listed[3]!.id as number });
    expect(page.map((e) => e.id)).toEqual([listed[2]!.id, listed[1]!.id]);
  });

  it('keeps none of the events of a unit that fails', async () => {
    const b = get();
    await expect(
      b.units.unit(async (tx) => {
        await stack.usage.recordIn(tx, [event(1), event(2)]);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect((await b.database.get<{ n: number }>(sql`SELECT count(*) AS "n" FROM ${usageEvents}`))!.n).toBe(0);
  });
});
