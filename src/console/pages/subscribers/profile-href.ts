import type { Core } from '../../../core';
import { notFound } from '../../../lib/errors';
import type { Subscriber } from '../../../subscribers/subscriber-repo';

/**
 * A subscriber's profile page, addressed by the subscriber's id (`s42`): the address never carries the
 * number, so a viewer (who sees numbers masked) cannot read it from a link, and browser history on a
 * shared field phone stays clean.
 */
export function profileHref(id: number): string {
  return `/console/subscribers/s${id}`;
}

/** The subscriber a profile address names: `s<id>`, or a phone number (what an editor may type in). */
export async function subscriberOf(core: Core, ref: string): Promise<Subscriber> {
  const byId = /^s(\d{1,15})$/.exec(ref);
  if (!byId) return core.subscribers.requireIn(undefined, ref);
  const s = await core.subscribers.findByIdIn(undefined, Number(byId[1]));
  if (!s) throw notFound('SUBSCRIBER_NOT_FOUND', 'There is no such subscriber.');
  return s;
}
