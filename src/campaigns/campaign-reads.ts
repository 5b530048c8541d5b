import { iso } from '../lib/clock';
import { notFound } from '../lib/errors';
import type { Campaign, CampaignRun, CampaignStatus } from './campaign-types';
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

  /** The campaign's latest run, or undefined (for a list of campaigns: no look-up of the campaign itself). */
  async latestRun(id: string): Promise<CampaignRun | undefined> {
    return (await this.store.runs(id, 1))[0];
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

  /** A page of one run's recipients (default: the latest run), after a subscriber id (CampaignService.recipients' shape). */
  async recipients(id: string, q: { run?: number | undefined; after: number; limit: number; status?: string | undefined }): Promise<{ runId: number | null; items: Record<string, unknown>[]; nextCursor: number | null }> {
    await this.require(id);
    const run = q.run !== undefined ? await this.store.run(q.run) : ((await this.store.runs(id, 1))[0] ?? null);
    if (q.run !== undefined && (!run || run.campaignId !== id)) throw notFound('RUN_NOT_FOUND', `Campaign ${id} has no run ${q.run}.`);
    if (!run) return { runId: null, items: [], nextCursor: null };
    const rows = await this.store.recipients(run.id, { after: q.after, limit: q.limit + 1, status: q.status });
    const page = rows.slice(0, q.limit);
    return { runId: run.id, items: page.map((r) => ({ ...r, at: iso(r.at) })), nextCursor: rows.length > q.limit ? page[page.length - 1]!.subscriberId : null };
  }
}
