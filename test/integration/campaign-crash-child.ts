// Not a test: the gateway process that test/integration/campaign-crash-resume.test.ts kills with SIGKILL
// in the middle of a fan-out. Usage: campaign-crash-child.ts DB_PATH NOW_ISO. Prints one line per
// committed batch so the parent knows the fan-out is under way before it pulls the plug.
import { testGateway } from '../helpers/gateway';

const [dbPath, now] = process.argv.slice(2);
const gw = await testGateway({ campaigns: { batchSize: 50 } }, { dbPath: dbPath!, now: now! });
for (let i = 0; i < 10_000; i++) {
  const r = await gw.core.campaignScheduler.tick({ maxBatches: 1 });
  process.stdout.write(`handed ${r.handed}\n`);
  if (r.handed === 0) break;
}
