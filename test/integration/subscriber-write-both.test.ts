import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { subscribers } from '../../src/db/schema';
import { bool, json } from '../../src/db/portable';
import { eachBackend, type Backend } from '../helpers/backends';
import { sessionStack, type SessionStack } from '../helpers/session-stack';

// Subscribers' writes on both engines: created once on first contact (even by two units at the same
// time), last-seen only forward and to the minute, operator filled in, opt-out and profile as stored.

const M = '+254711000001';
const t = subscribers;

async function stored(b: Backend) {
  const r = await b.database.get<{ n: number }>(sql`SELECT count(*) AS "n" FROM ${t}`);
  const s = await b.database.get<{ id: number; lastSeenAt: number | null; operator: string | null; optedOut: unknown; optedOutAt: number | null; profile: unknown; language: string | null }>(
    sql`SELECT ${t.id} AS "id", ${t.lastSeenAt} AS "lastSeenAt", ${t.operator} AS "operator", ${t.optedOut} AS "optedOut", ${t.optedOutAt} AS "optedOutAt", ${t.profile} AS "profile", ${t.language} AS "language" FROM ${t} WHERE ${t.msisdn} = ${M}`,
  );
  return { count: r!.n, row: s && { ...s, optedOut: bool(s.optedOut), profile: json<Record<string, unknown>>(s.profile) } };
}

eachBackend((get) => {
  let stack: SessionStack;
  beforeEach(async () => {
    await get().clear(subscribers);
    stack = sessionStack(get());
  });
  afterEach(() => stack.close());

  it('creates a subscriber on first contact and finds the same one after; last-seen moves forward to the minute only', async () => {
    const b = get();
    const t0 = stack.clock.now();
    const first = await b.units.unit((tx) => stack.subscribers.ensureIn(tx, M, { operator: null }));
    expect(first).toMatchObject({ msisdn: M, firstSeenAt: t0, lastSeenAt: t0, optedOut: false, profile: {} });
    const again = await b.units.unit((tx) => stack.subscribers.ensureIn(tx, M, { at: t0 + 30_000 }));
    expect(again.id).toBe(first.id);
    expect((await stored(b)).row!.lastSeenAt).toBe(t0);
    await b.units.unit((tx) => stack.subscribers.ensureIn(tx, M, { at: t0 + 90_000, operator: 'safaricom' }));
    expect((await stored(b)).row).toMatchObject({ lastSeenAt: t0 + 90_000, operator: 'safaricom' });
    // An older event (delivered late) never moves it back.
    await b.units.unit((tx) => stack.subscribers.ensureIn(tx, M, { at: t0 - 3_600_000 }));
    expect((await stored(b)).row!.lastSeenAt).toBe(t0 + 90_000);
    // Sending to someone is not hearing from them.
    const quiet = await b.units.unit((tx) => stack.subscribers.ensureIn(tx, '+254711000002', { touch: false }));
    expect(quiet.lastSeenAt).toBeNull();
  });

  it('creates one row when two units meet a new number at the same time', async () => {
    const b = get();
    const ids = await Promise.all(Array.from({ length: 4 }, () => b.units.unit(async (tx) => (await stack.subscribers.ensureIn(tx, M)).id)));
    expect(new Set(ids).size).toBe(1);
    expect((await stored(b)).count).toBe(1);
  });

  it('stores opt-out and profile changes, and a failing unit leaves the row as it was', async () => {
    const b = get();
    const s = await b.units.unit((tx) => stack.subscribers.ensureIn(tx, M));
    stack.clock.advance(1000);
    await b.units.unit((tx) => stack.subscribers.setOptOutIn(tx, s.id, true));
    expect((await stored(b)).row).toMatchObject({ optedOut: true, optedOutAt: stack.clock.now() });
    const valid = stack.subscribers.validateProfile({ language: 'SW', crop: 'maize' });
    const after = await b.units.unit((tx) => stack.subscribers.applyProfileIn(tx, s.id, valid));
    expect(after).toMatchObject({ language: 'sw', crop: 'maize', optedOut: true });
    expect(await b.units.unit((tx) => stack.subscribers.updateProfileFromFlowIn(tx, s.id, 'nosuchfield', 'x'))).toMatch(/not a profile field/);
    await expect(
      b.units.unit(async (tx) => {
        await stack.subscribers.setOptOutIn(tx, s.id, false);
        await stack.subscribers.applyProfileIn(tx, s.id, stack.subscribers.validateProfile({ language: 'en' }));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect((await stored(b)).row).toMatchObject({ optedOut: true, language: 'sw' });
  });
});
