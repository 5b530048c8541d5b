import { OnboardingReportStore } from './onboarding-store';
import type { Database } from '../../db/database';
import { ContextReportStore } from './context-store';
import { DiscoveryStore } from './discovery-store';
import { ExitReasonsStore } from './exit-reasons-store';
import { FindingsStore } from './findings-store';
import { FitsStore } from './fits-store';
import { FunnelStore } from './funnel-store';
import { MenuReportStore } from './menu-store';
import { InterventionsStore } from './interventions-store';
import { RiskStore } from './risk-store';
import { SnapshotStore } from './snapshot-store';
import { StuckStore } from './stuck-store';
import { TiersStore } from './tiers-store';
import { UsageStore } from './usage-store';

/**
 * Every store the reports read, built on first use (a gateway that never runs a report prepares none of
 * their statements) and kept: each statement is prepared once per process.
 */
export class ReportStores {
  private readonly built = new Map<string, unknown>();

  constructor(private readonly database: Database) {}

  /** Menu-design recommendations: crm_menu_daily. */
  get menu(): MenuReportStore {
    return this.once('menu', () => new MenuReportStore(this.database));
  }

  /** Flow funnel: node and session rollups. */
  get funnel(): FunnelStore {
    return this.once('funnel', () => new FunnelStore(this.database));
  }

  /** Discovery: session and episode rollups. */
  get discovery(): DiscoveryStore {
    return this.once('discovery', () => new DiscoveryStore(this.database));
  }

  /** Usage and content by demography: usage rollups per dimension and profile value. */
  get usage(): UsageStore {
    return this.once('usage', () => new UsageStore(this.database));
  }

  /** Daily snapshots (paying vs using, reach, risk summary). */
  get snapshots(): SnapshotStore {
    return this.once('snapshots', () => new SnapshotStore(this.database));
  }

  /** Risk rankings. */
  get risk(): RiskStore {
    return this.once('risk', () => new RiskStore(this.database));
  }

  /** Model fits (retention). */
  get fits(): FitsStore {
    return this.once('fits', () => new FitsStore(this.database));
  }

  /** Stuck findings. */
  get stuck(): StuckStore {
    return this.once('stuck', () => new StuckStore(this.database));
  }

  /** CRM findings by kind and reason. */
  get findings(): FindingsStore {
    return this.once('findings', () => new FindingsStore(this.database));
  }

  /** Interventions: exposure, outcomes, open windows. */
  get interventions(): InterventionsStore {
    return this.once('interventions', () => new InterventionsStore(this.database));
  }

  /** Advice served against its context. */
  get context(): ContextReportStore {
    return this.once('context', () => new ContextReportStore(this.database));
  }

  /** Onboarding: new subscribers by arm, their first episode and retention. */
  get onboarding(): OnboardingReportStore {
    return this.once('onboarding', () => new OnboardingReportStore(this.database));
  }

  /** Exit surveys (exit reasons). */
  get exitReasons(): ExitReasonsStore {
    return this.once('exitReasons', () => new ExitReasonsStore(this.database));
  }

  /** Value tiers: revenue, exits, intervention costs, daily tier snapshots. */
  get tiers(): TiersStore {
    return this.once('tiers', () => new TiersStore(this.database));
  }

  private once<T>(name: string, build: () => T): T {
    let s = this.built.get(name) as T | undefined;
    if (s === undefined) this.built.set(name, (s = build()));
    return s;
  }
}
