import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { FanoutStore } from '../../src/campaigns/fanout-store';
import { compileFilter } from '../../src/campaigns/segment-repo';
import { campaignRecipients, campaignRuns, campaigns, pollAnswers, polls, subscribers } from '../../src/db/schema';
import { eachBackend } from '../helpers/backends';

// A run's fan-out on both engines: the recipient list filled from a segment (only by the process that
// holds the lease, and only once), who answered the poll left out, recipients read after a cursor with
// their opt-out flag, a batch's outcomes and the cursor written in one unit, and the lease renewed only
// by its holder while the run is sending.
const T = Date.parse('2026-11-02T09:00:00Z');
const msisdn = (id: number) => `+2547440000${String(id).padStart(2, '0')}`;

eachBackend((get) => {
  let fanout: FanoutStore;
  const where = (f: Parameters<typeof compileFilter>[0]) => compileFilter(f, T, { subscriptions: true, crmFlags: true }, { dialect: get().dialect });
  const recipients = () =>
    get().database.all<{ subscriberId: number; status: string; ref: string | null; reason: string | null; at: number | null }>(
      sql`SELECT ${campaignRecipients.subscriberId} AS "subscriberId", ${campaignRecipients.status} AS "status", ${campaignRecipients.ref} AS "ref", ${campaignRecipients.reason} AS "reason", ${campaignRecipients.at} AS "at"
          FROM ${campaignRecipients} WHERE ${campaignRecipients.runId} = 1 ORDER BY 1`,
    );

  beforeAll(async () => {
    const b = get();
    fanout = new FanoutStore(b.database);
    await b.plant(
      subscribers,
      [1, 2, 3, 4, 5].map((id) => ({ id, msisdn: msisdn(id), region: id <= 4 ? 'Nakuru' : 'Coast', language: id % 2 ? 'sw' : 'en', operator: 'safaricom', optedOut: id === 3, firstSeenAt: 0, updatedAt: 0 })),
    );
    await b.plant(polls, [{ id: 'p1', key: 'p1', type: 'choice', question: { en: 'Q?' }, answers: [{ en: 'Yes' }], keywords: [], status: 'open', createdAt: T, updatedAt: T }]);
    await b.plant(pollAnswers, [{ pollId: 'p1', subscriberId: 2, answer: 0, channel: 'sms', at: T }]);
    await b.plant(campaigns, [{ id: 'c1', name: 'c1', kind: 'poll', channel: 'sms', segmentId: 's', pollId: 'p1', timezone: 'Africa/Nairobi', status: 'running', createdAt: T, updatedAt: T }]);
    await b.plant(campaignRuns, [{ id: 1, campaignId: 'c1', dueAt: T, status: 'pending', leaseOwner: 'a', leaseExpiresAt: T + 60_000 }]);
  });

  it('fills the recipient list once, for the lease holder only, leaving out who answered the poll', async () => {
    const b = get();
    const nakuru = where({ region: 'nakuru', includeOptedOut: true });
    expect(await b.units.unit((tx) => fanout.selectRecipients(1, 'b', nakuru, T, 'p1', tx))).toBeNull();
    expect(await b.units.unit((tx) => fanout.selectRecipients(1, 'a', nakuru, T + 1, 'p1', tx))).toBe(3);
    // Sending now: a second fill finds no pending run.
    expect(await b.units.unit((tx) => fanout.selectRecipients(1, 'a', nakuru, T + 2, 'p1', tx))).toBeNull();
    expect((await recipients()).map((r) => [r.subscriberId, r.status])).toEqual([
      [1, 'pending'],
      [3, 'pending'],
      [4, 'pending'],
    ]);
    const run = await b.units.unit((tx) => fanout.run(1, tx));
    expect(run).toMatchObject({ status: 'sending', total: 3, startedAt: T + 1, paceFromAt: T + 1, paceFromCount: 0, cursor: 0 });
  });

  it('reads recipients after the cursor with their opt-out flag, and records a batch with the cursor', async () => {
    const b = get();
    const rows = await b.units.unit((tx) => fanout.recipientsAfter(1, 0, 2, tx));
    expect(rows).toEqual([
      { subscriberId: 1, msisdn: msisdn(1), language: 'sw', operator: 'safaricom', optedOut: false },
      { subscriberId: 3, msisdn: msisdn(3), language: 'sw', operator: 'safaricom', optedOut: true },
    ]);
    await b.units.unit((tx) =>
      fanout.recordBatch(
        1,
        rows,
        [
          { subscriberId: 1, status: 'queued', ref: 'm1', reason: null },
          { subscriberId: 3, status: 'blocked', ref: null, reason: 'opted_out' },
        ],
        3,
        T + 5,
        tx,
      ),
    );
    expect(await recipients()).toEqual([
      { subscriberId: 1, status: 'queued', ref: 'm1', reason: null, at: T + 5 },
      { subscriberId: 3, status: 'blocked', ref: null, reason: 'opted_out', at: T + 5 },
      { subscriberId: 4, status: 'pending', ref: null, reason: null, at: null },
    ]);
    expect(await b.units.unit((tx) => fanout.run(1, tx))).toMatchObject({ cursor: 3, queued: 1, blocked: 1 });
    expect((await b.units.unit((tx) => fanout.recipientsAfter(1, 3, 10, tx))).map((r) => r.subscriberId)).toEqual([4]);
  });

  it('a batch that fails leaves the outcomes and the cursor as they were', async () => {
    const b = get();
    await expect(
      b.units.unit(async (tx) => {
        await fanout.recordBatch(1, [{ subscriberId: 4 }], [{ subscriberId: 4, status: 'queued', ref: 'm4', reason: null }], 4, T + 6, tx);
        throw new Error('the outbox refused');
      }),
    ).rejects.toThrow('the outbox refused');
    expect((await recipients())[2]).toMatchObject({ subscriberId: 4, status: 'pending', ref: null });
    expect(await b.units.unit((tx) => fanout.run(1, tx))).toMatchObject({ cursor: 3, queued: 1, blocked: 1 });
  });

  it('renews the lease only for its holder while the run is sending', async () => {
    const b = get();
    expect(await b.units.unit((tx) => fanout.renewLease(1, 'b', T + 120_000, tx))).toBe(false);
    expect(await b.units.unit((tx) => fanout.renewLease(1, 'a', T + 120_000, tx))).toBe(true);
    expect(await b.units.unit((tx) => fanout.run(1, tx))).toMatchObject({ leaseOwner: 'a', leaseExpiresAt: T + 120_000 });
    await b.units.unit((tx) => tx.run(sql`UPDATE ${campaignRuns} SET ${sql.identifier(campaignRuns.status.name)} = 'paused' WHERE ${campaignRuns.id} = 1`));
    expect(await b.units.unit((tx) => fanout.renewLease(1, 'a', T + 180_000, tx))).toBe(false);
  });
});
