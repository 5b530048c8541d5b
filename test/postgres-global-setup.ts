import { postgresServerBinDir, startThrowawayCluster } from '../src/db/postgres/throwaway-cluster';

/**
 * Vitest global setup of the `postgresql` project: one throwaway cluster for the whole run when none is
 * given (CI gives its own as VASGW_TEST_POSTGRES_URL), so test files create their databases on it instead
 * of each starting a cluster of its own. Workers are started after this and inherit the variable.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.VASGW_TEST_POSTGRES_URL) return undefined;
  const bin = postgresServerBinDir();
  if (!bin) return undefined; // the PostgreSQL tests print why they are skipped
  const server = await startThrowawayCluster(bin);
  process.env.VASGW_TEST_POSTGRES_URL = server.adminUrl;
  return async () => {
    delete process.env.VASGW_TEST_POSTGRES_URL;
    await server.stop();
  };
}
