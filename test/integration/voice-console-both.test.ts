import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { CallService } from '../../src/calls/call-service';
import { loadConfig } from '../../src/config';
import { migrateDb, openDb, type Db } from '../../src/db/client';
import type { UnitOfWork } from '../../src/db/database';
import { json } from '../../src/db/portable';
import { calls, sessions, subscribers, usageEvents } from '../../src/db/schema';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { silentLogger } from '../../src/lib/logger';
import { createMetrics } from '../../src/lib/metrics';
import { VoiceService } from '../../src/voice/voice-service';
import type { VoiceRequest } from '../../src/voice/types';
import { eachBackend, type Backend } from '../helpers/backends';
import { sessionStack, type SessionStack } from '../helpers/session-stack';

// An outbound IVR call's provider callbacks through the voice service on both engines: the answer, the
// keys and the final status each run in one unit of work, which holds the call queue's change, the
// session and every usage event of the callback. A callback whose unit fails leaves none of them.
const OWN = '+254700000999';
const MSISDN = '+254711000001';
const config = loadConfig({ env: {} });
const flows = new FlowRegistry(loadFlowsOrThrow(path.resolve('flows')));

interface CallState {
  status: string;
  sessionId: string | null;
  providerRef: string | null;
  answeredAt: number | null;
  durationSeconds: number | null;
  attempts: number;
}

eachBackend((get) => {
  let stack: SessionStack;
  let handle: Db;
  let callService: CallService;

  const voiceOf = (units: UnitOfWork, s = stack, queue = callService) =>
    new VoiceService({ config: config.ivr, log: silentLogger, metrics: createMetrics({ processMetrics: false }), flows, sessions: s.sessions, subscribers: s.subscribers, units, calls: queue });

  const callRow = async (b: Backend, id: string) =>
    (await b.database.get<CallState>(
      sql`SELECT ${calls.status} AS "status", ${calls.sessionId} AS "sessionId", ${calls.providerRef} AS "providerRef", ${calls.answeredAt} AS "answeredAt",
            ${calls.durationSeconds} AS "durationSeconds", ${calls.attempts} AS "attempts" FROM ${calls} WHERE ${calls.id} = ${id}`,
    ))!;

  const usage = async (b: Backend) =>
    (
      await b.database.all<{ type: string; sessionId: string | null; detail: unknown }>(
        sql`SELECT ${usageEvents.type} AS "type", ${usageEvents.sessionId} AS "sessionId", ${usageEvents.detail} AS "detail" FROM ${usageEvents} ORDER BY ${usageEvents.id}`,
      )
    ).map((e) => ({ type: e.type, sessionId: e.sessionId, detail: json<Record<string, unknown> | null>(e.detail) }));

  const sessionRows = (b: Backend) => b.database.all<{ id: string; status: string }>(sql`SELECT ${sessions.id} AS "id", ${sessions.status} AS "status" FROM ${sessions}`);

  /** A call queued through the unit form and dialled by the dispatcher: the provider calls it `ref-1`. */
  const dialled = async (): Promise<string> => {
    const queued = await callService.request({ to: MSISDN, flowId: 'voice-guide', kind: 'transactional', source: 'api' });
    callService.attachProvider({ name: 'fake', placeCall: async () => ({ providerRef: 'ref-1' }) });
    await callService.tick();
    // stop() waits for the dial's own unit (the provider's reference).
    await callService.stop();
    return queued.id;
  };

  const answer = (callId: string, digits: string | null): VoiceRequest => ({ kind: 'call', callRef: 'ref-1', direction: 'outbound', caller: OWN, called: MSISDN, callId, digits, ownNumber: OWN });

  /** One gateway process's call queue over `b`, its stack's subscribers and usage log. */
  const callQueue = (b: Pick<Backend, 'database' | 'units'>, s: SessionStack) =>
    new CallService({
      database: b.database,
      units: b.units,
      clock: s.clock,
      log: silentLogger,
      metrics: createMetrics({ processMetrics: false }),
      config: config.ivr,
      flows,
      subscribers: s.subscribers,
      usage: s.usage,
      policy: () => ({ action: 'call' }),
    });

  beforeEach(async () => {
    const b = get();
    await b.clear(usageEvents, calls, sessions, subscribers);
    stack = sessionStack(b);
    // The call queue's synchronous forms are prepared on a SQLite handle: a throwaway one nothing here writes to.
    handle = openDb({ path: ':memory:' });
    migrateDb(handle);
    callService = callQueue(b, stack);
  });

  afterEach(() => {
    stack.close();
    handle.$client.close();
  });

  it('an answered, keyed and finished call leaves the call, its session and every usage event', async () => {
    const b = get();
    const id = await dialled();
    expect(await callRow(b, id)).toMatchObject({ status: 'dialing', providerRef: 'ref-1', attempts: 1 });

    const voice = voiceOf(b.units);
    const first = await voice.handle('africastalking', answer(id, null));
    expect(first.kind).toBe('plan');
    const [session] = await sessionRows(b);
    expect(session).toMatchObject({ status: 'active' });
    expect(await callRow(b, id)).toMatchObject({ status: 'in_progress', sessionId: session!.id, answeredAt: stack.clock.now() });

    stack.clock.advance(5_000);
    expect((await voice.handle('africastalking', answer(id, '1'))).kind).toBe('plan');

    stack.clock.advance(40_000);
    const ended = await voice.handle('africastalking', {
      kind: 'ended',
      callRef: 'ref-1',
      direction: 'outbound',
      caller: OWN,
      called: MSISDN,
      callId: id,
      ownNumber: OWN,
      outcome: { status: 'completed', durationSeconds: 45, amount: 0.5, currency: 'KES' },
    });
    expect(ended).toEqual({ kind: 'done' });
    expect(await callRow(b, id)).toMatchObject({ status: 'completed', sessionId: session!.id, durationSeconds: 45 });
    expect((await sessionRows(b))[0]!.status).not.toBe('active');

    const events = await usage(b);
    const statuses = events.filter((e) => e.type === 'call_status').map((e) => e.detail!.status);
    expect(statuses).toEqual(['answered', 'completed']);
    expect(events.filter((e) => e.type === 'call_out')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'session_start')).toHaveLength(1);
    const end = events.filter((e) => e.type === 'session_end');
    expect(end).toHaveLength(1);
    expect(end[0]).toMatchObject({ sessionId: session!.id, detail: expect.objectContaining({ callId: id, durationSeconds: 45 }) });
  });

  it('a callback whose unit fails leaves the call as it was, no session and no usage event of it', async () => {
    const b = get();
    const id = await dialled();
    const before = await usage(b);
    const failing: UnitOfWork = {
      unit: (fn) =>
        b.units.unit(async (tx) => {
          await fn(tx);
          throw new Error('refused after the callback wrote');
        }),
    };
    await expect(voiceOf(failing).handle('africastalking', answer(id, null))).rejects.toThrow('refused');
    expect(await callRow(b, id)).toMatchObject({ status: 'dialing', sessionId: null, answeredAt: null });
    expect(await sessionRows(b)).toEqual([]);
    expect(await usage(b)).toEqual(before);

    // The platform retries the same answer: it is applied once, whole.
    expect((await voiceOf(b.units).handle('africastalking', answer(id, null))).kind).toBe('plan');
    expect(await callRow(b, id)).toMatchObject({ status: 'in_progress' });
    expect((await usage(b)).filter((e) => e.type === 'call_status').map((e) => e.detail!.status)).toEqual(['answered']);
  });

  it('the final status delivered to two processes at once closes the call once', async () => {
    const b = get();
    const id = await dialled();
    await voiceOf(b.units).handle('africastalking', answer(id, null));
    const other = await b.reopen();
    try {
      // On SQLite one connection writes: the second process is a second stack on it. On PostgreSQL it is another pool.
      const theirs: Pick<Backend, 'database' | 'units'> = b.dialect === 'postgresql' ? { database: other.database, units: other.database as unknown as UnitOfWork } : b;
      const theirStack = sessionStack({ ...b, ...theirs }, stack.clock);
      try {
        const ended: VoiceRequest = { kind: 'ended', callRef: 'ref-1', direction: 'outbound', caller: OWN, called: MSISDN, callId: id, ownNumber: OWN, outcome: { status: 'completed', durationSeconds: 30 } };
        const answers = await Promise.all([voiceOf(b.units).handle('africastalking', ended), voiceOf(theirs.units, theirStack, callQueue(theirs, theirStack)).handle('africastalking', ended)]);
        expect(answers).toEqual([{ kind: 'done' }, { kind: 'done' }]);
      } finally {
        theirStack.close();
      }
    } finally {
      await other.close();
    }
    expect(await callRow(b, id)).toMatchObject({ status: 'completed', durationSeconds: 30 });
    const events = await usage(b);
    expect(events.filter((e) => e.type === 'call_status').map((e) => e.detail!.status)).toEqual(['answered', 'completed']);
    expect(events.filter((e) => e.type === 'session_end')).toHaveLength(1);
  });
});
