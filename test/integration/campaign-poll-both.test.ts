import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { ArmsRepo } from '../../src/campaigns/arms-repo';
import { CampaignSender, type SendPorts } from '../../src/campaigns/campaign-sender';
import { CampaignStore } from '../../src/campaigns/campaign-store';
import type { Campaign, RecipientRow } from '../../src/campaigns/campaign-types';
import { PollRepo, type Poll } from '../../src/campaigns/poll-repo';
import { campaignAssignments, campaignRuns, campaigns, pollInvites, polls, subscribers } from '../../src/db/schema';
import type { BulkRecipient } from '../../src/messaging/types';
import { eachBackend, type Backend } from '../helpers/backends';
import { testConfig } from '../helpers/gateway';

// A poll campaign's batch on both engines: each recipient the outbox accepted is invited to the poll in
// the batch's unit (at the time the message goes out, open for the reply window), a blocked one is not,
// a re-invitation opens the poll again for one more clarification, and a batch whose unit fails leaves
// no invitation behind. With arms, each recipient is invited to the poll of their own arm.
const T = Date.parse('2026-11-02T09:00:00Z');
const WINDOW = 48 * 3_600_000;
const LATER = T + 3_600_000;
const msisdn = (id: number) => `+2547450000${String(id).padStart(2, '0')}`;
const texts = testConfig().campaigns.texts;

/** The outbox as a batch sees it: opted-out recipients blocked, subscriber 2's message held until LATER. */
function fakePorts(sent: BulkRecipient[]): SendPorts {
  return {
    messaging: {
      enqueueBulkIn: (_common, recipients) => {
        sent.push(...recipients);
        return Promise.resolve(
          recipients.map((r) =>
            r.optedOut ? { id: `m${r.subscriberId}`, status: 'blocked' as const, reason: 'opted_out', parts: 1 } : { id: `m${r.subscriberId}`, status: 'queued' as const, parts: 1, ...(r.subscriberId === 2 ? { sendAt: LATER } : {}) },
          ),
        );
      },
    },
    calls: { enqueueIn: () => Promise.reject(new Error('no calls in this campaign')) },
  };
}

const rowsOf = (ids: number[]): RecipientRow[] => ids.map((id) => ({ subscriberId: id, msisdn: msisdn(id), language: 'en', operator: 'safaricom', optedOut: id === 3 }));

eachBackend((get) => {
  let pollRepo: PollRepo;
  const poll = (id: string, question: string): Poll => ({ id, key: id, type: 'choice', question: { en: question }, answers: [{ en: 'Yes' }, { en: 'No' }], keywords: [], status: 'open', flowId: null, nodeId: null, createdAt: T, updatedAt: T });
  const invites = (b: Backend, campaignId: string) =>
    b.database.all<{ pollId: string; subscriberId: number; channel: string; sentAt: number; expiresAt: number; clarifiedAt: number | null }>(
      sql`SELECT ${pollInvites.pollId} AS "pollId", ${pollInvites.subscriberId} AS "subscriberId", ${pollInvites.channel} AS "channel", ${pollInvites.sentAt} AS "sentAt",
            ${pollInvites.expiresAt} AS "expiresAt", ${pollInvites.clarifiedAt} AS "clarifiedAt"
          FROM ${pollInvites} WHERE ${pollInvites.campaignId} = ${campaignId} ORDER BY 2, 1`,
    );
  const campaignOf = async (b: Backend, id: string): Promise<Campaign> => (await new CampaignStore(b.database).find(id))!;
  const senderOf = (c: Campaign, ps: Poll[], sent: BulkRecipient[]) =>
    new CampaignSender(c, new Map(ps.map((p) => [p.id, p])), {
      ports: fakePorts(sent),
      pollRepo,
      pollTexts: texts,
      defaultLanguage: 'en',
      replyWindowMs: WINDOW,
      arms: { repo: new ArmsRepo(get().database), runId: 2 },
    });

  beforeAll(async () => {
    const b = get();
    pollRepo = new PollRepo(b.database);
    await b.plant(
      subscribers,
      [1, 2, 3, 4, 5, 6].map((id) => ({ id, msisdn: msisdn(id), language: 'en', operator: 'safaricom', optedOut: id === 3, firstSeenAt: 0, updatedAt: 0 })),
    );
    await b.plant(polls, [poll('p1', 'Did it rain?'), poll('p2', 'Did you plant?')]);
    await b.plant(campaigns, [
      { id: 'c1', name: 'c1', kind: 'poll', channel: 'sms', segmentId: 's', pollId: 'p1', timezone: 'Africa/Nairobi', status: 'running', createdAt: T, updatedAt: T },
      {
        id: 'c2',
        name: 'c2',
        kind: 'poll',
        channel: 'sms',
        segmentId: 's',
        pollId: 'p1',
        arms: [
          { name: 'rain', pollId: 'p1' },
          { name: 'plant', pollId: 'p2' },
        ],
        holdoutPercent: 0,
        timezone: 'Africa/Nairobi',
        status: 'running',
        createdAt: T,
        updatedAt: T,
      },
    ]);
    await b.plant(campaignRuns, [{ id: 2, campaignId: 'c2', dueAt: T, status: 'sending' }]);
  });

  it('invites in the batch unit those the outbox accepted, from when their message goes out, and not the blocked', async () => {
    const b = get();
    const c = await campaignOf(b, 'c1');
    const sent: BulkRecipient[] = [];
    const updates = await b.units.unit((tx) => senderOf(c, [poll('p1', 'Did it rain?')], sent).send(rowsOf([1, 2, 3]), [undefined, undefined, undefined], T, tx));
    expect(updates.map((u) => [u.subscriberId, u.status])).toEqual([
      [1, 'queued'],
      [2, 'queued'],
      [3, 'blocked'],
    ]);
    expect(sent[0]!.text).toContain('Did it rain?');
    expect(await invites(b, 'c1')).toEqual([
      { pollId: 'p1', subscriberId: 1, channel: 'sms', sentAt: T, expiresAt: T + WINDOW, clarifiedAt: null },
      { pollId: 'p1', subscriberId: 2, channel: 'sms', sentAt: LATER, expiresAt: LATER + WINDOW, clarifiedAt: null },
    ]);
  });

  it('a re-invitation opens the poll again; a batch whose unit fails leaves no invitation', async () => {
    const b = get();
    const c = await campaignOf(b, 'c1');
    // Subscriber 1 replied something unclear and was sent the one clarification.
    expect(await b.units.unit((tx) => pollRepo.claimClarification('p1', 1, T + 10, tx))).toBe(true);
    expect((await invites(b, 'c1'))[0]!.clarifiedAt).toBe(T + 10);
    await b.units.unit((tx) => senderOf(c, [poll('p1', 'Did it rain?')], []).send(rowsOf([1]), [T + 100], T + 50, tx));
    expect((await invites(b, 'c1'))[0]).toEqual({ pollId: 'p1', subscriberId: 1, channel: 'sms', sentAt: T + 100, expiresAt: T + 100 + WINDOW, clarifiedAt: null });
    await expect(
      b.units.unit(async (tx) => {
        await senderOf(c, [poll('p1', 'Did it rain?')], []).send(rowsOf([4]), [undefined], T, tx);
        throw new Error('the batch failed after the send');
      }),
    ).rejects.toThrow('the batch failed after the send');
    expect((await invites(b, 'c1')).map((x) => x.subscriberId)).toEqual([1, 2]);
  });

  it('with arms, each recipient is asked and invited to the poll of their arm, with their assignment', async () => {
    const b = get();
    const c = await campaignOf(b, 'c2');
    const sent: BulkRecipient[] = [];
    await b.units.unit((tx) => senderOf(c, [poll('p1', 'Did it rain?'), poll('p2', 'Did you plant?')], sent).send(rowsOf([4, 5, 6]), [undefined, undefined, undefined], T, tx));
    const arms = await b.database.all<{ subscriberId: number; arm: string }>(
      sql`SELECT ${campaignAssignments.subscriberId} AS "subscriberId", ${campaignAssignments.arm} AS "arm" FROM ${campaignAssignments} WHERE ${campaignAssignments.campaignId} = 'c2' ORDER BY 1`,
    );
    expect(arms.map((x) => x.subscriberId)).toEqual([4, 5, 6]);
    const pollOfArm: Record<string, string> = { rain: 'p1', plant: 'p2' };
    const questionOf: Record<string, string> = { p1: 'Did it rain?', p2: 'Did you plant?' };
    expect((await invites(b, 'c2')).map((x) => [x.subscriberId, x.pollId]).sort()).toEqual(arms.map((x) => [x.subscriberId, pollOfArm[x.arm]]));
    for (const x of arms) expect(sent.find((s) => s.subscriberId === x.subscriberId)!.text).toContain(questionOf[pollOfArm[x.arm]!]);
  });
});
