import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Core } from '../core';
import { Localized } from '../config/types';
import type { CampaignStatus } from '../campaigns/campaign-repo';
import { badRequest } from '../lib/errors';
import { listLimit } from './segments';

const Schedule = Type.Object(
  {
    at: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    cron: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
const Rate = Type.Integer({ minimum: 1, maximum: 100_000 });
const Id = Type.String({ minLength: 1, maxLength: 100 });
const CreateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    kind: Type.Union([Type.Literal('sms'), Type.Literal('poll'), Type.Literal('call')]),
    segmentId: Id,
    text: Type.Optional(Localized),
    pollId: Type.Optional(Id),
    channel: Type.Optional(Type.Union([Type.Literal('sms'), Type.Literal('call')])),
    flowId: Type.Optional(Id),
    startNode: Type.Optional(Id),
    schedule: Schedule,
    ratePerSecond: Type.Optional(Rate),
    draft: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const PatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    segmentId: Type.Optional(Id),
    text: Type.Optional(Localized),
    flowId: Type.Optional(Id),
    startNode: Type.Optional(Id),
    schedule: Type.Optional(Schedule),
    ratePerSecond: Type.Optional(Type.Union([Rate, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
const STATUSES: CampaignStatus[] = ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'];

/**
 * Campaigns: create (docs/contract.md shape), list, get, update, schedule, start / pause / resume / cancel,
 * runs, results (per run: handed over, blocked and why, delivery) and recipients.
 */
export function campaignRoutes(app: FastifyInstance, core: Core): void {
  const c = core.campaigns;
  const detail = (id: string) => {
    const campaign = c.require(id);
    return { ...c.toJson(campaign), latestRuns: c.runs(id).slice(0, 5).map((r) => c.runJson(r, campaign.channel)) };
  };

  app.post<{ Body: Static<typeof CreateBody> }>('/campaigns', { schema: { body: CreateBody } }, async (req, reply) => {
    const created = c.create(req.body);
    return reply.status(201).send(c.toJson(created));
  });

  app.get<{ Querystring: { limit?: string; status?: string } }>('/campaigns', async (req) => {
    const statuses = req.query.status?.split(',').filter(Boolean);
    const bad = statuses?.find((s) => !(STATUSES as string[]).includes(s));
    if (bad) throw badRequest('INVALID_STATUS', `status "${bad.slice(0, 20)}" is not one of ${STATUSES.join(', ')}.`);
    return { items: c.list(listLimit(req.query.limit), statuses as CampaignStatus[] | undefined).map((x) => c.toJson(x)) };
  });

  app.get<{ Params: { id: string } }>('/campaigns/:id', async (req) => detail(req.params.id));

  app.patch<{ Params: { id: string }; Body: Static<typeof PatchBody> }>('/campaigns/:id', { schema: { body: PatchBody } }, async (req) => {
    c.update(req.params.id, req.body);
    return detail(req.params.id);
  });

  app.post<{ Params: { id: string }; Body: Static<typeof Schedule> }>('/campaigns/:id/schedule', { schema: { body: Schedule } }, async (req) => {
    c.update(req.params.id, { schedule: req.body });
    return detail(req.params.id);
  });

  for (const action of ['start', 'pause', 'resume', 'cancel'] as const) {
    app.post<{ Params: { id: string } }>(`/campaigns/:id/${action}`, async (req) => {
      c[action](req.params.id);
      return detail(req.params.id);
    });
  }

  app.get<{ Params: { id: string } }>('/campaigns/:id/runs', async (req) => {
    const campaign = c.require(req.params.id);
    return { items: c.runs(campaign.id).map((r) => c.runJson(r, campaign.channel)) };
  });

  app.get<{ Params: { id: string } }>('/campaigns/:id/results', async (req) => {
    const campaign = c.require(req.params.id);
    const results = c.results(campaign.id);
    if (campaign.pollId) {
      const poll = core.polls.find(campaign.pollId);
      if (poll) results.poll = core.pollResults.results(poll);
    }
    return results;
  });

  app.get<{ Params: { id: string }; Querystring: { run?: string; status?: string; after?: string; limit?: string } }>('/campaigns/:id/recipients', async (req) => {
    const q = req.query;
    const num = (v: string | undefined, name: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw badRequest('INVALID_QUERY', `${name} must be a whole number.`);
      return n;
    };
    const status = q.status;
    if (status !== undefined && !['pending', 'queued', 'blocked'].includes(status)) throw badRequest('INVALID_QUERY', 'status must be pending, queued or blocked.');
    return c.recipients(req.params.id, { run: num(q.run, 'run'), after: num(q.after, 'after') ?? 0, limit: listLimit(q.limit), status });
  });
}
