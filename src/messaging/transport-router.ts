import type { LaneState, OutboundPart, SmsTransport, SubmitOutcome } from './transport';

/**
 * Several transports behind the one the dispatcher sees: each lane (operator) goes to the first
 * transport configured for that operator (`own`), else the first that serves any number, in the order
 * they were attached (SMPP binds, then aggregators). The choice is fixed once every channel attached.
 */
export class TransportRouter implements SmsTransport {
  private readonly transports: SmsTransport[] = [];
  private readonly chosen = new Map<string | null, SmsTransport | null>();
  private wakeup: () => void = () => {};

  /** Adds a transport; lanes are chosen again. */
  add(t: SmsTransport): void {
    this.transports.push(t);
    this.chosen.clear();
    t.setWakeup(() => this.wakeup());
  }

  /** The transport that carries an operator's numbers, or null when none does. */
  for(operator: string | null): SmsTransport | null {
    let t = this.chosen.get(operator);
    if (t === undefined) {
      const serves = (x: SmsTransport) => (x.serves ? x.serves(operator) : 'any');
      t = this.transports.find((x) => serves(x) === 'own') ?? this.transports.find((x) => serves(x) === 'any') ?? null;
      this.chosen.set(operator, t);
    }
    return t;
  }

  lane(operator: string | null): LaneState {
    return this.for(operator)?.lane(operator) ?? { up: false };
  }

  submit(part: OutboundPart, operator: string | null, done: (o: SubmitOutcome) => void): boolean {
    const t = this.for(operator);
    return t ? t.submit(part, operator, done) : false;
  }

  /** Whether the lane's transport takes whole messages (HTTP aggregators). */
  wholeMessagesFor(operator: string | null): boolean {
    return this.for(operator)?.wholeMessages === true;
  }

  setWakeup(fn: () => void): void {
    this.wakeup = fn;
  }
}
