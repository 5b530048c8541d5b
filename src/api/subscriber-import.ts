import type { FastifyInstance } from 'fastify';
import type { Core } from '../core';
import { badRequest } from '../lib/errors';

/**
 * POST /api/v1/subscribers/import: a CSV (text/csv) with a header row `msisdn,language,region,crop,...`.
 * Answers 200 with counts of created, updated and rejected lines and the reason for each rejected line.
 */
export function subscriberImportRoutes(app: FastifyInstance, core: Core): void {
  app.post('/subscribers/import', { bodyLimit: core.config.campaigns.importMaxBytes }, async (req) => {
    if (typeof req.body !== 'string') {
      throw badRequest('INVALID_CSV', 'Send the CSV as the request body with Content-Type: text/csv (first line: msisdn,language,region,crop,...).');
    }
    return core.subscriberImport.import(req.body);
  });
}
