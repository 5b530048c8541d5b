import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes SQL migrations into ./migrations from the schema; the gateway applies
// them at start-up and `vasgw migrate` applies them on demand.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema/index.ts',
  out: './migrations',
});
