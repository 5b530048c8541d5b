import { FINDING_KINDS } from '../crm/detectors/types';
import type { ReportRange } from './range';
import type { FindingsStore } from './stores/findings-store';

/** What each kind of finding means, as the report says it. */
export const FINDING_MEANINGS = {
  stuck: 'subscribers who kept failing to find content',
  passive: 'subscribers paying for a service they have stopped using',
  lapsing: 'subscriptions whose renewals fail or whose use is fading',
  churned: 'subscriptions cancelled or expired by someone who had used the service',
  new_subscriber: 'subscribers new to the service (first session or first subscription ever): the welcome',
  first_sessions_stuck: 'new subscribers stuck in one of their first sessions: the onboarding follow-up',
  exit_reason: 'subscribers who left a service and gave a reason that routes to a follow-up (exit reasons)',
} as const;

/**
 * The CRM's findings detected in the range, per kind (every kind of FINDING_KINDS): what the
 * detector passes found, whether or not anyone was then acted on. Findings are stored when a pass runs,
 * so a range newer than the last pass counts nothing yet.
 */
export async function findingsReport(store: FindingsStore, r: ReportRange): Promise<Record<string, unknown>> {
  const kinds: Record<string, { subscribers: number; meaning: string }> = {};
  for (const kind of FINDING_KINDS) kinds[kind] = { subscribers: 0, meaning: FINDING_MEANINGS[kind] };
  for (const row of await store.counts(r.from, r.to)) {
    const k = kinds[row.kind];
    if (k) k.subscribers += row.n;
  }
  return { kinds, note: 'Counted by detection time; a subscriber is found again only in a new situation (another exit, another stuck spell).' };
}
