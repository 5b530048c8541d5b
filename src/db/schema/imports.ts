import { sqliteTable, integer, text, index, primaryKey } from 'drizzle-orm/sqlite-core';

// Subscriber CSV imports run as jobs (issue 11, defect 4). Times are epoch ms.

/**
 * One import job. Its counts are written in the same transaction as each batch of subscribers, so after
 * a crash `rowsDone` says exactly how far the import got; `heartbeatAt` tells a job whose process died
 * (no heartbeat for a lease) from one still running.
 */
export const importJobs = sqliteTable(
  'import_jobs',
  {
    id: text('id').primaryKey(),
    status: text('status', { enum: ['running', 'done', 'failed'] }).notNull(),
    /** checking: the file is read once for CSV syntax and counted, nothing written; importing: rows are written. */
    phase: text('phase', { enum: ['checking', 'importing'] }).notNull(),
    source: text('source', { enum: ['api', 'cli'] }).notNull(),
    fileName: text('file_name'),
    bytesTotal: integer('bytes_total').notNull(),
    /** Data lines (rows after the header) in the file; known once checking is over. */
    rowsTotal: integer('rows_total'),
    rowsDone: integer('rows_done').notNull().default(0),
    /** The file line of the last row written (line numbers count the header as line 1). */
    lineDone: integer('line_done').notNull().default(1),
    created: integer('created').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    rejected: integer('rejected').notNull().default(0),
    /** More lines were rejected than import_rejections keeps. */
    rejectionsTruncated: integer('rejections_truncated', { mode: 'boolean' }).notNull().default(false),
    /** Why a failed job failed: INVALID_CSV (file-level), INTERRUPTED (crash, restart, shutdown), INTERNAL. */
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    /** The uploaded body, kept on disk while the job runs; removed when it ends (null for a CLI file). */
    spoolPath: text('spool_path'),
    startedAt: integer('started_at').notNull(),
    heartbeatAt: integer('heartbeat_at').notNull(),
    finishedAt: integer('finished_at'),
  },
  (t) => [index('import_jobs_status_idx').on(t.status)],
);

/** The first rejected lines of a job, with the reason each was rejected. */
export const importRejections = sqliteTable(
  'import_rejections',
  {
    jobId: text('job_id').notNull().references(() => importJobs.id),
    line: integer('line').notNull(),
    msisdn: text('msisdn'),
    reason: text('reason').notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.line] })],
);
