import type { Core } from '../../src/core';
import type { ProfilePatch, Subscriber } from '../../src/subscribers/subscriber-service';
import type { UsageEvent } from '../../src/usage/usage-log';

/**
 * Planting subscribers and usage the way the gateway writes them: each call is one unit of work through
 * the core's services, on whichever engine the gateway runs.
 */
type Planted = Pick<Core, 'commits' | 'subscribers' | 'usage'>;

/** The subscriber for `msisdn`, created on first use (last-seen at `at` unless `touch: false`). */
export function ensureSubscriber(core: Planted, msisdn: string, opts: { at?: number; touch?: boolean } = {}): Promise<Subscriber> {
  return core.commits.unit((tx) => core.subscribers.ensureIn(tx, msisdn, opts));
}

/** The subscriber for `msisdn`, or null. */
export function findSubscriber(core: Planted, msisdn: string): Promise<Subscriber | null> {
  return core.subscribers.findIn(undefined, msisdn);
}

/** The subscriber with id `id`, or null. */
export function findSubscriberById(core: Planted, id: number): Promise<Subscriber | null> {
  return core.subscribers.findByIdIn(undefined, id);
}

/** The id of a known subscriber (throws for an unknown number: a test planted it). */
export async function subscriberId(core: Planted, msisdn: string): Promise<number> {
  const s = await findSubscriber(core, msisdn);
  if (!s) throw new Error(`no subscriber ${msisdn}`);
  return s.id;
}

/** Checks and writes a profile patch, as the API's PATCH does. */
export function updateProfile(core: Planted, id: number, patch: ProfilePatch): Promise<Subscriber> {
  const valid = core.subscribers.validateProfile(patch);
  return core.commits.unit((tx) => core.subscribers.applyProfileIn(tx, id, valid));
}

/** Sets or clears a subscriber's opt-out, as STOP / START do. */
export function setOptOut(core: Planted, id: number, optedOut: boolean): Promise<void> {
  return core.commits.unit((tx) => core.subscribers.setOptOutIn(tx, id, optedOut));
}

/** Appends usage events in one unit. */
export function recordUsage(core: Planted, events: readonly UsageEvent[]): Promise<void> {
  return core.commits.unit((tx) => core.usage.recordIn(tx, events));
}
