import { afterAll } from 'vitest';
import { releaseFileDatabases } from './helpers/gateway';

// Runs before each test file (vitest `setupFiles`): what every file must clean up after its last test,
// whether or not the worker goes on to run other files.

// The environment as the file found it: a test that sets DATABASE_PATH or DATABASE_URL for the CLI in
// this process must not hand it to the next file's child processes.
const environment = { ...process.env };

afterAll(async () => {
  await releaseFileDatabases();
  for (const k of Object.keys(process.env)) if (!(k in environment)) delete process.env[k];
  Object.assign(process.env, environment);
});
