import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { SubscriberViewStore } from '../../src/crm/subscriber-view-store';
import { billingEvents, calls, crmFindings, crmInterventions, crmSubscribers, messageParts, messages, sessions, subscribers, subscriptions, usageEvents } from '../../src/db/schema';
import { acceptedParts, callPlaced, callState, smsSent } from '../../src/reports/stores/delivery-store';
import { SubscriberSearchStore } from '../../src/subscribers/subscriber-search-store';
import { TimelineStore } from '../../src/subscribers/timeline-store';
import { eachBackend } from '../helpers/backends';

// What the console's subscriber search, a subscriber's timeline and the CRM block of GET
// /api/v1/subscribers/:msisdn read, on both engines: planted rows come back as the pages show them,
// with booleans (opted out), JSON (a finding's detail, an SMS's text) and the orders they promise.
const t0 = Date.parse('2026-11-02T09:00:00Z');
const at = (minutes: number) => t0 + minutes * 60_000;

const subscriber = (id: number, msisdn: string, o: { lastSeenAt?: number | null; optedOut?: boolean; region?: string; language?: string } = {}) => ({
  id, msisdn, region: o.region ?? null, language: o.language ?? null, optedOut: o.optedOut ?? false, firstSeenAt: t0, lastSeenAt: o.lastSeenAt ?? null, updatedAt: t0,
});

const message = (id: string, subscriberId: number, status: string, o: { parts?: number; createdAt?: number; text?: string; reason?: string } = {}) => ({
  id, subscriberId, msisdn: '+254700001111', text: o.text ?? 'Habari', kind: 'transactional', source: 'crm', status, reason: o.reason ?? null, encoding: 'gsm7',
  parts: o.parts ?? 1, dueAt: t0, expiresAt: t0 + 86_400_000, createdAt: o.createdAt ?? t0, updatedAt: o.createdAt ?? t0,
});

const part = (messageId: string, seq: number) => ({ messageId, seq, smsc: 'op1', smscId: `${messageId}-${seq}`, bindId: 'op1', status: 'sent', submittedAt: t0 });

const call = (id: string, status: string, o: { answeredAt?: number; providerRef?: string; createdAt?: number; reason?: string; durationSeconds?: number } = {}) => ({
  id, subscriberId: 1, msisdn: '+254700001111', flowId: 'voice-guide', kind: 'transactional', source: 'crm', status, reason: o.reason ?? null,
  providerRef: o.providerRef ?? null, answeredAt: o.answeredAt ?? null, durationSeconds: o.durationSeconds ?? null, createdAt: o.createdAt ?? t0, updatedAt: o.createdAt ?? t0,
});

const finding = (id: string, kind: string, detectedAt: number, o: { closedAt?: number; detail?: Record<string, unknown>; serviceId?: string } = {}) => ({
  id, subscriberId: 1, kind, dedupeKey: id, status: o.closedAt ? 'expired' : 'open', reason: `${kind} reason`, serviceId: o.serviceId ?? null, detail: o.detail ?? {},
  detectedAt, notBefore: detectedAt, expiresAt: detectedAt + 86_400_000, closedAt: o.closedAt ?? null,
});

const intervention = (id: string, findingId: string, kind: string, o: { arm?: string; channel: string; status: string; at: number; messageId?: string; callId?: string }) => ({
  id, findingId, subscriberId: 1, kind, findingKind: 'stuck', arm: o.arm ?? 'treatment', channel: o.channel, status: o.status, messageId: o.messageId ?? null,
  callId: o.callId ?? null, at: o.at, windowEndsAt: o.at + 86_400_000, outcomeClosed: false,
});

const subscription = (id: string, subscriberId: number, serviceId: string, state: 'active' | 'grace' | 'cancelled') => ({
  id, subscriberId, serviceId, state, subscribedAt: t0, renewals: 2, consecutiveFailures: state === 'grace' ? 1 : 0, currency: 'KES', evaluatedAt: t0, createdAt: t0, updatedAt: t0,
});

eachBackend((get) => {
  beforeAll(async () => {
    const b = get();
    await b.plant(subscribers, [
      subscriber(1, '+254700001111', { lastSeenAt: at(30), optedOut: true, region: 'Nakuru', language: 'sw' }),
      subscriber(2, '+254799991111', { lastSeenAt: at(30) }),
      subscriber(3, '+254711112222'),
      subscriber(4, '+254700002222', { lastSeenAt: at(10) }),
    ]);
    await b.plant(sessions, [
      { id: 's1', channel: 'ussd', externalId: 'e1', subscriberId: 1, flowId: 'crop-advice', state: {}, status: 'ended', endReason: 'completed', hops: 4, startedAt: at(1), lastActivityAt: at(2) },
      { id: 's2', channel: 'ivr', externalId: 'e2', subscriberId: 1, flowId: 'voice-guide', state: {}, status: 'active', hops: 1, startedAt: at(9), lastActivityAt: at(9) },
      { id: 's3', channel: 'ussd', externalId: 'e3', subscriberId: 2, flowId: 'crop-advice', state: {}, status: 'ended', hops: 1, startedAt: at(8), lastActivityAt: at(8) },
    ]);
    await b.plant(messages, [
      message('m-delivered', 1, 'delivered', { createdAt: at(3), text: 'Panda mahindi' }),
      message('m-failed-part', 1, 'failed', { parts: 2, createdAt: at(-10) }),
      message('m-failed-none', 1, 'failed', { createdAt: at(-11) }),
      message('m-queued-multi', 1, 'queued', { parts: 3, createdAt: at(-12) }),
      message('m-blocked', 1, 'blocked', { createdAt: at(-13), reason: 'opted_out' }),
    ]);
    await b.plant(messageParts, [part('m-failed-part', 1), part('m-queued-multi', 1), part('m-queued-multi', 2)]);
    await b.plant(usageEvents, [
      { at: at(5), subscriberId: 1, channel: 'sms', type: 'sms_in', detail: { text: 'MAHINDI', to: '20123' } },
      { at: at(6), subscriberId: 1, channel: 'ussd', type: 'menu', detail: { text: 'not an SMS' } },
      { at: at(7), subscriberId: 2, channel: 'sms', type: 'sms_in', detail: { text: 'someone else' } },
    ]);
    await b.plant(calls, [
      call('c-answered', 'completed', { answeredAt: at(4), providerRef: 'p1', createdAt: at(4), durationSeconds: 42 }),
      call('c-noanswer', 'no_answer', { createdAt: at(-20), reason: 'no_answer' }),
      call('c-refused', 'failed', { createdAt: at(-21), reason: 'provider_error' }),
    ]);
    await b.plant(subscriptions, [
      subscription('sub-b', 1, 'b-weather', 'active'),
      subscription('sub-a', 1, 'a-market', 'grace'),
      subscription('sub-c', 1, 'c-news', 'cancelled'),
      subscription('sub-x', 2, 'a-market', 'active'),
    ]);
    await b.plant(billingEvents, [
      { subscriptionId: 'sub-b', source: 'generic', externalId: 'g:1', type: 'renewed', at: at(11), receivedAt: at(11), amountMinor: 1000, currency: 'KES' },
      { subscriptionId: 'sub-x', source: 'generic', externalId: 'g:2', type: 'renewed', at: at(12), receivedAt: at(12), amountMinor: 1000, currency: 'KES' },
    ]);
    // Two open findings of one pass (same moment) and a closed one.
    await b.plant(crmFindings, [
      finding('f-stuck', 'stuck', at(12), { detail: { flowId: 'crop-advice', sought: 'maize', count: 2, seen: [1, 2] } }),
      finding('f-passive', 'passive', at(12), { serviceId: 'b-weather' }),
      finding('f-old', 'lapsing', at(-30), { closedAt: at(-1) }),
    ]);
    await b.plant(crmInterventions, [
      intervention('i-1', 'f-stuck', 'education_sms', { channel: 'sms', status: 'queued', at: at(13), messageId: 'm-delivered' }),
      intervention('i-2', 'f-stuck', 'voice_guidance', { channel: 'call', status: 'queued', at: at(13), callId: 'c-answered' }),
      intervention('i-3', 'f-passive', 'nudge', { channel: 'sms', status: 'held_out', arm: 'holdout', at: at(12) }),
      intervention('i-4', 'f-passive', 'save_call', { channel: 'call', status: 'queued', at: at(11), callId: 'c-noanswer' }),
      intervention('i-5', 'f-old', 'save', { channel: 'sms', status: 'blocked', at: at(10) }),
      intervention('i-6', 'f-old', 'winback', { channel: 'none', status: 'queued', at: at(-5) }),
    ]);
    await b.plant(crmSubscribers, [
      { subscriberId: 1, firstDay: 20_000, lastDay: 20_010, activeDays: 4, sessions: 7, contentSessions: 5, cleanSessions: 3, stuckSessions: 1, firstContent: 1, lastSessionAt: at(9), lastContentAt: at(1), updatedAt: t0 },
    ]);
  });

  describe('subscriber search', () => {
    it('finds numbers by their last digits in number order, a page at a time, booleans decoded', async () => {
      const s = new SubscriberSearchStore(get().database);
      expect(await s.endingIn('1111', 10, 0)).toEqual([
        { id: 1, msisdn: '+254700001111', region: 'Nakuru', language: 'sw', optedOut: true, lastSeenAt: at(30) },
        { id: 2, msisdn: '+254799991111', region: null, language: null, optedOut: false, lastSeenAt: at(30) },
      ]);
      expect((await s.endingIn('1111', 1, 1)).map((h) => h.id)).toEqual([2]);
      expect((await s.endingIn('2222', 10, 0)).map((h) => h.msisdn)).toEqual(['+254700002222', '+254711112222']);
      expect(await s.endingIn('5555', 10, 0)).toEqual([]);
      expect(await s.endingIn('1%', 10, 0)).toEqual([]);
    });

    it('matches endings of any length, a 9 last included (PostgreSQL: the range after a final 9 ends at the next byte)', async () => {
      await get().plant(subscribers, [subscriber(60, '+254700000009'), subscriber(61, '+254700000099'), subscriber(62, '+254700000090')]);
      const s = new SubscriberSearchStore(get().database);
      const ids = async (d: string) => (await s.endingIn(d, 10, 0)).map((h) => h.id);
      expect(await ids('9')).toEqual([60, 61]);
      expect(await ids('09')).toEqual([60]);
      expect(await ids('99')).toEqual([61]);
      expect(await ids('0')).toEqual([62]);
      expect(await ids('1')).toEqual([1, 2]);
      expect(await ids('254711112222')).toEqual([3]);
      expect(await ids('2254711112222')).toEqual([]);
    });

    it('lists the most recently seen first (the newer subscriber first on a tie), never the unseen', async () => {
      const s = new SubscriberSearchStore(get().database);
      expect((await s.recentlySeen(10, 0)).map((h) => h.id)).toEqual([2, 1, 4]);
      expect((await s.recentlySeen(2, 1)).map((h) => h.id)).toEqual([1, 4]);
      expect(await s.recentlySeen(10, 3)).toEqual([]);
    });

    it("gives a report page its subscribers' ids in one read, numbers no subscriber has left out", async () => {
      const s = new SubscriberSearchStore(get().database);
      const ids = await s.idsByMsisdn(['+254799991111', '+254700001111', '+254700005555', '+254700001111']);
      expect([...ids.entries()].sort()).toEqual([
        ['+254700001111', 1],
        ['+254799991111', 2],
      ]);
      // More numbers than one IN list holds: every known one still found.
      const many = [...Array.from({ length: 1500 }, (_, i) => `+25470${String(9_000_000 + i)}`), '+254700002222'];
      expect([...(await s.idsByMsisdn(many)).keys()]).toEqual(['+254700002222']);
      expect((await s.idsByMsisdn([])).size).toBe(0);
    });
  });

  describe('timeline', () => {
    it("merges one subscriber's rows of every kind, newest first, the SMS text read from the JSON detail", async () => {
      const entries = await new TimelineStore(get().database).recent(1, 50);
      expect(entries.filter((e) => e.at >= at(0))).toEqual([
        // Same moment: interventions by id, newest first; findings of one pass by kind.
        { kind: 'intervention', at: at(13), intervention: 'voice_guidance', finding: 'stuck', arm: 'treatment', channel: 'call', status: 'queued' },
        { kind: 'intervention', at: at(13), intervention: 'education_sms', finding: 'stuck', arm: 'treatment', channel: 'sms', status: 'queued' },
        { kind: 'finding', at: at(12), finding: 'passive', status: 'open', reason: 'passive reason' },
        { kind: 'finding', at: at(12), finding: 'stuck', status: 'open', reason: 'stuck reason' },
        { kind: 'intervention', at: at(12), intervention: 'nudge', finding: 'stuck', arm: 'holdout', channel: 'sms', status: 'held_out' },
        { kind: 'billing', at: at(11), serviceId: 'b-weather', type: 'renewed', amountMinor: 1000, currency: 'KES', reason: null },
        { kind: 'intervention', at: at(11), intervention: 'save_call', finding: 'stuck', arm: 'treatment', channel: 'call', status: 'queued' },
        { kind: 'intervention', at: at(10), intervention: 'save', finding: 'stuck', arm: 'treatment', channel: 'sms', status: 'blocked' },
        { kind: 'session', at: at(9), channel: 'ivr', flowId: 'voice-guide', status: 'active', endReason: null, hops: 1 },
        { kind: 'sms_in', at: at(5), text: 'MAHINDI' },
        { kind: 'call', at: at(4), flowId: 'voice-guide', status: 'completed', reason: null, durationSeconds: 42 },
        { kind: 'sms_out', at: at(3), text: 'Panda mahindi', status: 'delivered', reason: null, source: 'crm', parts: 1 },
        { kind: 'session', at: at(1), channel: 'ussd', flowId: 'crop-advice', status: 'ended', endReason: 'completed', hops: 4 },
      ]);
      // Before t0: four more SMS, two more calls, the closed finding, one more intervention.
      expect(entries.filter((e) => e.at < at(0)).map((e) => e.kind)).toEqual(['intervention', 'sms_out', 'sms_out', 'sms_out', 'sms_out', 'call', 'call', 'finding']);
    });

    it('keeps the newest entries up to the limit, and is empty for a subscriber with nothing', async () => {
      const store = new TimelineStore(get().database);
      expect((await store.recent(1, 3)).map((e) => [e.kind, e.at])).toEqual([
        ['intervention', at(13)],
        ['intervention', at(13)],
        ['finding', at(12)],
      ]);
      expect(await store.recent(4, 10)).toEqual([]);
      expect((await store.recent(2, 10)).map((e) => e.kind)).toEqual(['billing', 'session', 'sms_in']);
    });
  });

  describe('CRM view', () => {
    it('reads the activity and the open flags (oldest first, then by kind) with their JSON detail', async () => {
      const v = new SubscriberViewStore(get().database);
      expect(await v.activity(1)).toEqual({
        firstDay: 20_000, lastDay: 20_010, activeDays: 4, sessions: 7, contentSessions: 5, cleanSessions: 3, stuckSessions: 1, firstContent: 1, lastSessionAt: at(9), lastContentAt: at(1),
      });
      expect(await v.activity(2)).toBeUndefined();
      expect(await v.flags(1)).toEqual([
        { kind: 'passive', reason: 'passive reason', status: 'open', serviceId: 'b-weather', detail: {}, detectedAt: at(12) },
        { kind: 'stuck', reason: 'stuck reason', status: 'open', serviceId: null, detail: { flowId: 'crop-advice', sought: 'maize', count: 2, seen: [1, 2] }, detectedAt: at(12) },
      ]);
      expect(await v.flags(2)).toEqual([]);
    });

    it('lists live subscriptions by service', async () => {
      const v = new SubscriberViewStore(get().database);
      expect(await v.liveSubscriptions(1)).toEqual([
        { serviceId: 'a-market', state: 'grace', renewals: 2, subscribedAt: t0, consecutiveFailures: 1 },
        { serviceId: 'b-weather', state: 'active', renewals: 2, subscribedAt: t0, consecutiveFailures: 0 },
      ]);
    });

    it('shows the five newest interventions with the delivery state read from the message or call', async () => {
      const v = new SubscriberViewStore(get().database);
      const recent = await v.recentInterventions(1);
      expect(recent.map((i) => [i.kind, i.delivery])).toEqual([
        // Same moment: the larger id first.
        ['voice_guidance', 'answered'],
        ['education_sms', 'delivered'],
        ['nudge', null],
        ['save_call', 'not_answered'],
        // An SMS intervention without a message: its own status.
        ['save', 'blocked'],
      ]);
      expect(recent[0]).toMatchObject({ findingKind: 'stuck', arm: 'treatment', channel: 'call', status: 'queued', reason: null, at: at(13), reachedContentAt: null, returnedAt: null, renewedAt: null });
      expect(await v.recentInterventions(3)).toEqual([]);
    });
  });

  describe('delivery states', () => {
    it('counts SMS sent and parts accepted, and call states, the same way on both engines', async () => {
      const db = get().database;
      const sms = await db.all<{ id: string; sent: number; accepted: number }>(
        sql`SELECT ${messages.id} AS "id", ${smsSent()} AS "sent", ${acceptedParts()} AS "accepted" FROM ${messages} ORDER BY ${messages.id}`,
      );
      expect(sms).toEqual([
        { id: 'm-blocked', sent: 0, accepted: 0 },
        { id: 'm-delivered', sent: 1, accepted: 1 },
        { id: 'm-failed-none', sent: 0, accepted: 0 },
        { id: 'm-failed-part', sent: 1, accepted: 1 },
        { id: 'm-queued-multi', sent: 0, accepted: 2 },
      ]);
      const placed = await db.all<{ id: string; state: string; placed: unknown }>(
        sql`SELECT ${calls.id} AS "id", ${callState()} AS "state", CASE WHEN ${callPlaced()} THEN 1 ELSE 0 END AS "placed" FROM ${calls} ORDER BY ${calls.id}`,
      );
      expect(placed).toEqual([
        { id: 'c-answered', state: 'answered', placed: 1 },
        { id: 'c-noanswer', state: 'not_answered', placed: 1 },
        { id: 'c-refused', state: 'failed', placed: 0 },
      ]);
    });
  });
});
