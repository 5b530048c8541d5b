import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../core';
import type { CampaignStatus } from '../campaigns/campaign-types';
import { Described, IdParams, Items, errors } from './schemas/common';
import { Campaign, CampaignDetail, CreateBody, ListQuery, PatchBody, Recipients, RecipientsQuery, Results, Run, Schedule } from './schemas/campaigns';

/**
 * Campaigns: create (docs/contract.md shape), list, get, update, schedule, start / pause / resume / cancel,
 * runs, results (per run: handed over, blocked and why, delivery) and recipients.
 */
export function campaignRoutes(app: FastifyInstance, core: Core): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const c = core.campaigns;
  const tags = ['campaigns'];
  // What a write answers: read once the write is durable, as GET /campaigns/:id reads it.
  const detail = (id: string) => core.campaignReads.detail(id);

  r.post('/campaigns', { schema: { tags, summary: 'Create a campaign (scheduled, or a draft)', body: CreateBody, response: { 201: Described(Campaign, 'The campaign.'), ...errors(400, 404) } } }, async (req, reply) => {
    const created = await c.create(req.body);
    return reply.status(201).send(c.toJson(created));
  });

  r.get('/campaigns', { schema: { tags, summary: 'Campaigns, newest first', querystring: ListQuery, response: { 200: Described(Items(Campaign), 'Campaigns, newest first.'), ...errors(400) } } }, async (req) => {
    const statuses = req.query.status?.split(',') as CampaignStatus[] | undefined;
    return { items: (await core.campaignReads.list(req.query.limit, statuses)).map((x) => c.toJson(x)) };
  });

  r.get('/campaigns/:id', { schema: { tags, summary: 'A campaign with its latest runs', params: IdParams, response: { 200: Described(CampaignDetail, 'The campaign with its latest runs.'), ...errors(400, 404) } } }, async (req) =>
    core.campaignReads.detail(req.params.id),
  );

  r.patch(
    '/campaigns/:id',
    { schema: { tags, summary: 'Change a campaign that is not running', params: IdParams, body: PatchBody, response: { 200: Described(CampaignDetail, 'The campaign with its latest runs.'), ...errors(400, 404, 409) } } },
    async (req) => {
      await c.update(req.params.id, req.body);
      return detail(req.params.id);
    },
  );

  r.post(
    '/campaigns/:id/schedule',
    { schema: { tags, summary: "Change a campaign's schedule", params: IdParams, body: Schedule, response: { 200: Described(CampaignDetail, 'The campaign with its latest runs.'), ...errors(400, 404, 409) } } },
    async (req) => {
      await c.update(req.params.id, { schedule: req.body });
      return detail(req.params.id);
    },
  );

  const actions = { start: 'Start a draft', pause: 'Pause a scheduled or running campaign', resume: 'Resume a paused campaign', cancel: 'Cancel a campaign for good' } as const;
  for (const action of ['start', 'pause', 'resume', 'cancel'] as const) {
    r.post(`/campaigns/:id/${action}`, { schema: { tags, summary: actions[action], params: IdParams, response: { 200: Described(CampaignDetail, 'The campaign with its latest runs.'), ...errors(400, 404, 409) } } }, async (req) => {
      await c[action](req.params.id);
      return detail(req.params.id);
    });
  }

  r.get('/campaigns/:id/runs', { schema: { tags, summary: "A campaign's runs, newest first", params: IdParams, response: { 200: Described(Items(Run), 'Runs, newest first.'), ...errors(400, 404) } } }, async (req) => {
    const reads = core.campaignReads;
    const campaign = await reads.require(req.params.id);
    const items = [];
    for (const x of await reads.runs(campaign.id)) items.push(await reads.runJson(x, campaign.channel));
    return { items };
  });

  r.get('/campaigns/:id/results', { schema: { tags, summary: 'What each run handed over, blocked and delivered; per arm for a campaign with arms', params: IdParams, response: { 200: Described(Results, 'Per run: handed over, blocked and why, delivery; poll results for a poll campaign.'), ...errors(400, 404) } } }, async (req) => {
    const campaign = await core.campaignReads.require(req.params.id);
    const results = await core.campaignReads.results(campaign.id);
    if (campaign.pollId) {
      const poll = await core.pollReads.find(campaign.pollId);
      if (poll) results.poll = await core.pollResults.results(poll);
    }
    if (campaign.arms && campaign.arms.length > 0) results.arms = await core.armsResults.results(campaign, core.clock.now());
    return results;
  });

  r.get(
    '/campaigns/:id/recipients',
    { schema: { tags, summary: "A page of one run's recipients and what became of each", params: IdParams, querystring: RecipientsQuery, response: { 200: Described(Recipients, 'A page of recipients.'), ...errors(400, 404) } } },
    async (req) => {
      const { run, after, limit, status } = req.query;
      return core.campaignReads.recipients(req.params.id, { run, after, limit, status });
    },
  );
}
