import { notFound } from '../lib/errors';
import type { Campaign, CampaignRun, CampaignStatus } from './campaign-repo';
import type { CampaignReadStore } from './campaign-read-store';
import { campaignJson, resultsJson, runJsonOf, type RunJson } from './campaign-service';

/**
 * Campaigns as the GET endpoints and the console's pages show them, read asynchronously through the
 * two-engine read store. Nothing here decides a write: a write path reads through CampaignService
 * (synchronously, inside its transaction), so no other request can change the row between its read and
 * its write.
 */
export class CampaignReads {
  constructor(private readonly store: CampaignReadStore) {}

  /** The campaign; 404 otherwise. */
  async require(id: string): Promise<Campaign> {
    const c = await this.store.find(id);
    if (!c) throw notFound('CAMPAIGN_NOT_FOUND', `No campaign with id ${id}.`);
    return c;
  }

  /** The campaign or null. */
  async find(id: string): Promise<Campaign | null> {
    return this.store.find(id);
  }

  /** Campaigns, newest first, optionally of some statuses. */
  async list(limit = 100, statuses?: CampaignStatus[]): Promise<Campaign[]> {
    return this.store.list(limit, statuses);
  }

  /** The campaign's runs, newest first (404 for an unknown campaign). */
  async runs(id: string, limit = 50): Promise<CampaignRun[]> {
    await this.require(id);
    return this.store.runs(id, limit);
  }

  /** The public JSON shape of a run, with what became of what it handed over. */
  async runJson(r: CampaignRun, channel: Campaign['channel']): Promise<RunJson> {
    const s = this.store;
    // A best-channel run handed some recipients to the outbox and some to the call queue: each ref joins one.
    if (channel === 'best') return runJsonOf(r, { sms: await s.exposure(r.id, 'sms'), call: await s.exposure(r.id, 'call') });
    return runJsonOf(r, await s.exposure(r.id, channel));
  }

  /** GET /campaigns/:id: the campaign with its five latest runs. */
  async detail(id: string): Promise<Record<string, unknown>> {
    const campaign = await this.require(id);
    const latest = await this.store.runs(id, 5);
    const runs: RunJson[] = [];
    for (const r of latest) runs.push(await this.runJson(r, campaign.channel));
    return { ...campaignJson(campaign), latestRuns: runs };
  }

  /** Per run: handed over, blocked (by reason) and delivered, with totals (CampaignService.results' shape). */
  async results(id: string): Promise<Record<string, unknown>> {
    const c = await this.require(id);
    const runs: Array<RunJson & { blockedReasons: Record<string, number> }> = [];
    for (const r of await this.store.runs(id)) runs.push({ ...(await this.runJson(r, c.channel)), blockedReasons: await this.store.blockedReasons(r.id) });
    return resultsJson(c, runs);
  }
}
