import { beforeAll, expect, it } from 'vitest';
import type { Campaign } from '../../src/campaigns/campaign-types';
import { CampaignStore } from '../../src/campaigns/campaign-store';
import { campaignRuns, campaigns } from '../../src/db/schema';
import type { UnitOfWork } from '../../src/db/database';
import { eachBackend, type Backend } from '../helpers/backends';

// Two processes on one database race for the same run: the UPDATE that takes the lease decides, so
// exactly one wins, on SQLite and on PostgreSQL alike (the second process is a second connection). The
// same for firing a due campaign: one run per due time however many processes try at once. An expired
// lease can be taken over; a release by a process that does not hold the lease changes nothing.
const T = Date.parse('2026-11-02T09:00:00Z');
const LEASE = 60_000;

const campaign: Campaign = {
  id: 'cmp-race',
  name: 'Race',
  kind: 'sms',
  channel: 'sms',
  fallbackChannel: null,
  segmentId: 'seg-a',
  text: { en: 'Hi' },
  pollId: null,
  flowId: null,
  startNode: null,
  scheduleAt: T,
  cron: null,
  timezone: 'Africa/Nairobi',
  ratePerSecond: null,
  status: 'scheduled',
  nextRunAt: T,
  runs: 0,
  lastRunAt: null,
  arms: null,
  holdoutPercent: null,
  goal: null,
  createdAt: T,
  updatedAt: T,
};

/**
 * A second process: on PostgreSQL a pool of its own (its units are transactions there); on SQLite the
 * second connection would only wait for the first's lock, so the rival takes turns on the same group
 * commit, and its UPDATE still sees the first's write and must lose.
 */
async function rival(b: Backend): Promise<{ store: CampaignStore; units: UnitOfWork; close(): Promise<void> }> {
  if (b.dialect === 'sqlite') return { store: new CampaignStore(b.database), units: b.units, close: async () => undefined };
  const other = await b.reopen();
  return { store: new CampaignStore(other.database), units: other.database as unknown as UnitOfWork, close: () => other.close() };
}

eachBackend((get) => {
  let store: CampaignStore;
  beforeAll(async () => {
    store = new CampaignStore(get().database);
    await get().plant(campaigns, [campaign]);
  });

  it('one run per due time, however many processes fire the campaign at once', async () => {
    const b = get();
    const other = await rival(b);
    try {
      // Both read the campaign as due before either moved it.
      const [mine, theirs] = [await store.due(T), await other.store.due(T)];
      expect(mine.map((c) => c.id)).toEqual(['cmp-race']);
      expect(theirs.map((c) => c.id)).toEqual(['cmp-race']);
      const results = await Promise.all([
        b.units.unit((tx) => store.createRun(mine[0]!, T, null, T, tx)),
        other.units.unit((tx) => other.store.createRun(theirs[0]!, T, null, T, tx)),
      ]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect(await store.find('cmp-race')).toMatchObject({ runs: 1, status: 'running', nextRunAt: null });
    } finally {
      await other.close();
    }
  });

  it('of two processes claiming the same run, exactly one takes the lease', async () => {
    const b = get();
    const run = (await store.openRun('cmp-race'))!;
    const other = await rival(b);
    try {
      const won = await Promise.all([
        b.units.unit((tx) => store.claim(run.id, 'proc-a', T, T + LEASE, tx)),
        other.units.unit((tx) => other.store.claim(run.id, 'proc-b', T, T + LEASE, tx)),
      ]);
      expect(won.filter(Boolean)).toHaveLength(1);
      const holder = won[0] ? 'proc-a' : 'proc-b';
      const loser = won[0] ? 'proc-b' : 'proc-a';
      expect(await store.openRun('cmp-race')).toMatchObject({ leaseOwner: holder, leaseExpiresAt: T + LEASE });
      // A leased run is not workable for anyone until the lease expires.
      expect(await store.workable(T + 1)).toEqual([]);
      // The holder may renew its own claim; the loser may not release it.
      expect(await b.units.unit((tx) => store.claim(run.id, holder, T + 1, T + 1 + LEASE, tx))).toBe(true);
      await b.units.unit((tx) => store.release(run.id, loser, tx));
      expect(await store.openRun('cmp-race')).toMatchObject({ leaseOwner: holder });
      // Once expired, another process takes it over.
      expect(await b.units.unit((tx) => store.claim(run.id, loser, T + 2 + LEASE, T + 2 + 2 * LEASE, tx))).toBe(true);
      expect(await store.openRun('cmp-race')).toMatchObject({ leaseOwner: loser });
      await b.units.unit((tx) => store.releaseAll(loser, tx));
      expect(await store.openRun('cmp-race')).toMatchObject({ leaseOwner: null, leaseExpiresAt: null });
      expect((await store.workable(T + 3)).map((r) => r.id)).toEqual([run.id]);
    } finally {
      await other.close();
    }
  });

  it('a finished run cannot be claimed', async () => {
    const b = get();
    const run = (await store.openRun('cmp-race'))!;
    expect(await b.units.unit((tx) => store.setRunStatus(run.id, 'done', T + 5, ['pending', 'sending'], tx))).toBe(true);
    expect(await b.units.unit((tx) => store.claim(run.id, 'proc-a', T + 6, T + 6 + LEASE, tx))).toBe(false);
    await b.clear(campaignRuns, campaigns);
  });
});
