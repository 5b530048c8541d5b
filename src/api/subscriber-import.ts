import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Core } from '../core';
import { badRequest } from '../lib/errors';
import { Open, errors } from './schemas/common';

// Declared for the document only around what the route does today; a body that is not text/csv is
// refused by the handler (INVALID_CSV), so the body schema names the media type and checks nothing else.
const schema = {
  tags: ['subscribers'],
  summary: 'Import subscribers from a CSV',
  body: { content: { 'text/csv': { schema: Type.String({ description: 'Header row msisdn,language,region,crop,... then one subscriber per line.' }) } } },
  response: {
    200: Open(
      {
        created: Type.Integer(),
        updated: Type.Integer(),
        rejected: Type.Integer(),
        errors: Type.Array(Open({ line: Type.Integer(), msisdn: Type.Optional(Type.String()), reason: Type.String() })),
        errorsTruncated: Type.Optional(Type.Boolean({ description: 'More lines were rejected than are listed.' })),
      },
      { description: 'Lines created, updated and rejected, with the reason for each rejected line.' },
    ),
    ...errors(400, 413, 415),
  },
};

/**
 * POST /api/v1/subscribers/import: a CSV (text/csv) with a header row `msisdn,language,region,crop,...`.
 * Answers 200 with counts of created, updated and rejected lines and the reason for each rejected line.
 */
export function subscriberImportRoutes(app: FastifyInstance, core: Core): void {
  app.post('/subscribers/import', { bodyLimit: core.config.campaigns.importMaxBytes, schema }, async (req) => {
    if (typeof req.body !== 'string') {
      throw badRequest('INVALID_CSV', 'Send the CSV as the request body with Content-Type: text/csv (first line: msisdn,language,region,crop,...).');
    }
    return core.subscriberImport.import(req.body);
  });
}
