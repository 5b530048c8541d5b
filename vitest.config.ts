import { defineConfig, type TestProjectConfiguration } from 'vitest/config';
import { postgresServerBinDir } from './src/db/postgres/throwaway-cluster';

// The suite runs twice over the gateway's storage: the `sqlite` project is every test; the `postgresql`
// project runs every test that builds a gateway or touches the database again, with test gateways on
// PostgreSQL (VASGW_TEST_ENGINE, read by test/helpers/gateway.ts). Left out of the second run, because they
// already cover both engines or are about one engine by subject:
const ONE_RUN_COVERS_BOTH = [
  // each declares its tests once per engine (eachBackend) or compares the two engines itself
  'test/**/*-both.test.ts',
  'test/**/*-both-engines.test.ts',
  // PostgreSQL by subject: they run on PostgreSQL in the first run already
  'test/**/*postgres*.test.ts',
  // SQLite by subject: copying a SQLite file into PostgreSQL, SQLite's group commit, SQLite files' migrations,
  // the scheduled CRM pass's own connection to the SQLite file
  'test/integration/db-copy.test.ts',
  'test/integration/crm-pass-deps.test.ts',
  'test/integration/group-commit-mixed.test.ts',
  'test/integration/demography-migrate.test.ts',
];

/** The unit tests that build a gateway (the rest test code with no storage). */
const UNIT_TESTS_ON_STORAGE = ['test/unit/segment-filter.test.ts'];

const postgresAvailable = Boolean(process.env.VASGW_TEST_POSTGRES_URL || postgresServerBinDir());
const projects: TestProjectConfiguration[] = [{ extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'] } }];
if (postgresAvailable) {
  projects.push({
    extends: true,
    test: {
      name: 'postgresql',
      include: ['test/integration/**/*.test.ts', 'test/browser/**/*.test.ts', ...UNIT_TESTS_ON_STORAGE],
      exclude: ONE_RUN_COVERS_BOTH,
      env: { VASGW_TEST_ENGINE: 'postgresql' },
      // A hang guard, not a speed target: every statement is a round trip here, and with both workers busy
      // a test that takes 8 s on SQLite took 20 s (a campaign calling its call arm at the provider's pace).
      testTimeout: 60_000,
      hookTimeout: 60_000,
      globalSetup: ['test/postgres-global-setup.ts'],
    },
  });
} else {
  console.warn(
    'The postgresql test project is SKIPPED: VASGW_TEST_POSTGRES_URL is not set and no PostgreSQL server binaries were found ' +
      "(install Debian's postgresql package, or set PG_BINDIR); .ci/run always runs it.",
  );
}

export default defineConfig({
  test: {
    pool: 'forks',
    // Two workers on two cores: most of a test's time is waiting (child processes, the browser,
    // PostgreSQL, timers), and vitest's default (cores - 1) would run the suite one file at a time.
    maxWorkers: 2,
    // A worker keeps the modules it loaded for its next file (the gateway's whole graph, about a second
    // per file otherwise: half the suite's time went to loading it again). What a file must undo, it undoes
    // in test/setup-file.ts, which still runs per file.
    isolate: false,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    setupFiles: ['test/setup-file.ts'],
    projects,
  },
});
