import { rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Core } from '../core';
import { checkFile } from '../campaigns/import-csv';
import { tooLarge } from '../campaigns/import-jobs';
import { badRequest, notFound } from '../lib/errors';
import { Described, IdParams, errors } from './schemas/common';
import { ImportJob, ImportJobList, ImportQuery, ImportResult } from './schemas/imports';

const tags = ['subscribers'];

/**
 * POST /api/v1/subscribers/import: a CSV (text/csv) with a header row `msisdn,language,region,crop,...`.
 * A small file is imported while the caller waits: 200 with counts of created, updated and rejected lines
 * and the reason for each rejected line. A file above config campaigns.importSyncMaxBytes, or any file
 * with `?async=true`, answers 202 with the job at once; GET /api/v1/subscribers/import/:id follows it.
 */
export function subscriberImportRoutes(app: FastifyInstance, core: Core): void {
  const cfg = core.config.campaigns;
  // Its own scope: only this route takes text/csv as a stream (the body goes to disk, never into memory whole).
  void app.register(async (scope) => {
    scope.removeContentTypeParser('text/csv');
    scope.addContentTypeParser('text/csv', (_req, payload, done) => done(null, payload));

    scope.post<{ Querystring: Static<typeof ImportQuery> }>(
      '/subscribers/import',
      {
        schema: {
          tags,
          summary: 'Import subscribers from a CSV',
          description:
            'Body: a CSV (Content-Type: text/csv) whose header row names msisdn, language, region, crop and profile fields. ' +
            'A small file is imported while you wait (200); a large one, or any with async=true, becomes a job (202).',
          querystring: ImportQuery,
          response: { 200: ImportResult, 202: Described(ImportJob, 'The file was accepted as a job; follow it with GET /api/v1/subscribers/import/:id.'), ...errors(400, 413, 415) },
        },
      },
      async (req, reply) => {
        if (!(req.body instanceof Readable)) {
          throw badRequest('INVALID_CSV', 'Send the CSV as the request body with Content-Type: text/csv (first line: msisdn,language,region,crop,...).');
        }
        const declared = Number(req.headers['content-length'] ?? NaN);
        if (declared > cfg.importMaxBytes) throw tooLarge(cfg.importMaxBytes);
        const file = await core.importJobs.spool(req.body, cfg.importMaxBytes);
        if (req.query.async === true || file.bytes > cfg.importSyncMaxBytes) {
          try {
            return reply.status(202).send(await core.importJobs.launch(file, 'api'));
          } catch (e) {
            rmSync(file.path, { force: true });
            throw e;
          }
        }
        try {
          // Checked whole first: a file that stops being CSV halfway is refused before any line is written.
          const { header } = await checkFile(file.path, core.subscriberImport.fields());
          return await core.subscriberImport.importFile(file.path, header);
        } finally {
          rmSync(file.path, { force: true });
        }
      },
    );

    scope.get(
      '/subscribers/import',
      { schema: { tags, summary: 'Recent import jobs', response: { 200: ImportJobList, ...errors() } } },
      async () => ({ jobs: await core.importJobs.recent() }),
    );

    scope.get<{ Params: Static<typeof IdParams> }>(
      '/subscribers/import/:id',
      { schema: { tags, summary: 'Follow one import job', params: IdParams, response: { 200: ImportJob, ...errors(404) } } },
      async (req) => {
        const job = await core.importJobs.status(req.params.id);
        if (!job) throw notFound('IMPORT_NOT_FOUND', `No import job ${req.params.id.slice(0, 64)}.`);
        return job;
      },
    );
  });
}
