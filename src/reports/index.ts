import type { Config } from '../config';
import type { Days } from '../crm/days';
import type { FlowIndex } from '../crm/flow-index';
import type { InterventionKind } from '../crm/interventions';
import { PERIOD_DAYS } from '../crm/scoring';
import type { Database } from '../db/database';
import type { Clock } from '../lib/clock';
import { badRequest, notFound } from '../lib/errors';
import { discoveryReport } from './discovery';
import { exitReasonsReport } from './exit-reasons';
import { findingsReport } from './findings';
import { funnelReport } from './funnel';
import { interventionsReport, type OutcomeWindows } from './interventions';
import { onboardingReport } from './onboarding';
import { payingUsingReport } from './paying-using';
import { parseRange, rangeJson, type RangeQuery } from './range';
import { retentionReport } from './retention';
import { riskReport, type LiveState } from './risk';
import { stuckReport } from './stuck';
import { tiersReport } from './tiers';
import { usageReport } from './usage';
import { contentDemographyReport } from './content-demography';
import { contextReport } from './context';
import { packageFitReport } from './package-fit';
import { menuRecommendationsReport } from './menu-recommendations';
import { ProfileSchema } from '../subscribers/profile-schema';
import { ReportStores } from './stores';

/**
 * A report's query string, typed: the route's schema has checked what does not depend on configuration
 * (channel, kind, windows, state, limit); `by`, `field` and `service` are checked here against the config.
 */
export type ReportQuery = RangeQuery & {
  by?: string | undefined;
  field?: string | undefined;
  service?: string | undefined;
  kind?: InterventionKind | undefined;
  windows?: OutcomeWindows | undefined;
  state?: LiveState | undefined;
  /** Rows in ranked lists (1-10000); 100 when absent. */
  limit?: number | undefined;
};

/** The largest `limit` of a ranked list. */
export const MAX_REPORT_LIMIT = 10_000;

/** What each report answers, for GET /api/v1/reports. */
export const REPORTS: Record<string, string> = {
  funnel: 'per node: screens shown, sessions, invalid-input rate, backs, exits by reason, drop-off, median dwell',
  discovery: 'first-go rate of the content sought per episode (by=flow|channel|language|cohort|node|<profile field>) with 95% interval; beside it sessions that found any content; stuck sessions and why',
  stuck: 'stuck subscribers with the menu they were after and its shortcut; the menus people get stuck in most',
  'paying-vs-using': 'live subscriptions by paying x using, with the revenue at stake; daily trend',
  retention: 'retention by cohort (last 30 days by default): observed survival against the fitted sBG curve with fit quality; BG/BB per activity cohort',
  usage: 'active subscribers, sessions, content and stuck rates by region, crop, language, operator, any typed profile field or ageBand (by=...)',
  interventions: 'per intervention kind: delivery states and rate, intention-to-treat uplift against the holdout and the effect on those reached (95% CI), revenue, cost of what was sent; pending outcome windows',
  risk: 'two rankings of live subscriptions by value at risk: lapse (billing) and disengagement (usage), with the evidence',
  'content-demography': 'per content node and group of a profile field (field=gender, ageBand, ...): visits reaching it against the group\'s share of all visits (reach index), from the CRM pass rollups',
  'exit-reasons': 'why subscribers leave: answers to the one exit question per reason with share and 95% interval, response rate (asked, answered, pending), free-text answers; by=cohort|tenure|region|channel',
  findings: 'CRM findings detected in the range per kind (stuck, passive, lapsing, churned, new subscribers, stuck in their first sessions, exit reasons), counted by detection time',
  'package-fit': 'per usage pattern (daily, weekly, seasonal, lapsed users) and package period (daily, weekly, monthly): subscriptions, Kaplan-Meier survival at 30 and 90 days with 95% intervals, median and mean lifetime, and the package that keeps the pattern longest when the intervals allow the call',
  context: 'advice served outside its context: per content node with a context (flows `context:`), serves in the range and how many fell outside its months, regions or crops, worst first',
  onboarding: 'new subscribers who joined in the range, onboarded vs held out: welcome delivery, first-go discovery after the welcome and 30-day retention with uplift (95% CI), pending windows; the stuck-early follow-up; the shortcuts the welcome carries per region and crop',
  'menu-recommendations': 'menu-design suggestions with their evidence and the flow file line: options almost no one picks, unclear prompts, content reached after a detour or by shortcut only, screens that page too often',
  tiers: 'per value tier (core, growth, base, new): subscribers, revenue charged, retention with 95% interval, churned subscribers and the residual value they took, intervention cost',
};

/** The typed profile schema's field names, when `profile.fields` is configured; null: any field. */
function profileFieldNames(config: object): string[] | null {
  const fields = (config as { profile?: { fields?: unknown } }).profile?.fields;
  return fields && typeof fields === 'object' ? Object.keys(fields) : null;
}

/** The reports API's engine: every report reads rollups, snapshots or CRM tables, never the usage log. */
export class Reports {
  constructor(
    private readonly d: { database: Database; days: Days; flows: FlowIndex; clock: Clock; config: Pick<Config, 'crm' | 'services' | 'defaults'> & Partial<Pick<Config, 'profile'>> },
  ) {
    this.profile = new ProfileSchema(d.config.profile ?? { fields: {} });
    this.stores = new ReportStores(d.database);
  }

  private readonly profile: ProfileSchema;
  private readonly stores: ReportStores;

  /** Runs report `name` with query-string filters. */
  async run(name: string, q: ReportQuery): Promise<Record<string, unknown>> {
    const { days, flows } = this.d;
    const stores = this.stores;
    const range = parseRange(q, this.d.clock.now(), days);
    const limit = q.limit ?? 100;
    if (q.service !== undefined && !this.d.config.services.some((s) => s.id === q.service)) {
      throw badRequest('UNKNOWN_SERVICE', `Service "${q.service.slice(0, 40)}" is not configured (known: ${this.d.config.services.map((s) => s.id).join(', ') || 'none'}).`);
    }
    let body: Record<string, unknown>;
    switch (name) {
      case 'funnel':
        body = await funnelReport(stores.funnel, flows, range);
        break;
      case 'discovery':
        body = await discoveryReport(stores.discovery, days, range, { flows, by: q.by, profileFields: profileFieldNames(this.d.config) });
        break;
      case 'stuck':
        body = await stuckReport(stores.stuck, flows, range, limit);
        break;
      case 'paying-vs-using':
        body = await payingUsingReport(stores.snapshots, days, range, q.service, this.d.config.services.map((s) => s.id));
        break;
      case 'retention': {
        const periods = new Map(this.d.config.services.map((s) => [s.id, PERIOD_DAYS[s.period]]));
        body = await retentionReport(stores.fits, range, q.service, { annualDiscountRate: this.d.config.crm.scores.annualDiscountRate, periodDays: (id) => periods.get(id) ?? 1 });
        break;
      }
      case 'usage':
        body = await usageReport(stores, range, q.by, this.profile);
        break;
      case 'content-demography':
        body = await contentDemographyReport(stores.usage, flows, range, q.field ?? q.by, this.profile, limit);
        break;
      case 'interventions':
        body = await interventionsReport(stores, days, range, { kind: q.kind, windows: q.windows, currency: this.d.config.crm.costs.currency });
        break;
      case 'exit-reasons':
        body = await exitReasonsReport(stores.exitReasons, range, this.d.clock.now(), days, { by: q.by, config: this.d.config.crm.exitReasons, limit: Math.min(limit, 100) });
        break;
      case 'findings':
        body = await findingsReport(stores.findings, range);
        break;
      case 'package-fit':
        body = await packageFitReport(stores.snapshots, days, range);
        break;
      case 'context':
        body = await contextReport(stores.context, flows, range, limit);
        break;
      case 'onboarding':
        body = await onboardingReport(stores, flows, days, range, { config: this.d.config, now: this.d.clock.now(), limit });
        break;
      case 'menu-recommendations':
        body = await menuRecommendationsReport(stores.menu, stores.discovery, flows, range, this.d.config.crm.menuRecommendations);
        break;
      case 'risk':
        body = await riskReport(stores, days, q.service, q.state, limit);
        break;
      case 'tiers':
        body = await tiersReport(stores.tiers, range, { currency: this.d.config.crm.costs.currency, tiers: this.d.config.crm.tiers });
        break;
      default:
        throw notFound('REPORT_NOT_FOUND', `No report named "${name.slice(0, 40)}" (reports: ${Object.keys(REPORTS).join(', ')}).`);
    }
    return { report: name, range: rangeJson(range, days), ...body };
  }
}
