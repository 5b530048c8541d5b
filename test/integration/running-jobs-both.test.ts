import { beforeEach, expect, it } from 'vitest';
import { campaignRuns, campaigns, crmState } from '../../src/db/schema';
import { RunningJobsStore } from '../../src/operations/running-jobs-store';
import { gatewayStatus } from '../../src/operations/gateway-status';
import { loadConfig } from '../../src/config';
import { eachBackend } from '../helpers/backends';

// What `vasgw status` shows of background jobs, on both engines: campaign runs sending or paused (oldest
// first, with the campaign's name), and the CRM pass lease while it is held and not expired.
const now = Date.parse('2026-11-02T09:00:00Z');

const campaign = (id: string, name: string) => ({ id, name, kind: 'sms' as const, channel: 'sms' as const, segmentId: 'seg_1', timezone: 'Africa/Nairobi', status: 'running' as const, createdAt: now, updatedAt: now });

const run = (id: number, campaignId: string, status: 'pending' | 'sending' | 'paused' | 'done', o: { total?: number; queued?: number; leaseOwner?: string; startedAt?: number } = {}) => ({
  id, campaignId, dueAt: now + id, status, total: o.total ?? 0, queued: o.queued ?? 0, leaseOwner: o.leaseOwner ?? null,
  leaseExpiresAt: o.leaseOwner ? now + 60_000 : null, startedAt: o.startedAt ?? null,
});

eachBackend((get) => {
  beforeEach(async () => {
    const b = get();
    await b.clear(crmState, campaignRuns, campaigns);
    await b.plant(campaigns, [campaign('cmp_a', 'Planting reminder'), campaign('cmp_b', 'Harvest poll')]);
  });

  it('lists runs sending or paused, oldest first, with the campaign name; nothing else', async () => {
    const b = get();
    await b.plant(campaignRuns, [
      run(7, 'cmp_b', 'paused', { total: 50, queued: 20, startedAt: now - 1000 }),
      run(3, 'cmp_a', 'sending', { total: 100, queued: 40, leaseOwner: 'host-a', startedAt: now - 5000 }),
      run(5, 'cmp_a', 'done', { total: 10, queued: 10 }),
      run(9, 'cmp_b', 'pending'),
    ]);
    const jobs = new RunningJobsStore(b.database);
    expect(await jobs.campaignRuns()).toEqual([
      { runId: 3, campaignId: 'cmp_a', name: 'Planting reminder', status: 'sending', total: 100, queued: 40, leaseOwner: 'host-a', leaseExpiresAt: now + 60_000, startedAt: now - 5000 },
      { runId: 7, campaignId: 'cmp_b', name: 'Harvest poll', status: 'paused', total: 50, queued: 20, leaseOwner: null, leaseExpiresAt: null, startedAt: now - 1000 },
    ]);
    expect(await jobs.crmPassLease()).toBeNull();
  });

  it('shows at most 50 runs', async () => {
    const b = get();
    await b.plant(campaignRuns, Array.from({ length: 60 }, (_, i) => run(i + 1, 'cmp_a', 'sending')));
    const runs = await new RunningJobsStore(b.database).campaignRuns();
    expect(runs).toHaveLength(50);
    expect(runs[0]!.runId).toBe(1);
    expect(runs[49]!.runId).toBe(50);
  });

  it('reads the CRM pass lease while someone holds it', async () => {
    const b = get();
    const jobs = new RunningJobsStore(b.database);
    await b.plant(crmState, [{ key: 'pass_lease', owner: null, expiresAt: null, updatedAt: now }]);
    expect(await jobs.crmPassLease()).toBeNull();
    await b.clear(crmState);
    await b.plant(crmState, [
      { key: 'pass_lease', owner: 'crm-host-b', expiresAt: now + 120_000, updatedAt: now },
      { key: 'cursor', owner: 'someone', value: { id: 5 }, updatedAt: now },
    ]);
    expect(await jobs.crmPassLease()).toEqual({ owner: 'crm-host-b', expiresAt: now + 120_000 });
  });

  it('is what the status shows, read from the database alone', async () => {
    const b = get();
    await b.plant(campaignRuns, [run(1, 'cmp_a', 'sending', { total: 100, queued: 40, leaseOwner: 'host-a', startedAt: now })]);
    await b.plant(crmState, [{ key: 'pass_lease', owner: 'crm-host-b', expiresAt: now - 1, updatedAt: now }]);
    const config = loadConfig({ env: {} });
    const s = await gatewayStatus({ database: b.database, config, now });
    expect(s).toMatchObject({ source: 'database', ready: null, queue: { due: 0, deferred: 0, sent: 0 }, oldestDue: null, lastErrors: [] });
    expect(s.jobs).toEqual({
      campaignRuns: [expect.objectContaining({ runId: 1, name: 'Planting reminder', status: 'sending', leaseExpiresAt: new Date(now + 60_000).toISOString(), startedAt: new Date(now).toISOString() })],
      // An expired lease is nobody's.
      crmPass: null,
    });
  });
});
