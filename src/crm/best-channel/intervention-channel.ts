import type { InterventionKind } from '../interventions';

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
  constructor(private readonly d: { bestChannelKinds: readonly string[]; canCall: boolean }) {}

  /**
   * The carrier of `kind` for this subscriber, inside a unit of work: the best channel is read through
   * `bestChannelOf` (either engine), only when it decides. The kind (its cool-down, holdout and report
   * line) stays the same either way.
   */
  async carrierIn(kind: InterventionKind, subscriberId: number, bestChannelOf: (subscriberId: number) => Promise<string | undefined>): Promise<Carrier> {
    if (CALL_KINDS.has(kind)) return 'call';
    if (!this.d.canCall || !this.d.bestChannelKinds.includes(kind)) return 'sms';
    return (await bestChannelOf(subscriberId)) === 'call' ? 'call' : 'sms';
  }
}
