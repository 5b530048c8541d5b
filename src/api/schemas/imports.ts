import { Type } from '@sinclair/typebox';
import { MaybeTimestamp, Nullable, Open, StringEnum } from './common';

// Request and response schemas of /api/v1/subscribers/import (CSV imports, small ones answered at once, large ones as jobs).

/** POST /api/v1/subscribers/import query string. */
export const ImportQuery = Type.Object(
  { async: Type.Optional(Type.Boolean({ description: 'Run as a job even when the file is small.' })) },
  { additionalProperties: false },
);

const Rejection = Open(
  {
    line: Type.Integer({ description: 'The file line (the header is line 1).' }),
    msisdn: Type.Optional(Type.String({ description: 'The number on that line, when it had one.' })),
    reason: Type.String({ description: 'Why the line was not imported.' }),
  },
  { description: 'A rejected line.' },
);

const Counts = {
  created: Type.Integer({ description: 'Subscribers created.' }),
  updated: Type.Integer({ description: 'Subscribers already known whose profile was updated.' }),
  rejected: Type.Integer({ description: 'Lines refused (each listed in errors, up to a cap).' }),
  errors: Type.Array(Rejection),
  errorsTruncated: Type.Optional(Type.Boolean({ description: 'More lines were rejected than are listed.' })),
};

/** 200 of POST /api/v1/subscribers/import: a small file imported while the caller waited. */
export const ImportResult = Open(Counts, { description: 'The file was imported: what was created, updated and rejected, and why.' });

/** An import job as GET /api/v1/subscribers/import/:id shows it (and the 202 of a large upload). */
export const ImportJob = Open(
  {
    id: Type.String({ description: 'The job id; GET /api/v1/subscribers/import/:id follows it.' }),
    status: StringEnum(['running', 'done', 'failed'] as const),
    phase: StringEnum(['checking', 'importing'] as const, { description: 'checking: the whole file is read for CSV errors before any line is written.' }),
    source: StringEnum(['api', 'cli'] as const),
    fileName: Nullable(Type.String()),
    bytes: Type.Integer({ description: 'Size of the file.' }),
    rowsTotal: Nullable(Type.Integer(), { description: 'Data lines in the file; null until the check has counted them.' }),
    rowsDone: Type.Integer({ description: 'Data lines handled so far.' }),
    ...Counts,
    error: Type.Optional(Open({ code: Type.String(), message: Type.String() }, { description: 'Why a failed job failed.' })),
    startedAt: MaybeTimestamp(),
    updatedAt: MaybeTimestamp(),
    finishedAt: MaybeTimestamp(),
  },
  { description: 'An import job: its phase, progress and counts so far.' },
);

/** GET /api/v1/subscribers/import. */
export const ImportJobList = Type.Object({ jobs: Type.Array(ImportJob) }, { description: 'The most recent import jobs, newest first.' });
