import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import type { Campaign } from '../../src/campaigns/campaign-types';
import { CampaignStore } from '../../src/campaigns/campaign-store';
import { campaignRuns, campaigns, polls } from '../../src/db/schema';
import { eachBackend } from '../helpers/backends';

// The campaign writes on both engines, through the store the campaign service uses: a campaign with
// every JSON column and nulls written and read back as it was; a save of every field; a run created
// for a due time moves the schedule; a run's status moves only from the states given, a final one
// ending the lease; pacing restarts; and a unit that fails leaves none of its writes.
const T = Date.parse('2026-11-02T09:00:00Z');

const base: Campaign = {
  id: 'cmp-1',
  name: 'Planting — café',
  kind: 'poll',
  channel: 'best',
  fallbackChannel: 'sms',
  segmentId: 'seg-a',
  text: { en: 'Plant now', sw: 'Panda sasa' },
  pollId: 'pol-1',
  flowId: 'crop-advice',
  startNode: 'ask',
  scheduleAt: T,
  cron: null,
  timezone: 'Africa/Nairobi',
  ratePerSecond: 5,
  status: 'scheduled',
  nextRunAt: T,
  runs: 0,
  lastRunAt: null,
  arms: [{ name: 'weekly', channel: 'call', flowId: 'crop-advice', serviceId: 'tips-weekly', price: 'KES 10', share: 2 }, { name: 'plain', text: { en: 'Hi' } }],
  holdoutPercent: 10,
  goal: { type: 'subscribed', serviceId: 'tips-weekly', windowDays: 7 },
  createdAt: T,
  updatedAt: T,
};

eachBackend((get) => {
  let store: CampaignStore;
  beforeAll(async () => {
    const b = get();
    store = new CampaignStore(b.database);
    await b.plant(polls, [{ id: 'pol-1', key: 'pol-1', type: 'choice', question: { en: 'Q?' }, answers: [{ en: 'Yes' }], keywords: [], status: 'open', createdAt: T, updatedAt: T }]);
  });

  it('inserts a campaign and reads it back whole, JSON columns decoded and nulls kept', async () => {
    await get().units.unit((tx) => store.insert(base, tx));
    expect(await store.find('cmp-1')).toEqual(base);
    const plain: Campaign = { ...base, id: 'cmp-2', kind: 'sms', channel: 'sms', fallbackChannel: null, pollId: null, flowId: null, startNode: null, arms: null, holdoutPercent: null, goal: null, text: { en: 'x' }, ratePerSecond: null, status: 'draft', nextRunAt: null };
    await get().units.unit((tx) => store.insert(plain, tx));
    expect(await store.find('cmp-2')).toEqual(plain);
    expect(await store.activeOnSegment('seg-a')).toEqual(['cmp-1', 'cmp-2']);
  });

  it('saves every field', async () => {
    const next: Campaign = { ...base, name: 'Renamed', text: { en: 'Later' }, cron: '0 9 * * 1', scheduleAt: null, ratePerSecond: null, status: 'paused', nextRunAt: null, goal: null, updatedAt: T + 5 };
    await get().units.unit((tx) => store.save(next, tx));
    expect(await store.find('cmp-1')).toEqual(next);
    await get().units.unit((tx) => store.save(base, tx));
  });

  it('a due campaign gets one run for its due time; the schedule moves past it', async () => {
    expect((await store.due(T)).map((c) => c.id)).toEqual(['cmp-1']);
    expect(await store.due(T - 1)).toEqual([]);
    const run = await get().units.unit((tx) => store.createRun(base, T, T + 86_400_000, T + 10, tx));
    expect(run).toMatchObject({ campaignId: 'cmp-1', dueAt: T, status: 'pending', total: 0, queued: 0, cursor: 0, leaseOwner: null });
    expect(await store.find('cmp-1')).toMatchObject({ status: 'running', nextRunAt: T + 86_400_000, runs: 1, lastRunAt: T + 10, updatedAt: T + 10 });
    // The same due time again (another process that read the campaign before the move): nothing.
    expect(await get().units.unit((tx) => store.createRun(base, T, T + 86_400_000, T + 20, tx))).toBeNull();
    expect(await store.find('cmp-1')).toMatchObject({ runs: 1, lastRunAt: T + 10 });
    expect(await store.openRun('cmp-1')).toMatchObject({ id: run!.id, status: 'pending' });
    expect((await store.workable(T + 10)).map((r) => r.id)).toEqual([run!.id]);
  });

  it("moves a run's status only from the states given; a final status ends the lease", async () => {
    const run = (await store.openRun('cmp-1'))!;
    expect(await get().units.unit((tx) => store.claim(run.id, 'a', T, T + 60_000, tx))).toBe(true);
    expect(await get().units.unit((tx) => store.setRunStatus(run.id, 'paused', T + 1, ['sending'], tx))).toBe(false);
    expect(await get().units.unit((tx) => store.setRunStatus(run.id, 'paused', T + 1, ['pending', 'sending'], tx))).toBe(true);
    expect(await store.openRun('cmp-1')).toMatchObject({ status: 'paused', leaseOwner: 'a', finishedAt: null });
    expect(await store.workable(T + 2)).toEqual([]);
    await get().units.unit((tx) => store.repace(run.id, T + 3, T + 9, tx));
    expect(await store.openRun('cmp-1')).toMatchObject({ paceFromAt: T + 3, paceFromCount: 0, deferredUntil: T + 9 });
    expect(await store.openRunCounts()).toEqual([{ status: 'paused', n: 1 }]);
    expect(await get().units.unit((tx) => store.setRunStatus(run.id, 'cancelled', T + 4, ['pending', 'sending', 'paused'], tx))).toBe(true);
    const b = get();
    const [row] = await b.database.all<{ status: string; finishedAt: number; leaseOwner: string | null }>(
      sql`SELECT ${campaignRuns.status} AS "status", ${campaignRuns.finishedAt} AS "finishedAt", ${campaignRuns.leaseOwner} AS "leaseOwner" FROM ${campaignRuns} WHERE ${campaignRuns.id} = ${run.id}`,
    );
    expect(row).toEqual({ status: 'cancelled', finishedAt: T + 4, leaseOwner: null });
    expect(await store.openRun('cmp-1')).toBeNull();
  });

  it('a unit that fails after its writes leaves none of them', async () => {
    const b = get();
    await expect(
      b.units.unit(async (tx) => {
        await store.insert({ ...base, id: 'cmp-3', nextRunAt: T + 5 }, tx);
        expect(await store.createRun({ id: 'cmp-3' }, T + 5, null, T + 5, tx)).toMatchObject({ campaignId: 'cmp-3' });
        throw new Error('a later step failed');
      }),
    ).rejects.toThrow('a later step failed');
    expect(await store.find('cmp-3')).toBeNull();
    expect(await store.openRun('cmp-3')).toBeNull();
    await b.clear(campaignRuns, campaigns);
  });
});
