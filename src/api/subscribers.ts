import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Core } from '../core';
import { tx } from '../db/client';
import { badRequest } from '../lib/errors';

/** GET/PATCH /api/v1/subscribers/:msisdn and the usage log at /events. */
export function subscriberRoutes(app: FastifyInstance, core: Core): void {
  const view = (id: number) => {
    const s = core.subscribers.findById(id)!;
    const out: Record<string, unknown> = core.subscribers.toJson(s);
    for (const extend of core.subscriberViews) Object.assign(out, extend(s));
    return out;
  };

  app.get<{ Params: { msisdn: string } }>('/subscribers/:msisdn', async (req) => view(core.subscribers.require(req.params.msisdn).id));

  app.get<{ Params: { msisdn: string }; Querystring: { limit?: string; before?: string } }>('/subscribers/:msisdn/events', async (req) => {
    const s = core.subscribers.require(req.params.msisdn);
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest('INVALID_LIMIT', 'limit must be a whole number from 1 to 1000.');
    const before = req.query.before === undefined ? undefined : Number(req.query.before);
    if (before !== undefined && !Number.isInteger(before)) throw badRequest('INVALID_CURSOR', 'before must be an event id.');
    return core.usage.list(s.id, { limit, ...(before !== undefined ? { beforeId: before } : {}) });
  });

  // Values are checked against the profile schema by the service, which names the field and what it allows.
  app.patch<{ Params: { msisdn: string }; Body: Record<string, unknown> }>(
    '/subscribers/:msisdn',
    { schema: { body: Type.Record(Type.String(), Type.Unknown(), { minProperties: 1 }) } },
    async (req) => {
      const msisdn = core.subscribers.normalize(req.params.msisdn);
      if (!msisdn) throw badRequest('INVALID_MSISDN', `"${req.params.msisdn.slice(0, 32)}" is not a phone number (use +2547..., 2547... or 07...).`);
      const { msisdn: _ignored, ...patch } = req.body;
      // Checked before the subscriber is created: a refused patch leaves nothing behind.
      const valid = core.subscribers.validateProfile(patch);
      // Creating a profile is not hearing from the subscriber: last-seen stays as it was.
      const id = tx(core.db, () => {
        const s = core.subscribers.ensure(msisdn, { at: core.clock.now(), touch: false });
        return core.subscribers.applyProfile(s.id, valid).id;
      });
      return view(id);
    },
  );
}
