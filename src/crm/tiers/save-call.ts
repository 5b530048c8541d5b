import type { Config } from '../../config';
import type { FlowRegistry } from '../../engine/flow-registry';
import { DAY } from '../../lib/clock';
import type { InterventionKind } from '../interventions';
import type { Tier } from './tier-names';

/**
 * A lapsing core customer's save call (issue 15): on top of the save SMS, a call with its own kind, holdout,
 * cool-down and outcomes, and its own flow when crm.tiers.saveCallFlow names one, because losing a core
 * customer costs more than a call.
 */
export class SaveCall {
  constructor(
    private readonly d: {
      config: { crm: Pick<Config['crm'], 'interventions' | 'tiers'> };
      flows: Pick<FlowRegistry, 'byId'>;
      canCall: boolean;
    },
  ) {}

  /**
   * Whether a save call goes with an intervention of `kind` as of `now`: a save to a core customer, calls
   * possible, the call's cool-down over (the last save call read through `lastAt`, in the unit, either engine).
   */
  async dueIn(kind: InterventionKind, tier: Tier | null, subscriberId: number, now: number, lastAt: (subscriberId: number, kind: 'save_call') => Promise<number | null>): Promise<boolean> {
    if (kind !== 'save' || tier !== 'core' || !this.d.canCall) return false;
    return this.cooled(await lastAt(subscriberId, 'save_call'), now);
  }

  private cooled(lastCall: number | null, now: number): boolean {
    return lastCall === null || lastCall + this.d.config.crm.interventions.cooldownDays.save_call * DAY <= now;
  }

  /** The save call's own flow (crm.tiers.saveCallFlow) when it exists; null: the guidance call's flow serves. */
  ownFlow(): string | null {
    const own = this.d.config.crm.tiers.saveCallFlow;
    return own && this.d.flows.byId(own) ? own : null;
  }
}
