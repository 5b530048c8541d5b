import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { sessions, subscribers, usageEvents } from '../../src/db/schema';
import { json } from '../../src/db/portable';
import type { HopRequest } from '../../src/sessions/session-service';
import { SessionRepo, type SessionRow } from '../../src/sessions/session-repo';
import { eachBackend, type Backend } from '../helpers/backends';
import { sessionStack, type SessionStack } from '../helpers/session-stack';

// Sessions on both engines: a hop is one unit (session, subscriber, events), the row is the truth when
// hops of one session land on different processes, and a save from a copy that was overtaken writes
// nothing. Two stacks on one database stand for two gateway processes (each keeps its own copies).

const MSISDN = '+254711000001';
const hop = (externalId: string, text: string, msisdn = MSISDN): HopRequest => ({
  channel: 'ussd',
  externalId,
  msisdn,
  entry: { ussdCode: '*384*1#' },
  input: { history: text === '' ? [] : text.split('*') },
  maxChars: 182,
});
const latest = (externalId: string, input: string | null): HopRequest => ({ ...hop(externalId, ''), input: { latest: input } });

async function row(b: Backend, externalId: string): Promise<{ hops: number; status: string; consumed: number } | undefined> {
  const s = sessions;
  const r = await b.database.get<{ hops: number; status: string; state: unknown }>(
    sql`SELECT ${s.hops} AS "hops", ${s.status} AS "status", ${s.state} AS "state" FROM ${s} WHERE ${s.externalId} = ${externalId}`,
  );
  return r && { hops: r.hops, status: r.status, consumed: json<{ consumed: number }>(r.state).consumed };
}

async function eventTypes(b: Backend): Promise<string[]> {
  const u = usageEvents;
  return (await b.database.all<{ type: string }>(sql`SELECT ${u.type} AS "type" FROM ${u} ORDER BY ${u.id}`)).map((r) => r.type);
}

eachBackend((get) => {
  let a: SessionStack;
  let other: SessionStack;
  beforeEach(async () => {
    await get().clear(usageEvents, sessions, subscribers);
    a = sessionStack(get());
    other = sessionStack(get(), a.clock);
  });
  afterEach(() => {
    a.close();
    other.close();
  });

  it('writes a hop as one unit: the subscriber, the session row and its events', async () => {
    const b = get();
    const first = await a.sessions.hop(hop('at:1', ''));
    expect(first.end).toBe(false);
    expect(await row(b, 'at:1')).toEqual({ hops: 1, status: 'active', consumed: 0 });
    const sub = await b.database.get<{ msisdn: string; lastSeenAt: number }>(sql`SELECT ${subscribers.msisdn} AS "msisdn", ${subscribers.lastSeenAt} AS "lastSeenAt" FROM ${subscribers}`);
    expect(sub).toEqual({ msisdn: MSISDN, lastSeenAt: a.clock.now() });
    expect((await eventTypes(b))[0]).toBe('session_start');
    // Choosing a language stores it on the subscriber (a set_profile effect) in the same unit.
    await a.sessions.hop(hop('at:1', '1'));
    expect(await row(b, 'at:1')).toEqual({ hops: 2, status: 'active', consumed: 1 });
    expect((await b.database.get<{ language: string }>(sql`SELECT ${subscribers.language} AS "language" FROM ${subscribers}`))!.language).toBe('en');
  });

  it('continues a session whose hops alternate between two processes exactly as one process would', async () => {
    const b = get();
    const walk = ['', '1', '1*1', '1*1*1', '1*1*1*1'];
    const alone: string[] = [];
    for (const text of walk) alone.push((await a.sessions.hop(hop('at:alone', text, '+254711000009'))).screen.text);
    const alternating: string[] = [];
    for (const [i, text] of walk.entries()) alternating.push((await (i % 2 === 0 ? a : other).sessions.hop(hop('at:both', text))).screen.text);
    expect(alternating).toEqual(alone);
    expect(await row(b, 'at:both')).toEqual(await row(b, 'at:alone'));
  });

  it('applies both of two hops that arrive at once on two processes, losing neither', async () => {
    const b = get();
    await a.sessions.hop(latest('json:race', null));
    await other.sessions.hop(latest('json:race', '1')); // `a` now holds an old copy
    await Promise.all([a.sessions.hop(latest('json:race', '1')), other.sessions.hop(latest('json:race', '1'))]);
    expect((await row(b, 'json:race'))!.hops).toBe(4);
  });

  it('ends a quiet session once when two processes sweep at the same time', async () => {
    const b = get();
    await a.sessions.hop(hop('at:quiet', ''));
    a.clock.advance(200_000);
    const [x, y] = await Promise.all([a.sessions.sweep(), other.sessions.sweep()]);
    expect(x + y).toBe(1);
    expect((await row(b, 'at:quiet'))!.status).toBe('ended');
    expect((await eventTypes(b)).filter((t) => t === 'session_end')).toHaveLength(1);
    // A hop after the end, from the process that still remembers the session active, is told it ended.
    const late = await a.sessions.hop(hop('at:quiet', '1'));
    expect(late.end).toBe(true);
    expect((await row(b, 'at:quiet'))!.hops).toBe(1);
  });

  it('writes nothing from a copy the row has moved past, and keeps the first of two sessions with one channel id', async () => {
    const b = get();
    const sub = await b.units.unit((tx) => a.subscribers.ensureIn(tx, MSISDN));
    const repo = new SessionRepo(b.database);
    const now = a.clock.now();
    const session: SessionRow = {
      id: 'ses_store_1', channel: 'ussd', externalId: 'at:store', subscriberId: sub.id, flowId: 'crop-advice', serviceCode: '*384*1#',
      state: { engine: { node: 'main', stack: [], phase: 'node' } as never, consumed: 0, noInput: 0 },
      status: 'active', endReason: null, hops: 1, startedAt: now, lastActivityAt: now, endedAt: null,
    };
    expect(await b.units.unit((tx) => repo.insert(session, tx))).toBe(true);
    expect(await b.units.unit((tx) => repo.insert({ ...session, id: 'ses_store_2' }, tx))).toBe(false);
    expect(await b.units.unit((tx) => repo.update({ ...session, hops: 2, lastActivityAt: now + 1 }, 1, tx))).toBe(true);
    expect(await b.units.unit((tx) => repo.update({ ...session, hops: 2, lastActivityAt: now + 2 }, 1, tx))).toBe(false);
    expect(await b.units.unit((tx) => repo.update({ ...session, hops: 2, status: 'ended', endReason: 'timeout', endedAt: now + 3 }, 1, tx))).toBe(false);
    const stored = (await repo.findByExternal('ussd', 'at:store'))!;
    expect(stored).toMatchObject({ id: 'ses_store_1', hops: 2, status: 'active', lastActivityAt: now + 1, endReason: null });
    expect(stored.state).toEqual(session.state);
  });
});
