import type { InterventionKind } from '../interventions';
import type { BestChannelStore } from './best-channel-store';

/** Kinds that place a call rather than send an SMS. */
const CALL_KINDS: ReadonlySet<InterventionKind> = new Set(['voice_guidance', 'exit_guidance', 'save_call']);

/** What carries an intervention to the subscriber. */
export type Carrier = 'call' | 'sms';

/**
 * Picks the carrier of an intervention (issue 15, best channel): a call kind calls; an SMS kind listed in
 * crm.interventions.bestChannel goes out as a guidance call when calls can be placed and the subscriber's
 * best channel is `call`, because a subscriber who ignores SMS but answers calls is reached only that way.
 */
export class InterventionChannel {
  /** `store`: the synchronous pass's reader (src/crm/interventions-sqlite.ts); acting in a unit uses {@link carrierIn}. */
  constructor(private readonly d: { bestChannelKinds: readonly string[]; canCall: boolean; store?: Pick<BestChannelStore, 'get'> }) {}

  /** The carrier of `kind` for this subscriber; the kind (its cool-down, holdout and report line) stays the same either way. */
  carrier(kind: InterventionKind, subscriberId: number): Carrier {
    if (CALL_KINDS.has(kind)) return 'call';
    if (!this.d.canCall || !this.d.bestChannelKinds.includes(kind)) return 'sms';
    return this.d.store!.get(subscriberId)?.channel === 'call' ? 'call' : 'sms';
  }

  /** {@link carrier} inside a unit of work: the best channel is read through `bestChannelOf` (either engine), only when it decides. */
  async carrierIn(kind: InterventionKind, subscriberId: number, bestChannelOf: (subscriberId: number) => Promise<string | undefined>): Promise<Carrier> {
    if (CALL_KINDS.has(kind)) return 'call';
    if (!this.d.canCall || !this.d.bestChannelKinds.includes(kind)) return 'sms';
    return (await bestChannelOf(subscriberId)) === 'call' ? 'call' : 'sms';
  }
}
