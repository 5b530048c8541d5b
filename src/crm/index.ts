import type { SubscriberViewPart } from '../subscribers/subscriber-views';
import { CrmService, type CrmDeps } from './crm-service';
import { CrmScheduler } from './scheduler';
import { Reports } from '../reports';

export { CrmService, type PassSummary } from './crm-service';

/** Builds the CRM service and its scheduler; adds the `crm` block to the subscriber view. */
export function buildCrm(d: CrmDeps & { subscriberViews: SubscriberViewPart[] }): { crm: CrmService; crmScheduler: CrmScheduler; reports: Reports } {
  const crm = new CrmService(d);
  const reports = new Reports({ database: d.database, days: crm.days, flows: crm.index, clock: d.clock, config: d.config });
  d.subscriberViews.push((s) => crm.view(s));
  const crmScheduler = new CrmScheduler(crm, { config: d.config, log: d.log, clock: d.clock, metrics: d.metrics });
  return { crm, crmScheduler, reports };
}
