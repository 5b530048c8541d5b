import type { CallsPort } from '../calls/types';
import type { Config } from '../config';
import type { Db } from '../db/client';
import type { FlowRegistry } from '../engine/flow-registry';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { MessagingPort } from '../messaging/types';
import type { Subscriber } from '../subscribers/subscriber-service';
import type { UsageLog } from '../usage/usage-log';
import { CrmService } from './crm-service';
import { CrmScheduler } from './scheduler';
import { Reports } from '../reports';

export { CrmService, type PassSummary } from './crm-service';

/** Builds the CRM service and its scheduler; adds the `crm` block to the subscriber view. */
export function buildCrm(d: {
  db: Db;
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  flows: FlowRegistry;
  subscribers: { findById(id: number): Subscriber | null };
  usage: Pick<UsageLog, 'record'>;
  messaging: MessagingPort | null;
  calls: CallsPort | null;
  subscriberViews: Array<(s: Subscriber) => Record<string, unknown>>;
}): { crm: CrmService; crmScheduler: CrmScheduler; reports: Reports } {
  const crm = new CrmService(d);
  const reports = new Reports({ db: d.db, days: crm.days, flows: crm.index, clock: d.clock, config: d.config });
  d.subscriberViews.push((s) => crm.view(s));
  const crmScheduler = new CrmScheduler(crm, { config: d.config, log: d.log, clock: d.clock, metrics: d.metrics });
  return { crm, crmScheduler, reports };
}
