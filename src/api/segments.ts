import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Core } from '../core';
import { badRequest } from '../lib/errors';

// The filter's own schema is checked by the segment service, which names the bad key in its message.
const CreateBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), filter: Type.Object({}, { additionalProperties: true }) },
  { additionalProperties: false },
);
const PatchBody = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), filter: Type.Optional(Type.Object({}, { additionalProperties: true })) },
  { additionalProperties: false, minProperties: 1 },
);
const PreviewBody = Type.Object({ filter: Type.Object({}, { additionalProperties: true }) }, { additionalProperties: false });

/** Parses `limit` (default 100, 1-500). */
export function listLimit(raw: string | undefined): number {
  const limit = raw === undefined ? 100 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw badRequest('INVALID_LIMIT', 'limit must be a whole number from 1 to 500.');
  return limit;
}

/** Segments: create (with a count), preview a filter, list, get (fresh count), update, delete. */
export function segmentRoutes(app: FastifyInstance, core: Core): void {
  app.post<{ Body: Static<typeof CreateBody> }>('/segments', { schema: { body: CreateBody } }, async (req, reply) => {
    const s = core.segments.create(req.body.name, req.body.filter);
    return reply.status(201).send(core.segments.toJson(s, core.segments.count(s.filter)));
  });

  app.post<{ Body: Static<typeof PreviewBody> }>('/segments/preview', { schema: { body: PreviewBody } }, async (req) => {
    const filter = core.segments.validate(req.body.filter);
    return { count: core.segments.count(filter), sample: core.segments.sample(filter) };
  });

  app.get<{ Querystring: { limit?: string } }>('/segments', async (req) => ({
    items: core.segments.list(listLimit(req.query.limit)).map((s) => core.segments.toJson(s)),
  }));

  app.get<{ Params: { id: string } }>('/segments/:id', async (req) => {
    const s = core.segments.require(req.params.id);
    return core.segments.toJson(s, core.segments.count(s.filter));
  });

  app.patch<{ Params: { id: string }; Body: Static<typeof PatchBody> }>('/segments/:id', { schema: { body: PatchBody } }, async (req) => {
    const s = core.segments.update(req.params.id, req.body);
    return core.segments.toJson(s, core.segments.count(s.filter));
  });

  app.delete<{ Params: { id: string } }>('/segments/:id', async (req, reply) => {
    core.segments.remove(req.params.id);
    return reply.status(204).send();
  });
}
