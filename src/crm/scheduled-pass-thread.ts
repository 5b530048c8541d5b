import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config';
import { openDb } from '../db/client';
import { closeDb } from '../db/handle';
import { FlowRegistry } from '../engine/flow-registry';
import { loadFlowsOrThrow } from '../engine/flow-loader';
import { ManualClock } from '../lib/clock';
import { createLogger } from '../lib/logger';
import { CrmService } from './crm-service';
import { buildPassDeps } from './pass-deps';

// One detector pass in a worker thread: its own connection to the same database file (WAL lets the
// gateway keep serving), only the services a pass acts through (outbox and call rows are picked up by
// the gateway's dispatchers), then the summary back to the scheduler. The pass runs as of the
// scheduler's "now" (the tick), so the worker's clock is that instant.
const { config, now } = workerData as { config: Config; now: number };
const db = openDb({ path: config.database.path, synchronous: config.database.synchronous });
try {
  const log = createLogger(config.logLevel).child({ thread: 'crm-pass' });
  const crm = new CrmService(buildPassDeps({ config, db, clock: new ManualClock(now), log, flows: new FlowRegistry(loadFlowsOrThrow(config.flows.dir)) }));
  parentPort?.postMessage({ summary: await crm.runPass(now) });
} catch (err) {
  parentPort?.postMessage({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
} finally {
  closeDb(db);
}
