import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { Core } from '../core';
import { Localized } from '../config/types';
import { Described, IdParams, Items, Limit, LocalizedText, Nullable, Open, QueryString, StringEnum, Timestamp, errors } from './schemas/common';

const Keywords = Type.Array(Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 20 }), {
  maxItems: 9,
  description: 'Per answer, extra words an SMS reply may use instead of its number.',
});
const CreateBody = Type.Object(
  {
    type: StringEnum(['choice', 'nps'] as const),
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
    status: Type.Optional(StringEnum(['open', 'closed'] as const)),
  },
  { additionalProperties: false, minProperties: 1 },
);

const Poll = Open({
  id: Type.String(),
  key: Type.String(),
  type: StringEnum(['choice', 'nps'] as const),
  question: LocalizedText,
  answers: Type.Optional(Type.Array(LocalizedText)),
  keywords: Type.Optional(Type.Array(Type.Array(Type.String()))),
  status: StringEnum(['open', 'closed'] as const),
  flowId: Type.Optional(Type.String()),
  nodeId: Type.Optional(Nullable(Type.String())),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
});
// Results grow new sections (other channels, breakdowns): everything passes through.
const Results = Open({}, { description: 'Answers counted per option (or NPS score), with response rates per channel.' });
const ResultsQuery = Type.Object({ segmentId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Count only respondents in this segment.' })) });

/** Polls: create, list, get, update (close), results (optionally within a segment) and the CSV export. */
export function pollRoutes(app: FastifyInstance, core: Core): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['polls'];
  r.post('/polls', { schema: { tags, summary: 'Create a poll', body: CreateBody, response: { 201: Described(Poll, 'The poll.'), ...errors(400, 409) } } }, async (req, reply) => {
    const p = await core.polls.create(req.body);
    return reply.status(201).send(core.polls.toJson(p));
  });

  r.get('/polls', { schema: { tags, summary: 'Polls, newest first', querystring: QueryString({ limit: Limit(100, 500) }), response: { 200: Described(Items(Poll), 'Polls, newest first.'), ...errors(400) } } }, async (req) => ({
    items: (await core.pollReads.list(req.query.limit)).map((p) => core.polls.toJson(p)),
  }));

  r.get('/polls/:id', { schema: { tags, summary: 'A poll', params: IdParams, response: { 200: Described(Poll, 'The poll.'), ...errors(400, 404) } } }, async (req) =>
    core.polls.toJson(await core.pollReads.require(req.params.id)),
  );

  r.patch('/polls/:id', { schema: { tags, summary: 'Edit or close a poll', params: IdParams, body: PatchBody, response: { 200: Described(Poll, 'The updated poll.'), ...errors(400, 404, 409) } } }, async (req) =>
    core.polls.toJson(await core.polls.update(req.params.id, req.body)),
  );

  r.get(
    '/polls/:id/results',
    { schema: { tags, summary: 'Poll results, optionally within a segment', params: IdParams, querystring: ResultsQuery, response: { 200: Results, ...errors(400, 404) } } },
    async (req) => {
      const poll = await core.pollReads.require(req.params.id);
      const segmentId = req.query.segmentId;
      if (segmentId === undefined) return await core.pollResults.results(poll);
      const s = await core.segmentReads.require(segmentId);
      // Respondents who opted out since still count in results: the segment is about who they are.
      const filter = core.segments.compile({ ...s.filter, includeOptedOut: true });
      return await core.pollResults.results(poll, { id: s.id, name: s.name, filter });
    },
  );

  // Untyped reply: the body is a stream, which the typed reply (strings and error bodies) cannot name.
  app.get<{ Params: Static<typeof IdParams> }>(
    '/polls/:id/results.csv',
    {
      schema: {
        tags,
        summary: 'Every answer as CSV (one line per response)',
        params: IdParams,
        response: { 200: { description: 'A CSV file with a header row.', content: { 'text/csv': { schema: Type.String() } } }, ...errors(400, 404) },
      },
    },
    async (req, reply) => {
      const poll = await core.pollReads.require(req.params.id);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="poll-${poll.id}.csv"`)
        .send(Readable.from(core.pollResults.csv(poll)));
    },
  );
}
