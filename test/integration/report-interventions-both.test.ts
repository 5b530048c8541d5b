import { beforeAll, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { calls, crmFindings, crmInterventions, messageParts, messages, subscribers } from '../../src/db/schema';
import { interventionsReport } from '../../src/reports/interventions';
import { parseRange } from '../../src/reports/range';
import { InterventionsStore } from '../../src/reports/stores/interventions-store';
import { eachBackend } from '../helpers/backends';

// The interventions report on both engines: a planted set of SMS nudges and guidance calls, with their
// outbox and call rows, comes back as the delivery states, outcomes, revenue and billed cost it implies;
// the closed-window filter reads the boolean column, and the pending windows are bucketed per day.
const days = new Days('Africa/Nairobi');
const DAY = 86_400_000;
const now = Date.parse('2026-12-10T00:00:00Z');
const range = (q: { from: string; to: string }) => parseRange(q, now, days);
const nov = range({ from: '2026-11-01', to: '2026-11-30' });
const at = nov.from + 3 * DAY;
const openEnds = Date.parse('2026-12-12T09:00:00Z');

type I = typeof crmInterventions.$inferInsert;
let seq = 0;
const iv = (kind: string, arm: 'treatment' | 'holdout', channel: string, o: Partial<I> = {}): I => {
  const id = `i${++seq}`;
  return { id, findingId: `f-${id}`, subscriberId: 1, kind, findingKind: 'passive', arm, channel, status: arm === 'holdout' ? 'held_out' : 'queued', at, windowEndsAt: at + 7 * DAY, outcomeClosed: true, ...o };
};
const msg = (id: string, status: string, parts: number) => ({ id, subscriberId: 1, msisdn: '254700000001', text: 'hi', kind: 'promotional', source: 'crm', status, encoding: 'gsm7', parts, dueAt: at, expiresAt: at + DAY, createdAt: at, updatedAt: at });
const call = (id: string, status: string, o: Partial<typeof calls.$inferInsert> = {}) => ({ id, subscriberId: 1, msisdn: '254700000001', flowId: 'voice-guide', kind: 'promotional', source: 'crm', status, createdAt: at, updatedAt: at, ...o });

type Kind = {
  kind: string;
  channel: string;
  treated: { subscribers: number; sent: number; reached: number; blocked: number; smsParts: number };
  holdout: { subscribers: number };
  delivery: Record<string, number>;
  outcomes: Record<string, { treatment: number | null; holdout: number | null }>;
  revenue: { perTreated: number | null; perHoldout: number | null };
  cost: number;
};
type Report = { windows: string; pendingOutcomes: number; pending: Array<Record<string, unknown>>; kinds: Kind[] };

eachBackend((get) => {
  let store: InterventionsStore;
  const report = async (r = nov, o: { kind?: 'nudge' | 'voice_guidance'; windows?: 'closed' | 'all' } = {}) =>
    (await interventionsReport({ interventions: store }, days, r, { currency: 'KES', ...o })) as unknown as Report;

  beforeAll(async () => {
    const b = get();
    store = new InterventionsStore(b.database);
    seq = 0;
    await b.plant(subscribers, [{ id: 1, msisdn: '254700000001', firstSeenAt: 0, updatedAt: 0 }]);
    await b.plant(messages, [msg('m1', 'delivered', 2), msg('m2', 'failed', 3), msg('m3', 'queued', 1)]);
    await b.plant(messageParts, [{ messageId: 'm2', seq: 1, smsc: 's', smscId: 'x1', bindId: 'b', status: 'failed', submittedAt: at }]);
    await b.plant(calls, [
      call('c1', 'completed', { answeredAt: at, amount: 0.35, currency: 'kes', providerRef: 'p1' }),
      call('c2', 'no_answer'),
      call('c3', 'completed', { answeredAt: at, providerRef: 'p3' }),
      call('c4', 'completed', { answeredAt: at, amount: 1, currency: 'USD', providerRef: 'p4' }),
    ]);
    const ivs: I[] = [
      // SMS nudges: delivered (2 parts of 2 accepted), failed (1 part of 3 accepted), queued (window open), blocked.
      iv('nudge', 'treatment', 'sms', { messageId: 'm1', parts: 2, costMinor: 300, reachedContentAt: at + DAY, returnedAt: at + DAY, revenueMinor: 500 }),
      iv('nudge', 'treatment', 'sms', { messageId: 'm2', parts: 3, costMinor: 300 }),
      iv('nudge', 'treatment', 'sms', { messageId: 'm3', parts: 1, costMinor: 100, outcomeClosed: false, windowEndsAt: openEnds }),
      iv('nudge', 'treatment', 'sms', { status: 'blocked', reason: 'opted_out' }),
      iv('nudge', 'holdout', 'none', { reachedContentAt: at + DAY, revenueMinor: 200 }),
      iv('nudge', 'holdout', 'none'),
      iv('nudge', 'holdout', 'none', { returnedAt: at + 2 * DAY, renewedAt: at + 2 * DAY }),
      iv('nudge', 'holdout', 'none', { outcomeClosed: false, windowEndsAt: openEnds + 2 * DAY }),
      // Calls: answered at the provider's price (0.35 KES), not answered, answered without a price (quote), answered in USD (quote).
      iv('voice_guidance', 'treatment', 'call', { callId: 'c1', costMinor: 50, renewedAt: at + DAY }),
      iv('voice_guidance', 'treatment', 'call', { callId: 'c2', costMinor: 50 }),
      iv('voice_guidance', 'treatment', 'call', { callId: 'c3', costMinor: 50 }),
      iv('voice_guidance', 'treatment', 'call', { callId: 'c4', costMinor: 50 }),
      iv('voice_guidance', 'holdout', 'none'),
      // Outside the range.
      iv('nudge', 'treatment', 'sms', { at: nov.to + 1, messageId: 'm1', parts: 2, costMinor: 300, outcomeClosed: false }),
    ];
    await b.plant(crmFindings, ivs.map((i) => ({ id: i.findingId, subscriberId: 1, kind: 'passive', dedupeKey: i.findingId, status: 'acted', reason: 'r', detail: {}, detectedAt: at, notBefore: at, expiresAt: at, closedAt: at })));
    await b.plant(crmInterventions, ivs);
  });

  it('counts every delivery state, outcome, revenue and billed cost of the SMS nudges, open windows included', async () => {
    const r = await report(nov, { windows: 'all' });
    expect(r.kinds.map((k) => k.kind)).toEqual(['nudge', 'voice_guidance']);
    const n = r.kinds[0]!;
    expect(n.channel).toBe('sms');
    expect(n.treated).toEqual({ subscribers: 4, sent: 2, reached: 1, blocked: 1, smsParts: 3 });
    expect(n.holdout).toEqual({ subscribers: 4 });
    expect(n.delivery).toMatchObject({ queued: 1, sent: 0, delivered: 1, failed: 1, expired: 0, blocked: 1 });
    expect(n.outcomes.returned).toMatchObject({ treatment: 0.25, holdout: 0.25 });
    expect(n.outcomes.reachedContent).toMatchObject({ treatment: 0.25, holdout: 0.25 });
    expect(n.outcomes.renewed).toMatchObject({ treatment: 0, holdout: 0.25 });
    expect(n.revenue).toMatchObject({ perTreated: 1.25, perHoldout: 0.5 });
    // 300 for both parts delivered, 100 for the one part of three the SMSC accepted.
    expect(n.cost).toBe(4);
  });

  it('prices answered calls at what the provider reported in our currency, else at the quote', async () => {
    const v = (await report(nov, { windows: 'all' })).kinds[1]!;
    expect(v.channel).toBe('call');
    expect(v.treated).toEqual({ subscribers: 4, sent: 4, reached: 3, blocked: 0, smsParts: 0 });
    expect(v.delivery).toMatchObject({ answered: 3, not_answered: 1 });
    expect(v.outcomes.renewed).toMatchObject({ treatment: 0.25, holdout: 0 });
    expect(v.cost).toBe(1.35);
  });

  it('by default counts only closed windows and lists the open ones per day they close', async () => {
    const r = await report();
    const n = r.kinds.find((k) => k.kind === 'nudge')!;
    expect(n.treated.subscribers).toBe(3);
    expect(n.holdout.subscribers).toBe(3);
    expect(n.delivery.queued).toBe(0);
    expect(r.pendingOutcomes).toBe(2);
    expect(r.pending).toEqual([
      {
        kind: 'nudge',
        interventions: 2,
        treatment: 1,
        holdout: 1,
        firstWindowClosesAt: '2026-12-12T09:00:00.000Z',
        lastWindowClosesAt: '2026-12-14T09:00:00.000Z',
        allFinalAt: '2026-12-15T09:00:00.000Z',
        closingByDay: [
          { day: '2026-12-12', count: 1 },
          { day: '2026-12-14', count: 1 },
        ],
      },
    ]);
  });

  it('limits to one kind', async () => {
    const r = await report(nov, { kind: 'voice_guidance' });
    expect(r.kinds.map((k) => k.kind)).toEqual(['voice_guidance']);
    expect(r.pending).toEqual([]);
  });

  it('finds nothing in an empty range', async () => {
    const r = await report(range({ from: '2025-01-01', to: '2025-01-31' }), { windows: 'all' });
    expect(r).toMatchObject({ pendingOutcomes: 0, pending: [], kinds: [] });
  });
});
