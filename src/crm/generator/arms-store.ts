import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { campaignAssignments, campaignRecipients, campaignRuns, campaigns, messages, segments, subscribers, usageEvents } from '../../db/schema';

/** The rows of one planted batch. */
export interface PlantedRows {
  messages: (typeof messages.$inferInsert)[];
  assignments: (typeof campaignAssignments.$inferInsert)[];
  recipients: (typeof campaignRecipients.$inferInsert)[];
  events: (typeof usageEvents.$inferInsert)[];
}

/** The writes of the planted arms campaign (src/crm/generator/arms.ts): campaign, run, outbox rows, assignments, goal events. */
export class ArmsPlantStore {
  constructor(private readonly db: Db) {}

  /** The first `limit` subscribers by id. */
  subscribers(limit: number): { id: number; msisdn: string }[] {
    return this.db.select({ id: subscribers.id, msisdn: subscribers.msisdn }).from(subscribers).orderBy(subscribers.id).limit(limit).all();
  }

  /** Inserts the campaign (and its segment) and a finished run; returns the run id. */
  campaign(c: typeof campaigns.$inferInsert, segment: typeof segments.$inferInsert, run: typeof campaignRuns.$inferInsert): number {
    this.db.insert(segments).values(segment).onConflictDoNothing().run();
    this.db.insert(campaigns).values(c).run();
    return this.db.insert(campaignRuns).values(run).returning({ id: campaignRuns.id }).get()!.id;
  }

  /** Writes a batch and empties it. */
  flush(rows: PlantedRows): void {
    if (rows.messages.length) this.db.insert(messages).values(rows.messages).run();
    if (rows.assignments.length) this.db.insert(campaignAssignments).values(rows.assignments).run();
    if (rows.recipients.length) this.db.insert(campaignRecipients).values(rows.recipients).run();
    if (rows.events.length) this.db.insert(usageEvents).values(rows.events).run();
    rows.messages.length = rows.assignments.length = rows.recipients.length = rows.events.length = 0;
  }

  /** Sets the run's handed-over counts and cursor. */
  finishRun(runId: number, queued: number, blocked: number, cursor: number): void {
    this.db.update(campaignRuns).set({ queued, blocked, cursor }).where(eq(campaignRuns.id, runId)).run();
  }
}
