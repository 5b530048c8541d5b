import { sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { CampaignService } from '../../src/campaigns/campaign-service';
import { CampaignStore } from '../../src/campaigns/campaign-store';
import { SegmentRepo } from '../../src/campaigns/segment-repo';
import { SegmentService } from '../../src/campaigns/segment-service';
import { ConsoleAccounts } from '../../src/console/auth/accounts';
import { campaigns, consoleAudit, segments } from '../../src/db/schema';
import { ManualClock } from '../../src/lib/clock';
import { ProfileSchema } from '../../src/subscribers/profile-schema';
import { eachBackend, type Backend } from '../helpers/backends';

// The console's segment and campaign changes and their audit entries on both engines, as the pages make
// them: the change and its entry are one unit, so an entry is there exactly when the change is. A change
// refused by its checks writes no entry, and a unit that fails after the entry was written keeps neither.
const T0 = Date.parse('2026-11-02T09:00:00Z');
const WHO = 'amina';

eachBackend((get) => {
  const clock = new ManualClock(T0);
  let accounts: ConsoleAccounts;
  let segmentService: SegmentService;
  let campaignService: CampaignService;

  const audit = (b: Backend) =>
    b.database.all<{ action: string; target: string | null }>(sql`SELECT ${consoleAudit.action} AS "action", ${consoleAudit.target} AS "target" FROM ${consoleAudit} ORDER BY ${consoleAudit.id}`);
  const segmentNames = async (b: Backend) => (await b.database.all<{ name: string }>(sql`SELECT ${segments.name} AS "name" FROM ${segments} ORDER BY ${segments.name}`)).map((r) => r.name);
  const campaignStatus = async (b: Backend, id: string) => (await b.database.get<{ status: string }>(sql`SELECT ${campaigns.status} AS "status" FROM ${campaigns} WHERE ${campaigns.id} = ${id}`))?.status;
  const entry = (action: string) => (tx: Parameters<ConsoleAccounts['auditIn']>[0], changed: { id: string }) => accounts.auditIn(tx, WHO, action, changed.id);

  beforeEach(async () => {
    const b = get();
    await b.clear(consoleAudit, campaigns, segments);
    const store = new CampaignStore(b.database);
    accounts = new ConsoleAccounts({ database: b.database, units: b.units }, clock, { sessionHours: 8, lockout: { attempts: 3, minutes: 15 } });
    segmentService = new SegmentService({
      repo: new SegmentRepo(b.database),
      units: b.units,
      clock,
      tables: () => ({ subscriptions: true, crmFlags: true }),
      pollExists: async () => false,
      serviceIds: () => [],
      usedBy: (id, tx) => store.activeOnSegment(id, tx),
      profile: new ProfileSchema({ fields: {} }),
    });
    campaignService = new CampaignService({
      units: b.units,
      clock,
      store,
      segments: segmentService,
      polls: { findIn: () => Promise.resolve(null) },
      serviceIds: () => [],
      flows: { byId: () => null },
      defaultTimezone: 'Africa/Nairobi',
      kick: () => undefined,
    });
  });


  it('a segment saved, edited and deleted from the console leaves one entry per change', async () => {
    const b = get();
    const s = await segmentService.create('Nakuru', { region: 'Nakuru' }, entry('segment.create'));
    await segmentService.update(s.id, { name: 'Nakuru maize', filter: { region: 'Nakuru', crop: ['maize'] } }, entry('segment.update'));
    expect(await segmentNames(b)).toEqual(['Nakuru maize']);
    await segmentService.remove(s.id, entry('segment.delete'));
    expect(await segmentNames(b)).toEqual([]);
    expect(await audit(b)).toEqual([
      { action: 'segment.create', target: s.id },
      { action: 'segment.update', target: s.id },
      { action: 'segment.delete', target: s.id },
    ]);
  });

  it('a segment change that fails keeps no entry: refused by its checks, or failing after the entry was written', async () => {
    const b = get();
    const s = await segmentService.create('Kisumu', { region: 'Kisumu' });
    // Still used by a campaign that can run: the delete is refused inside its unit.
    await campaignService.create({ kind: 'sms', segmentId: s.id, text: { en: 'Rain is coming' }, schedule: { at: new Date(T0 + 86_400_000).toISOString() } });
    await expect(segmentService.remove(s.id, entry('segment.delete'))).rejects.toMatchObject({ status: 409 });
    await expect(
      segmentService.create('Meru', { region: 'Meru' }, async (tx, made) => {
        await accounts.auditIn(tx, WHO, 'segment.create', made.id);
        throw new Error('the page failed after the entry');
      }),
    ).rejects.toThrow('after the entry');
    expect(await segmentNames(b)).toEqual(['Kisumu']);
    expect(await audit(b)).toEqual([]);
  });

  it('a campaign created, started and cancelled leaves one entry per change; a refused action none', async () => {
    const b = get();
    const s = await segmentService.create('Everyone', {});
    const c = await campaignService.create({ kind: 'sms', segmentId: s.id, text: { en: 'Plant now' }, draft: true, schedule: { at: new Date(T0 + 86_400_000).toISOString() } }, entry('campaign.create'));
    await campaignService.start(c.id, entry('campaign.start'));
    expect(await campaignStatus(b, c.id)).toBe('scheduled');
    // Only a paused campaign resumes: refused, and no entry says it happened.
    await expect(campaignService.resume(c.id, entry('campaign.resume'))).rejects.toMatchObject({ status: 409 });
    await campaignService.cancel(c.id, entry('campaign.cancel'));
    await expect(campaignService.pause(c.id, entry('campaign.pause'))).rejects.toMatchObject({ status: 409 });
    expect(await campaignStatus(b, c.id)).toBe('cancelled');
    expect(await audit(b)).toEqual([
      { action: 'campaign.create', target: c.id },
      { action: 'campaign.start', target: c.id },
      { action: 'campaign.cancel', target: c.id },
    ]);
  });

  it('a campaign edit that fails after its entry was written keeps neither the edit nor the entry', async () => {
    const b = get();
    const s = await segmentService.create('Everyone', {});
    const c = await campaignService.create({ kind: 'sms', segmentId: s.id, name: 'Before', text: { en: 'Plant now' }, draft: true, schedule: { at: new Date(T0 + 86_400_000).toISOString() } });
    await expect(
      campaignService.update(c.id, { name: 'After' }, async (tx, changed) => {
        await accounts.auditIn(tx, WHO, 'campaign.edit', changed.id);
        throw new Error('the page failed after the entry');
      }),
    ).rejects.toThrow('after the entry');
    expect((await b.database.get<{ name: string }>(sql`SELECT ${campaigns.name} AS "name" FROM ${campaigns} WHERE ${campaigns.id} = ${c.id}`))!.name).toBe('Before');
    expect(await audit(b)).toEqual([]);
  });
});
