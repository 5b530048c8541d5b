import type { Config } from '../../config';
import type { Database } from '../../db/database';
import type { subscriptions } from '../../db/schema';
import type { ActivityStore } from '../activity-store';
import type { Days } from '../days';
import type { FlowIndex } from '../flow-index';
import type { IngestResult } from '../ingest';

export type FindingKind = 'stuck' | 'passive' | 'lapsing' | 'churned' | 'new_subscriber' | 'first_sessions_stuck' | 'exit_reason';
export const FINDING_KINDS: readonly FindingKind[] = ['stuck', 'passive', 'lapsing', 'churned', 'new_subscriber', 'first_sessions_stuck', 'exit_reason'];

/** A finding before it is stored: who, what, why, and the key that makes it happen only once. */
export interface FindingDraft {
  subscriberId: number;
  kind: FindingKind;
  reason: string;
  serviceId: string | null;
  /** Identity of the situation; a second detection of the same situation is not a second finding. */
  dedupeKey: string;
  detail: Record<string, unknown>;
}

/** What every detector may read. */
export interface DetectorContext {
  /** The detectors' reads (either engine). */
  database: Database;
  config: Pick<Config, 'crm' | 'services'>;
  store: ActivityStore;
  flows: FlowIndex;
  days: Days;
  now: number;
  delta: IngestResult;
}

/** A subscription row as the detectors read it (the subscriptions domain owns the table). */
export type SubscriptionRow = Pick<
  typeof subscriptions.$inferSelect,
  'id' | 'subscriberId' | 'serviceId' | 'state' | 'stateEnteredAt' | 'consecutiveFailures' | 'renewals' | 'lastChargedAt' | 'subscribedAt'
>;
