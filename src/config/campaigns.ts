import { Type } from '@sinclair/typebox';
import { Localized, Obj } from './types';

/** Campaign fan-out and polls (issue 7). */
export const CampaignsSection = Obj({
  tickSeconds: Type.Number({ exclusiveMinimum: 0, description: 'how often the scheduler looks for due runs' }),
  batchSize: Type.Integer({ minimum: 1, maximum: 100_000, description: 'recipients handed to the outbox per transaction' }),
  sliceMs: Type.Integer({ minimum: 1, description: 'fan-out work per event-loop turn before yielding to HTTP traffic' }),
  leaseSeconds: Type.Number({ exclusiveMinimum: 0, description: 'a run claimed by a process that stops renewing is taken over after this' }),
  pollReplyWindowHours: Type.Number({ exclusiveMinimum: 0, description: 'how long an SMS poll waits for the reply' }),
  importMaxBytes: Type.Integer({ minimum: 1024, description: 'largest subscriber CSV import' }),
  importSyncMaxBytes: Type.Integer({ minimum: 0, description: 'a larger CSV import runs as a job (202 and GET its status)' }),
  importBatchRows: Type.Integer({ minimum: 1, maximum: 100_000, description: 'CSV lines written per transaction before HTTP traffic gets a turn' }),
  texts: Obj({
    choiceHint: Localized,
    npsHint: Localized,
    thanks: Localized,
    alreadyAnswered: Localized,
    clarify: Localized,
    npsClarify: Localized,
  }),
});
