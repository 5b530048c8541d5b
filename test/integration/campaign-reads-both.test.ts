import { beforeAll, expect, it } from 'vitest';
import type { Campaign, CampaignRun } from '../../src/campaigns/campaign-types';
import { CampaignReadStore } from '../../src/campaigns/campaign-read-store';
import { CampaignReads } from '../../src/campaigns/campaign-reads';
import { PollReadStore } from '../../src/campaigns/poll-read-store';
import type { Poll } from '../../src/campaigns/poll-repo';
import { SegmentReadStore } from '../../src/campaigns/segment-read-store';
import { calls, campaignRecipients, campaignRuns, campaigns, messageParts, messages, polls, segments, subscribers } from '../../src/db/schema';
import { AppError } from '../../src/lib/errors';
import { eachBackend } from '../helpers/backends';

// What the campaigns', polls' and segments' GET endpoints and console pages read, on both engines:
// planted rows (JSON columns with nested values, nulls, non-ASCII text) come back decoded and in the
// order the API promises (newest first, ties by id), and a run's delivery counts are derived from the
// outbox and call rows it points at.
const T0 = Date.parse('2026-11-02T09:00:00Z');

const segmentRows = [
  { id: 'seg-a', name: 'Maize growers', filter: { crop: 'maize', profile: { farmSize: { min: 2 } } }, createdAt: T0, updatedAt: T0 },
  { id: 'seg-b', name: 'Wakulima wa Nakuru', filter: { region: ['Nakuru', 'Nyeri'], lastSeenWithinDays: 30 }, createdAt: T0 + 1000, updatedAt: T0 + 2000 },
  { id: 'seg-c', name: 'Kirinyaga — café', filter: { crmFlags: 'stuck', includeOptedOut: true }, createdAt: T0 + 1000, updatedAt: T0 + 1000 },
];

const pollRows: Poll[] = [
  {
    id: 'pol-1',
    key: 'season',
    type: 'choice',
    question: { en: 'Which crop this season?', sw: 'Zao gani msimu huu?' },
    answers: [
      { en: 'Maize', sw: 'Mahindi' },
      { en: 'Beans', sw: 'Maharage' },
    ],
    keywords: [['MAIZE', 'MAHINDI'], ['BEANS']],
    status: 'open',
    flowId: null,
    nodeId: null,
    createdAt: T0,
    updatedAt: T0,
  },
  { id: 'pol-2', key: 'nps', type: 'nps', question: { en: 'Would you recommend us?' }, answers: [], keywords: [], status: 'closed', flowId: 'crop-advice', nodeId: 'ask', createdAt: T0 + 5, updatedAt: T0 + 9 },
];

const base = { fallbackChannel: null, text: null, pollId: null, flowId: null, startNode: null, scheduleAt: null, cron: null, timezone: 'Africa/Nairobi', ratePerSecond: null, nextRunAt: null, runs: 0, lastRunAt: null, arms: null, holdoutPercent: null, goal: null } as const;
const campaignRows: Campaign[] = [
  { ...base, id: 'cmp-sms', name: 'Planting reminder', kind: 'sms', channel: 'sms', segmentId: 'seg-a', text: { en: 'Plant now', sw: 'Panda sasa' }, scheduleAt: T0 + 60_000, status: 'running', runs: 2, lastRunAt: T0 + 60_000, createdAt: T0, updatedAt: T0 + 1 },
  {
    ...base,
    id: 'cmp-call',
    name: 'Offer call',
    kind: 'call',
    channel: 'call',
    segmentId: 'seg-b',
    flowId: 'crop-advice',
    cron: '0 9 * * 1',
    ratePerSecond: 5,
    status: 'scheduled',
    nextRunAt: T0 + 86_400_000,
    runs: 1,
    arms: [{ name: 'weekly', channel: 'call', flowId: 'crop-advice', serviceId: 'tips-weekly', price: 'KES 10', share: 2 }, { name: 'daily', channel: 'call', flowId: 'crop-advice' }],
    holdoutPercent: 10,
    goal: { type: 'subscribed', serviceId: 'tips-weekly', windowDays: 14 },
    createdAt: T0 + 2000,
    updatedAt: T0 + 2000,
  },
  { ...base, id: 'cmp-best', name: 'Best channel', kind: 'sms', channel: 'best', fallbackChannel: 'call', segmentId: 'seg-c', text: { en: 'Hello' }, flowId: 'crop-advice', status: 'draft', createdAt: T0 + 2000, updatedAt: T0 + 2000 },
  { ...base, id: 'cmp-old', name: 'Old poll', kind: 'poll', channel: 'sms', segmentId: 'seg-a', pollId: 'pol-1', status: 'cancelled', createdAt: T0 - 1000, updatedAt: T0 - 1000 },
];

const run = (id: number, campaignId: string, n: Partial<CampaignRun> = {}): CampaignRun => ({
  id, campaignId, dueAt: T0 + id, status: 'done', total: 0, queued: 0, blocked: 0, cursor: 0, paceFromAt: null, paceFromCount: 0, deferredUntil: null, leaseOwner: null, leaseExpiresAt: null, startedAt: T0 + id, finishedAt: T0 + id + 10, ...n,
});
const runRows = [
  run(1, 'cmp-sms', { total: 3, queued: 3 }),
  run(2, 'cmp-sms', { status: 'sending', total: 12, queued: 6, blocked: 3, deferredUntil: T0 + 999, finishedAt: null }),
  run(3, 'cmp-call', { total: 5, queued: 5 }),
  run(4, 'cmp-best', { total: 3, queued: 3 }),
];

const msisdn = (i: number) => `2547000000${String(i).padStart(2, '0')}`;
const message = (id: string, subscriberId: number, status: string, parts = 1) => ({
  id, subscriberId, msisdn: msisdn(subscriberId), text: 'Plant now', kind: 'promotional', source: 'campaign', status, encoding: 'gsm7', parts, dueAt: T0, expiresAt: T0 + 86_400_000, createdAt: T0, updatedAt: T0,
});
const part = (messageId: string, seq: number) => ({ messageId, seq, smsc: 'smsc-a', smscId: `${messageId}-${seq}`, bindId: 'b1', status: 'sent', submittedAt: T0 });
const call = (id: string, subscriberId: number, status: string, n: { answeredAt?: number; providerRef?: string; reason?: string } = {}) => ({
  id, subscriberId, msisdn: msisdn(subscriberId), flowId: 'crop-advice', kind: 'promotional', source: 'campaign', status, createdAt: T0, updatedAt: T0, ...n,
});
const recipient = (runId: number, subscriberId: number, status: 'queued' | 'blocked' | 'pending', ref: string | null, reason: string | null = null) => ({ runId, subscriberId, status, ref, reason, at: status === 'pending' ? null : T0 });

eachBackend((get) => {
  let store: CampaignReadStore;
  let reads: CampaignReads;
  let pollReads: PollReadStore;
  let segmentReads: SegmentReadStore;

  beforeAll(async () => {
    const b = get();
    store = new CampaignReadStore(b.database);
    reads = new CampaignReads(store);
    pollReads = new PollReadStore(b.database);
    segmentReads = new SegmentReadStore(b.database);
    await b.plant(
      subscribers,
      Array.from({ length: 20 }, (_, i) => ({ id: i + 1, msisdn: msisdn(i + 1), profile: { region: 'Nakuru' }, optedOut: i === 6, firstSeenAt: T0, updatedAt: T0 })),
    );
    await b.plant(segments, segmentRows);
    await b.plant(polls, pollRows);
    await b.plant(campaigns, campaignRows);
    await b.plant(campaignRuns, runRows);
    await b.plant(messages, [
      message('m1', 1, 'delivered'),
      message('m2', 2, 'sent', 2),
      message('m3', 3, 'failed', 2), // one part accepted, then refused: it left the outbox
      message('m4', 4, 'failed'), // refused before any part was accepted
      message('m5', 5, 'queued'),
      message('m6', 6, 'expired'),
      message('m7', 1, 'delivered'), // run 1
      message('b1', 14, 'delivered'), // best-channel run, by SMS
    ]);
    await b.plant(messageParts, [part('m1', 1), part('m2', 1), part('m2', 2), part('m3', 1), part('m7', 1), part('b1', 1)]);
    await b.plant(calls, [
      call('k1', 9, 'completed', { answeredAt: T0 + 5, providerRef: 'at-1' }),
      call('k2', 10, 'no_answer', { providerRef: 'at-2', reason: 'no_answer' }),
      call('k3', 11, 'failed', { reason: 'provider_error' }), // the provider refused the dial: never placed
      call('k4', 12, 'queued'),
      call('k5', 13, 'dialing', { providerRef: 'at-5' }),
      call('b2', 15, 'busy', { reason: 'busy' }), // best-channel run, by call
    ]);
    await b.plant(campaignRecipients, [
      recipient(1, 1, 'queued', 'm7'),
      ...['m1', 'm2', 'm3', 'm4', 'm5', 'm6'].map((m, i) => recipient(2, i + 1, 'queued', m)),
      recipient(2, 7, 'blocked', null, 'opted_out'),
      recipient(2, 8, 'blocked', null, 'frequency_cap'),
      recipient(2, 16, 'blocked', null, 'frequency_cap'),
      recipient(2, 17, 'blocked', null, null),
      recipient(2, 18, 'pending', null),
      ...['k1', 'k2', 'k3', 'k4', 'k5'].map((k, i) => recipient(3, 9 + i, 'queued', k)),
      recipient(4, 14, 'queued', 'b1'),
      recipient(4, 15, 'queued', 'b2'),
    ]);
  });

  it('lists segments newest first, ties by id, with their JSON filters decoded', async () => {
    expect((await segmentReads.list(100)).map((s) => s.id)).toEqual(['seg-c', 'seg-b', 'seg-a']);
    expect((await segmentReads.list(2)).map((s) => s.id)).toEqual(['seg-c', 'seg-b']);
    expect(await segmentReads.find('seg-b')).toEqual(segmentRows[1]);
    expect(await segmentReads.require('seg-c')).toEqual(segmentRows[2]);
    expect(await segmentReads.find('seg-x')).toBeNull();
    await expect(segmentReads.require('seg-x')).rejects.toMatchObject({ status: 404, code: 'SEGMENT_NOT_FOUND' });
  });

  it('lists polls newest first and reads one with its texts, answers and keywords', async () => {
    expect(await pollReads.list(100)).toEqual([pollRows[1], pollRows[0]]);
    expect(await pollReads.list(1)).toEqual([pollRows[1]]);
    expect(await pollReads.require('pol-1')).toEqual(pollRows[0]);
    expect(await pollReads.find('nope')).toBeNull();
    await expect(pollReads.require('nope')).rejects.toBeInstanceOf(AppError);
  });

  it('lists campaigns newest first (ties by id), by status, and reads one with its JSON columns', async () => {
    expect((await store.list(100)).map((c) => c.id)).toEqual(['cmp-call', 'cmp-best', 'cmp-sms', 'cmp-old']);
    expect((await store.list(2)).map((c) => c.id)).toEqual(['cmp-call', 'cmp-best']);
    expect((await store.list(100, ['running', 'draft'])).map((c) => c.id)).toEqual(['cmp-best', 'cmp-sms']);
    expect((await store.list(100, ['draft', 'running'])).map((c) => c.id)).toEqual(['cmp-best', 'cmp-sms']);
    expect((await store.list(100, ['completed'])).map((c) => c.id)).toEqual([]);
    expect(await store.list(100, [])).toHaveLength(4);
    for (const c of campaignRows) expect(await store.find(c.id)).toEqual(c);
    expect(await store.find('cmp-x')).toBeNull();
    await expect(reads.require('cmp-x')).rejects.toMatchObject({ status: 404, code: 'CAMPAIGN_NOT_FOUND' });
  });

  it("reads a campaign's runs newest first", async () => {
    expect(await store.runs('cmp-sms')).toEqual([runRows[1], runRows[0]]);
    expect(await store.runs('cmp-sms', 1)).toEqual([runRows[1]]);
    expect(await store.runs('cmp-old')).toEqual([]);
    expect(await reads.latestRun('cmp-sms')).toEqual(runRows[1]);
    expect(await reads.latestRun('cmp-old')).toBeUndefined();
    await expect(reads.runs('cmp-x')).rejects.toMatchObject({ status: 404 });
  });

  it('counts what became of a run by SMS from the outbox rows, by state', async () => {
    expect(await store.exposure(2, 'sms')).toEqual([
      { state: 'delivered', n: 1, sent: 1, reached: 1 },
      { state: 'expired', n: 1, sent: 0, reached: 0 },
      { state: 'failed', n: 2, sent: 1, reached: 0 },
      { state: 'queued', n: 1, sent: 0, reached: 0 },
      { state: 'sent', n: 1, sent: 1, reached: 0 },
    ]);
    expect(await store.blockedReasons(2)).toEqual({ frequency_cap: 2, opted_out: 1, unknown: 1 });
    // The JSON the API answers keeps one key order on both engines: none given first, then by reason.
    expect(Object.keys(await store.blockedReasons(2))).toEqual(['unknown', 'frequency_cap', 'opted_out']);
    expect(await store.blockedReasons(1)).toEqual({});
    expect(await store.exposure(99, 'sms')).toEqual([]);
  });

  it('counts what became of a run by call from the call rows: placed, answered, each state', async () => {
    expect(await store.exposure(3, 'call')).toEqual([
      { state: 'answered', n: 1, sent: 1, reached: 1 },
      { state: 'dialling', n: 1, sent: 1, reached: 0 },
      { state: 'failed', n: 1, sent: 0, reached: 0 },
      { state: 'not_answered', n: 1, sent: 1, reached: 0 },
      { state: 'queued', n: 1, sent: 0, reached: 0 },
    ]);
  });

  it('answers GET /campaigns/:id and /runs shapes: latest runs with sent, delivered and pending', async () => {
    const detail = (await reads.detail('cmp-sms')) as { id: string; text: unknown; latestRuns: Array<Record<string, unknown>> };
    expect(detail).toMatchObject({ id: 'cmp-sms', text: { en: 'Plant now', sw: 'Panda sasa' }, status: 'running', runs: 2 });
    expect(detail.latestRuns).toEqual([
      {
        id: 2,
        dueAt: new Date(T0 + 2).toISOString(),
        status: 'sending',
        total: 12,
        queued: 6,
        blocked: 3,
        pending: 3,
        sent: 3,
        delivered: 1,
        delivery: { delivered: 1, expired: 1, failed: 2, queued: 1, sent: 1 },
        deferredUntil: new Date(T0 + 999).toISOString(),
        startedAt: new Date(T0 + 2).toISOString(),
        finishedAt: null,
      },
      expect.objectContaining({ id: 1, sent: 1, delivered: 1, delivery: { delivered: 1 }, pending: 0 }),
    ]);
    const arms = (await reads.detail('cmp-call')) as Record<string, unknown>;
    expect(arms).toMatchObject({ arms: campaignRows[1]!.arms, holdoutPercent: 10, goal: { type: 'subscribed', serviceId: 'tips-weekly', windowDays: 14 }, schedule: { cron: '0 9 * * 1', timezone: 'Africa/Nairobi' } });
  });

  it('splits a best-channel run by the channel each recipient was reached on', async () => {
    const [r] = await store.runs('cmp-best');
    const json = await reads.runJson(r!, 'best');
    expect(json).toMatchObject({ sent: 2, delivered: 1, delivery: { delivered: 1, not_answered: 1 } });
    expect(json.byChannel).toEqual({
      sms: { recipients: 1, sent: 1, delivered: 1, delivery: { delivered: 1 } },
      call: { recipients: 1, sent: 1, delivered: 0, delivery: { not_answered: 1 } },
    });
  });

  it('totals the results over every run, with blocked reasons per run', async () => {
    const res = (await reads.results('cmp-sms')) as { totals: Record<string, unknown>; runs: Array<{ id: number; blockedReasons: Record<string, number> }> };
    expect(res.totals).toEqual({ recipients: 15, queued: 9, blocked: 3, sent: 4, delivered: 2, delivery: { queued: 1, sent: 1, delivered: 2, failed: 2, expired: 1, blocked: 0 } });
    expect(res.runs.map((x) => [x.id, x.blockedReasons])).toEqual([
      [2, { frequency_cap: 2, opted_out: 1, unknown: 1 }],
      [1, {}],
    ]);
  });

  it('pages through a run\'s recipients by subscriber id, with what became of each message or call', async () => {
    const first = await reads.recipients('cmp-sms', { after: 0, limit: 4 });
    expect(first).toEqual({
      runId: 2,
      items: [
        { subscriberId: 1, msisdn: msisdn(1), status: 'queued', ref: 'm1', reason: null, at: new Date(T0).toISOString(), delivery: 'delivered' },
        { subscriberId: 2, msisdn: msisdn(2), status: 'queued', ref: 'm2', reason: null, at: new Date(T0).toISOString(), delivery: 'sent' },
        expect.objectContaining({ subscriberId: 3, delivery: 'failed' }),
        expect.objectContaining({ subscriberId: 4, delivery: 'failed' }),
      ],
      nextCursor: 4,
    });
    const rest = await reads.recipients('cmp-sms', { after: 4, limit: 100 });
    expect(rest.items.map((x) => x.subscriberId)).toEqual([5, 6, 7, 8, 16, 17, 18]);
    expect(rest.nextCursor).toBeNull();
    expect(rest.items.at(-1)).toEqual({ subscriberId: 18, msisdn: msisdn(18), status: 'pending', ref: null, reason: null, at: null, delivery: null });
    const blocked = await reads.recipients('cmp-sms', { after: 0, limit: 2, status: 'blocked' });
    expect(blocked.items.map((x) => [x.subscriberId, x.reason])).toEqual([
      [7, 'opted_out'],
      [8, 'frequency_cap'],
    ]);
    expect(blocked.nextCursor).toBe(8);
    expect((await reads.recipients('cmp-sms', { run: 1, after: 0, limit: 10 })).items.map((x) => x.ref)).toEqual(['m7']);
    expect((await reads.recipients('cmp-call', { after: 10, limit: 2 })).items.map((x) => [x.ref, x.delivery])).toEqual([
      ['k3', 'failed'],
      ['k4', 'queued'],
    ]);
    expect(await reads.recipients('cmp-old', { after: 0, limit: 10 })).toEqual({ runId: null, items: [], nextCursor: null });
    await expect(reads.recipients('cmp-sms', { run: 3, after: 0, limit: 10 })).rejects.toMatchObject({ status: 404, code: 'RUN_NOT_FOUND' });
  });
});
