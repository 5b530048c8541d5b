import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Core } from '../core';
import { Localized } from '../config/types';
import { listLimit } from './segments';

const Keywords = Type.Array(Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 20 }), { maxItems: 9 });
const CreateBody = Type.Object(
  {
    type: Type.Union([Type.Literal('choice'), Type.Literal('nps')]),
    question: Localized,
    answers: Type.Optional(Type.Array(Localized, { maxItems: 9 })),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    keywords: Type.Optional(Keywords),
  },
  { additionalProperties: false },
);
const PatchBody = Type.Object(
  {
    question: Type.Optional(Localized),
    answers: Type.Optional(Type.Array(Localized, { maxItems: 9 })),
    keywords: Type.Optional(Keywords),
    status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** Polls: create, list, get, update (close), results (optionally within a segment) and the CSV export. */
export function pollRoutes(app: FastifyInstance, core: Core): void {
  app.post<{ Body: Static<typeof CreateBody> }>('/polls', { schema: { body: CreateBody } }, async (req, reply) => {
    const p = core.polls.create(req.body);
    return reply.status(201).send(core.polls.toJson(p));
  });

  app.get<{ Querystring: { limit?: string } }>('/polls', async (req) => ({ items: core.polls.list(listLimit(req.query.limit)).map((p) => core.polls.toJson(p)) }));

  app.get<{ Params: { id: string } }>('/polls/:id', async (req) => core.polls.toJson(core.polls.require(req.params.id)));

  app.patch<{ Params: { id: string }; Body: Static<typeof PatchBody> }>('/polls/:id', { schema: { body: PatchBody } }, async (req) =>
    core.polls.toJson(core.polls.update(req.params.id, req.body)),
  );

  app.get<{ Params: { id: string }; Querystring: { segmentId?: string } }>('/polls/:id/results', async (req) => {
    const poll = core.polls.require(req.params.id);
    const segmentId = req.query.segmentId;
    if (segmentId === undefined) return core.pollResults.results(poll);
    const s = core.segments.require(segmentId);
    // Respondents who opted out since still count in results: the segment is about who they are.
    const filter = core.segments.compile({ ...s.filter, includeOptedOut: true });
    return core.pollResults.results(poll, { id: s.id, name: s.name, filter });
  });

  app.get<{ Params: { id: string } }>('/polls/:id/results.csv', async (req, reply) => {
    const poll = core.polls.require(req.params.id);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="poll-${poll.id}.csv"`)
      .send(Readable.from(core.pollResults.csv(poll)));
  });
}
