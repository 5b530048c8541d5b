import { parse } from 'csv-parse/sync';
import { beforeAll, expect, it } from 'vitest';
import type { Poll } from '../../src/campaigns/poll-repo';
import { PollResults } from '../../src/campaigns/poll-results';
import { PollResultsStore } from '../../src/campaigns/poll-results-store';
import { compileFilter } from '../../src/campaigns/segment-repo';
import { calls, campaignRecipients, campaignRuns, campaigns, messageParts, messages, pollAnswers, pollInvites, polls, subscribers } from '../../src/db/schema';
import { eachBackend } from '../helpers/backends';

// Poll results on both engines: planted invitations (SMS and calls, one subscriber re-invited by a later
// run), the outbox and call rows they went out as, and answers (one from USSD, uninvited) come back as
// the same exposure (invited, sent, delivered, reached), delivery states, answer counts, NPS, regions
// grouped case-insensitively, a segment, and the CSV export.
const T = Date.parse('2026-11-02T08:00:00Z');
const msisdn = (id: number) => `+2547220000${String(id).padStart(2, '0')}`;
const REGIONS: Record<number, string | null> = { 1: 'Nakuru', 2: 'nakuru', 3: 'Coast', 4: null, 5: 'Coast', 6: 'Nakuru', 7: 'Coast', 8: 'Nakuru' };

const poll = (id: string, type: 'choice' | 'nps', answers: Record<string, string>[]): Poll => ({ id, key: id, type, question: { en: 'Did the advice help?' }, answers, keywords: [], status: 'open', flowId: null, nodeId: null, createdAt: T, updatedAt: T });
const CHOICE = poll('p1', 'choice', [{ en: 'Yes' }, { en: 'No' }, { en: 'Maybe' }]);
const NPS = poll('p2', 'nps', []);
const sms = (id: string, subscriberId: number, status: string) => ({
  id, subscriberId, msisdn: msisdn(subscriberId), text: 'Reply 1, 2 or 3', kind: 'promotional', source: 'campaign', status, encoding: 'gsm7', parts: 1, dueAt: T, expiresAt: T + 86_400_000, createdAt: T, updatedAt: T,
});
const call = (id: string, subscriberId: number, n: Partial<typeof calls.$inferInsert>) => ({ id, subscriberId, msisdn: msisdn(subscriberId), flowId: 'poll', kind: 'promotional', source: 'campaign', status: 'completed', createdAt: T, updatedAt: T, ...n });
const campaign = (id: string, channel: 'sms' | 'call') => ({ id, name: id, kind: 'poll' as const, channel, segmentId: 'all', pollId: 'p1', timezone: 'Africa/Nairobi', status: 'running' as const, createdAt: T, updatedAt: T });
const invite = (subscriberId: number, channel: 'sms' | 'call', campaignId: string) => ({ pollId: 'p1', subscriberId, channel, campaignId, sentAt: T, expiresAt: T + 86_400_000 });
const answer = (pollId: string, subscriberId: number, a: number, channel: string, campaignId: string | null) => ({ pollId, subscriberId, answer: a, channel, campaignId, at: T + subscriberId * 60_000 });

type Exposure = { invited: number; sent: number; delivered: number; reached: number; responseRate: number | null; delivery: Record<string, Record<string, number>> };
type Results = Exposure & { responses: number; answers: Array<{ index: number; count: number; label?: string; share: number }>; byRegion: Array<Exposure & { region: string | null; responses: number }>; byChannel: Record<string, number>; nps?: number | null; npsBreakdown?: Record<string, number>; segment?: unknown };

eachBackend((get) => {
  let results: PollResults;
  beforeAll(async () => {
    const b = get();
    results = new PollResults(new PollResultsStore(b.database), 'en');
    await b.plant(subscribers, Object.entries(REGIONS).map(([id, region]) => ({ id: Number(id), msisdn: msisdn(Number(id)), region, language: 'en', firstSeenAt: 0, updatedAt: 0 })));
    await b.plant(polls, [CHOICE, NPS]);
    await b.plant(campaigns, [campaign('c1', 'sms'), campaign('c2', 'call')]);
    await b.plant(messages, [sms('m1-old', 1, 'failed'), sms('m1', 1, 'delivered'), sms('m2', 2, 'sent'), sms('m3', 3, 'failed'), sms('m4', 4, 'queued')]);
    // m3 failed after the SMSC accepted a part: it was sent. m1-old failed with none.
    await b.plant(messageParts, [{ messageId: 'm3', seq: 1, smsc: 'test', smscId: 'x3', bindId: 'b1', status: 'failed', submittedAt: T }]);
    await b.plant(calls, [call('k5', 5, { answeredAt: T + 5_000 }), call('k6', 6, { status: 'no_answer', providerRef: 'at-6' })]);
    await b.plant(campaignRuns, [
      { id: 1, campaignId: 'c1', dueAt: T - 86_400_000, status: 'done' },
      { id: 2, campaignId: 'c1', dueAt: T, status: 'done' },
      { id: 3, campaignId: 'c2', dueAt: T, status: 'done' },
    ]);
    await b.plant(campaignRecipients, [
      // Subscriber 1 was invited again by run 2: that invitation (m1, delivered) is the one counted.
      { runId: 1, subscriberId: 1, status: 'queued', ref: 'm1-old' },
      { runId: 2, subscriberId: 1, status: 'queued', ref: 'm1' },
      { runId: 2, subscriberId: 2, status: 'queued', ref: 'm2' },
      { runId: 2, subscriberId: 3, status: 'queued', ref: 'm3' },
      { runId: 2, subscriberId: 4, status: 'queued', ref: 'm4' },
      { runId: 3, subscriberId: 5, status: 'queued', ref: 'k5' },
      { runId: 3, subscriberId: 6, status: 'queued', ref: 'k6' },
    ]);
    // Subscriber 7 has an invitation but no run handed them over: no state, never sent.
    await b.plant(pollInvites, [invite(6, 'call', 'c2'), invite(2, 'sms', 'c1'), invite(1, 'sms', 'c1'), invite(3, 'sms', 'c1'), invite(4, 'sms', 'c1'), invite(5, 'call', 'c2'), invite(7, 'sms', 'c1')]);
    await b.plant(pollAnswers, [
      answer('p1', 8, 2, 'ussd', null),
      answer('p1', 2, 1, 'sms', 'c1'),
      answer('p1', 1, 0, 'sms', 'c1'),
      answer('p1', 5, 0, 'call', 'c2'),
      ...[[1, 10], [2, 9], [3, 3], [5, 7]].map(([s, a]) => answer('p2', s!, a!, 'ussd', null)),
    ]);
  });

  it('counts invitations by what became of them, the answers and the response rate', async () => {
    const r = (await results.results(CHOICE)) as Results;
    expect(r).toMatchObject({ invited: 7, sent: 5, delivered: 2, reached: 3, responseRate: 1, responses: 4 });
    expect(r.delivery).toEqual({
      sms: { queued: 1, sent: 1, delivered: 1, failed: 1, expired: 0, blocked: 0 },
      call: { queued: 0, dialling: 0, answered: 1, not_answered: 1, failed: 0, blocked: 0 },
    });
    expect(r.answers).toEqual([
      { index: 0, count: 2, label: 'Yes', share: 0.5 },
      { index: 1, count: 1, label: 'No', share: 0.25 },
      { index: 2, count: 1, label: 'Maybe', share: 0.25 },
    ]);
    // Channels in the order their first answers group: region, then channel.
    expect(Object.entries(r.byChannel)).toEqual([['call', 1], ['sms', 2], ['ussd', 1]]);
  });

  it('groups regions case-insensitively under the first label, no region as null', async () => {
    const r = (await results.results(CHOICE)) as Results;
    expect(r.byRegion.map((g) => [g.region, g.invited, g.sent, g.delivered, g.reached, g.responses])).toEqual([
      [null, 1, 0, 0, 0, 0],
      ['Coast', 3, 2, 1, 1, 1],
      ['Nakuru', 3, 3, 1, 2, 3],
    ]);
    expect(r.byRegion[0]!.responseRate).toBeNull();
  });

  it('within a segment: only its subscribers', async () => {
    const filter = compileFilter({ region: 'nakuru', includeOptedOut: true }, T, { subscriptions: false, crmFlags: false }, { dialect: get().dialect });
    const r = (await results.results(CHOICE, { id: 's1', name: 'Nakuru', filter })) as Results;
    expect(r).toMatchObject({ segment: { id: 's1', name: 'Nakuru' }, invited: 3, sent: 3, delivered: 1, reached: 2, responses: 3 });
    expect(r.byRegion.map((g) => g.region)).toEqual(['Nakuru']);
  });

  it('NPS: promoters minus detractors; a poll nobody was invited to or answered is empty', async () => {
    const r = (await results.results(NPS)) as Results;
    expect(r).toMatchObject({ invited: 0, responses: 4, nps: 25, npsBreakdown: { promoters: 2, passives: 1, detractors: 1 }, responseRate: null });
    const none = (await results.results(poll('p3', 'choice', [{ en: 'A' }]))) as Results;
    expect(none).toMatchObject({ invited: 0, responses: 0, byRegion: [], byChannel: {}, delivery: {} });
  });

  it('exports every answer as CSV by subscriber', async () => {
    let text = '';
    for await (const chunk of results.csv(CHOICE)) text += chunk;
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((x) => [x.msisdn, x.answer_label, x.channel, x.campaign_id, x.region])).toEqual([
      [msisdn(1), 'Yes', 'sms', 'c1', 'Nakuru'],
      [msisdn(2), 'No', 'sms', 'c1', 'nakuru'],
      [msisdn(5), 'Yes', 'call', 'c2', 'Coast'],
      [msisdn(8), 'Maybe', 'ussd', '', 'Nakuru'],
    ]);
    expect(rows[0]!.answered_at).toBe(new Date(T + 60_000).toISOString());
  });
});
