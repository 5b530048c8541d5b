import type { Config } from '../../src/config';
import { CrmService } from '../../src/crm/crm-service';
import type { Db } from '../../src/db/client';
import type { FlowRegistry } from '../../src/engine/flow-registry';
import { ManualClock } from '../../src/lib/clock';
import { createMetrics } from '../../src/lib/metrics';
import { silentLogger } from '../../src/lib/logger';

/**
 * One CRM pass over `db` as of `now`, with no messaging and no acting: what the rollup tests compare
 * (many passes against one, parallel ingest against serial).
 */
export function bareCrmPass(db: Db, config: Config, flows: FlowRegistry, now: number, ingest: { parallel?: boolean; parallelMinEvents?: number } = {}) {
  const crm = new CrmService({
    db,
    config: { ...config, crm: { ...config.crm, act: false } },
    clock: new ManualClock(now),
    log: silentLogger,
    metrics: createMetrics({ processMetrics: false }),
    flows,
    subscribers: { findById: () => null },
    usage: { record: () => undefined },
    messaging: null,
    calls: null,
    parallelIngest: ingest.parallel ?? false,
    ...(ingest.parallelMinEvents !== undefined ? { parallelMinEvents: ingest.parallelMinEvents } : {}),
  });
  return crm.runPass(now);
}
