// Not a test: the gateway process that test/integration/campaign-crash-resume.test.ts kills with SIGKILL
// in the middle of a fan-out. Usage: campaign-crash-child.ts DATABASE NOW_ISO, DATABASE being the SQLite
// file or the PostgreSQL URL of the parent's gateway. Prints one line per committed batch so the parent
// knows the fan-out is under way before it pulls the plug.
import { ManualClock } from '../../src/lib/clock';
import { silentLogger } from '../../src/lib/logger';
import { buildGateway } from '../../src/server';
import { testConfig } from '../helpers/gateway';

const [database, now] = process.argv.slice(2);
// The database named, whatever engine the suite runs on: testGateway would make this process a database
// of its own on PostgreSQL.
const where = /^postgres(ql)?:\/\//.test(database!) ? { url: database! } : { path: database! };
const gw = await buildGateway({ config: testConfig({ campaigns: { batchSize: 50 }, database: where }), clock: new ManualClock(new Date(now!).getTime()), log: silentLogger });
for (let i = 0; i < 10_000; i++) {
  const r = await gw.core.campaignScheduler.tick({ maxBatches: 1 });
  process.stdout.write(`handed ${r.handed}\n`);
  if (r.handed === 0) break;
}
