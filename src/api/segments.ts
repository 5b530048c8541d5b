import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Core } from '../core';
import { AnyObject, Described, IdParams, Items, Limit, Open, QueryString, Timestamp, errors } from './schemas/common';

// The filter's own schema is checked by the segment service, which names the bad key in its message.
const Filter = AnyObject({ description: 'Who is in the segment: profile fields, activity, subscriptions (see docs).' });
const CreateBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), filter: Filter }, { additionalProperties: false });
const PatchBody = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), filter: Type.Optional(Filter) },
  { additionalProperties: false, minProperties: 1 },
);
const PreviewBody = Type.Object({ filter: Filter }, { additionalProperties: false });

const Segment = Open({
  id: Type.String(),
  name: Type.String(),
  filter: Filter,
  count: Type.Optional(Type.Integer({ description: 'Subscribers matching now (on create, get and update).' })),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
});
const Preview = Type.Object({ count: Type.Integer(), sample: Type.Array(Type.String(), { description: 'A few matching numbers.' }) });
const ListQuery = QueryString({ limit: Limit(100, 500) });

/** Segments: create (with a count), preview a filter, list, get (fresh count), update, delete. */
export function segmentRoutes(app: FastifyInstance, core: Core): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['segments'];
  r.post('/segments', { schema: { tags, summary: 'Save a segment (answers with its count)', body: CreateBody, response: { 201: Described(Segment, 'The saved segment with its count.'), ...errors(400, 409) } } }, async (req, reply) => {
    const s = await core.segments.create(req.body.name, req.body.filter);
    return reply.status(201).send(core.segments.toJson(s, await core.segments.count(s.filter)));
  });

  r.post('/segments/preview', { schema: { tags, summary: 'Count and sample a filter without saving it', body: PreviewBody, response: { 200: Described(Preview, 'How many match, and a few of them.'), ...errors(400) } } }, async (req) => {
    const filter = await core.segments.validate(req.body.filter);
    return { count: await core.segments.count(filter), sample: await core.segments.sample(filter) };
  });

  r.get('/segments', { schema: { tags, summary: 'Saved segments, newest first', querystring: ListQuery, response: { 200: Described(Items(Segment), 'Segments, newest first.'), ...errors(400) } } }, async (req) => ({
    items: (await core.segmentReads.list(req.query.limit)).map((s) => core.segments.toJson(s)),
  }));

  r.get('/segments/:id', { schema: { tags, summary: 'A segment with a fresh count', params: IdParams, response: { 200: Described(Segment, 'The segment with a fresh count.'), ...errors(400, 404) } } }, async (req) => {
    const s = await core.segmentReads.require(req.params.id);
    return core.segments.toJson(s, await core.segments.count(s.filter));
  });

  r.patch('/segments/:id', { schema: { tags, summary: 'Rename a segment or change its filter', params: IdParams, body: PatchBody, response: { 200: Described(Segment, 'The updated segment with a fresh count.'), ...errors(400, 404, 409) } } }, async (req) => {
    const s = await core.segments.update(req.params.id, req.body);
    return core.segments.toJson(s, await core.segments.count(s.filter));
  });

  r.delete('/segments/:id', { schema: { tags, summary: 'Delete a segment', params: IdParams, response: { 204: Type.Null({ description: 'Deleted.' }), ...errors(400, 404, 409) } } }, async (req, reply) => {
    await core.segments.remove(req.params.id);
    return reply.status(204).send(null);
  });
}
