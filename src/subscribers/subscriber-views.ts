import type { Subscriber } from './subscriber-service';

/** One domain's fields of a subscriber's view (subscriptions, the CRM block), read asynchronously. */
export type SubscriberViewPart = (s: Subscriber) => Promise<Record<string, unknown>>;

/**
 * The subscriber's profile JSON with every domain's fields laid over it, as GET
 * /api/v1/subscribers/:msisdn and the console profile show it. The parts are read side by side and
 * applied in registration order, so a later domain's field wins as before.
 */
export async function subscriberView(profile: Record<string, unknown>, parts: readonly SubscriberViewPart[], s: Subscriber): Promise<Record<string, unknown>> {
  const out = { ...profile };
  for (const part of await Promise.all(parts.map((view) => view(s)))) Object.assign(out, part);
  return out;
}
