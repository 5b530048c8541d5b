import { defineConfig } from 'drizzle-kit';

// The PostgreSQL migrations, generated from the tables derived from the SQLite schema
// (src/db/postgres/schema.ts); `npm run db:generate` regenerates both dialects, `vasgw migrate` applies
// these when DATABASE_URL (or database.url) names a PostgreSQL server.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/postgres/schema.ts',
  out: './migrations/pg',
});
