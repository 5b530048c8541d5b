import type { campaignRuns, campaigns } from '../db/schema';

export type Campaign = typeof campaigns.$inferSelect;
export type CampaignRun = typeof campaignRuns.$inferSelect;
export type CampaignStatus = Campaign['status'];
export type RunStatus = CampaignRun['status'];

/** A recipient handed over in one batch. */
export interface RecipientUpdate {
  subscriberId: number;
  status: 'queued' | 'blocked';
  ref: string | null;
  reason: string | null;
}

/** A recipient to hand over, with what the text and the outbox policies need (read in the batch's unit). */
export interface RecipientRow {
  subscriberId: number;
  msisdn: string;
  language: string | null;
  operator: string | null;
  optedOut: boolean;
}

/** What became of a run's messages or calls in one delivery state. */
export interface ExposureCount {
  state: string;
  n: number;
  sent: number;
  reached: number;
}
