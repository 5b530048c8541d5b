import { testEngine, testGateway } from './gateway';

/**
 * The environment that points a `vasgw` child process at the database a test gateway given `dbPath`
 * works on: that SQLite file (the command creates and migrates it), or on PostgreSQL the database the
 * test file keeps for that path, made here by a gateway started and stopped at once, so the command
 * and the gateways the test builds afterwards with the same `dbPath` meet in one database.
 */
export async function cliDatabaseEnv(dbPath: string): Promise<{ DATABASE_PATH: string } | { DATABASE_URL: string }> {
  if (testEngine() === 'sqlite') return { DATABASE_PATH: dbPath };
  const gw = await testGateway({}, { dbPath });
  try {
    const url = gw.config.database.url;
    if (!url) throw new Error(`the PostgreSQL test gateway for ${dbPath} has no database URL`);
    return { DATABASE_URL: url };
  } finally {
    await gw.stop();
  }
}
