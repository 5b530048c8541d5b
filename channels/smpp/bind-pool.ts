import type { Core } from '../../src/core';
import type { Logger } from '../../src/lib/logger';
import type { LaneState, OutboundPart, SmsTransport, SubmitOutcome } from '../../src/messaging/transport';
import { SmppBind, type BindConfig } from './bind';
import { isReceipt, parseReceipt } from './dlr';
import { int, parseUdh, statusName, STATUS, str, type ConcatInfo, type Pdu } from './pdu';

type PoolCore = Pick<Core, 'messaging' | 'metrics' | 'readiness' | 'clock' | 'log'>;

/**
 * The operator binds as the outbox's transport: routes each part to a bound bind serving the number's
 * operator (binds without an operator serve any number), spreading load over the one with the most
 * free capacity and failing over when a bind is down. Receipts and MOs arriving on any receiving bind
 * go to the messaging service, and the deliver_sm is answered only after they are durable.
 */
export class BindPool implements SmsTransport {
  readonly binds: SmppBind[];
  private wakeup: () => void = () => {};
  private readonly log: Logger;
  private readonly warnedNoRoute = new Set<string>();

  constructor(
    configs: BindConfig[],
    private readonly core: PoolCore,
  ) {
    this.log = core.log.child({ comp: 'smpp' });
    const m = core.metrics;
    const submits = m.counter('smpp_submits_total', 'submit_sm answered per bind, by SMPP status (or timeout/disconnected)', ['bind', 'status']);
    const submitChildren = new Map<string, { inc(): void }>();
    const delivers = m.counter('smpp_delivers_total', 'deliver_sm received per bind, by kind', ['bind', 'kind']);
    this.binds = configs.map(
      (cfg) =>
        new SmppBind(cfg, {
          log: core.log,
          now: () => core.clock.now(),
          onChange: () => this.wakeup(),
          onDeliver: (bind, pdu) => {
            const kind = this.onDeliver(bind, pdu);
            delivers.inc({ bind: bind.id, kind });
          },
          onSubmitResult: (bind, status) => {
            // Label children are cached: this runs for every part sent.
            const key = `${bind.id}|${status}`;
            let child = submitChildren.get(key);
            if (!child) {
              child = submits.labels({ bind: bind.id, status: typeof status === 'number' ? statusName(status) : status });
              submitChildren.set(key, child);
            }
            child.inc();
          },
        }),
    );
    const states: SmppBind['state'][] = ['disconnected', 'connecting', 'binding', 'bound', 'stopped'];
    m.gauge('smpp_bind_up', 'Whether the bind is bound (1) or not (0)', ['bind', 'mode'], (g) => {
      for (const b of this.binds) g.set({ bind: b.id, mode: b.cfg.mode }, b.up ? 1 : 0);
    });
    m.gauge('smpp_bind_state', 'Bind state (1 for the current one)', ['bind', 'state'], (g) => {
      for (const b of this.binds) for (const s of states) g.set({ bind: b.id, state: s }, b.state === s ? 1 : 0);
    });
    m.gauge('smpp_window_in_use', 'Unanswered PDUs on the bind', ['bind'], (g) => {
      for (const b of this.binds) g.set({ bind: b.id }, b.inFlight);
    });
    m.gauge('smpp_window_size', 'Configured window of the bind', ['bind'], (g) => {
      for (const b of this.binds) g.set({ bind: b.id }, b.cfg.window);
    });
    m.gauge('smpp_submit_rate', 'submit_sm sent per second over the last 10 s', ['bind'], (g) => {
      const now = performance.now();
      for (const b of this.binds) g.set({ bind: b.id }, b.rate.perSecond(now));
    });
    if (this.binds.length === 0) this.log.info('no SMPP binds configured (smpp.binds): outbound SMS wait in the outbox');
    for (const b of this.binds) {
      core.readiness.register(`smpp:${b.id}`, () => ({
        ok: b.up,
        detail: { state: b.state, mode: b.cfg.mode, inFlight: b.inFlight, window: b.cfg.window, ...(b.lastError ? { lastError: b.lastError } : {}) },
      }), 'BIND_DOWN');
    }
  }

  /** Connects every bind. */
  start(): void {
    for (const b of this.binds) b.start();
  }

  /** Unbinds every bind. */
  async stop(): Promise<void> {
    await Promise.all(this.binds.map((b) => b.stop()));
  }

  setWakeup(fn: () => void): void {
    this.wakeup = fn;
  }

  private readonly routes = new Map<string | null, SmppBind[]>();

  /** Transmitting binds for an operator: its own first, then those serving any number. */
  private candidates(operator: string | null): SmppBind[] {
    let list = this.routes.get(operator);
    if (!list) {
      list = this.route(operator);
      this.routes.set(operator, list);
    }
    return list;
  }

  private route(operator: string | null): SmppBind[] {
    const tx = this.binds.filter((b) => b.transmits);
    const own = operator === null ? [] : tx.filter((b) => b.cfg.operator === operator);
    const any = tx.filter((b) => b.cfg.operator === undefined);
    const list = [...own, ...any];
    // A deployment whose numbers match no configured operator still sends through its binds.
    return list.length > 0 || operator !== null ? list : tx;
  }

  /** `own` when a bind is configured for the operator, `any` when only catch-all binds serve it, false without binds. */
  serves(operator: string | null): 'own' | 'any' | false {
    const list = this.candidates(operator);
    if (list.length === 0) return false;
    return operator !== null && list.some((b) => b.cfg.operator === operator) ? 'own' : 'any';
  }

  lane(operator: string | null): LaneState {
    const list = this.candidates(operator);
    if (list.length === 0) {
      const key = operator ?? '(none)';
      // With no binds at all (SMS not set up) the start-up line says it once; this is for gaps in routing.
      if (this.binds.length > 0 && !this.warnedNoRoute.has(key)) {
        this.warnedNoRoute.add(key);
        this.log.warn({ operator: key }, 'no transmitting bind serves this operator; its messages wait in the outbox');
      }
      return { up: false };
    }
    let up = false;
    let free = 0;
    for (const b of list) {
      if (!b.up) continue;
      up = true;
      free += b.free();
    }
    return up ? { up: true, free } : { up: false };
  }

  submit(part: OutboundPart, operator: string | null, done: (o: SubmitOutcome) => void): boolean {
    let best: SmppBind | null = null;
    let bestFree = 0;
    for (const b of this.candidates(operator)) {
      const f = b.free();
      if (f > bestFree) {
        best = b;
        bestFree = f;
      }
    }
    return best ? best.submit(part, done) : false;
  }

  /** Handles a deliver_sm: a receipt or an MO part. Returns its kind for metrics. */
  private onDeliver(bind: SmppBind, pdu: Pdu): string {
    try {
      if (isReceipt(pdu)) {
        const r = parseReceipt(pdu);
        if (!r) {
          this.log.warn({ bind: bind.id }, 'receipt without a message id; acknowledged and ignored');
          bind.respond(pdu);
          return 'receipt_unreadable';
        }
        // Acknowledged once stored: a receipt lost in a crash is sent again by the SMSC.
        this.core.messaging.handleReceipt({ smsc: bind.smsc, smscId: r.id, stat: r.stat, err: r.err, bindId: bind.id }, (ok) =>
          bind.respond(pdu, ok ? STATUS.OK : STATUS.X_T_APPN),
        );
        return 'receipt';
      }
      const esm = int(pdu, 'esm_class');
      let body = SmppBind.body(pdu);
      let concat: ConcatInfo | null = null;
      if (esm & 0x40) {
        const u = parseUdh(body);
        concat = u.concat;
        body = u.text;
      }
      const total = int(pdu, 'sar_total_segments');
      if (!concat && total > 1) {
        const seq = int(pdu, 'sar_segment_seqnum');
        if (seq >= 1 && seq <= total) concat = { ref: int(pdu, 'sar_msg_ref_num'), total, seq };
      }
      this.core.messaging.handleMoPart(
        {
          from: str(pdu, 'source_addr'),
          to: str(pdu, 'destination_addr'),
          dataCoding: int(pdu, 'data_coding'),
          payload: body,
          ...(concat ? { concat } : {}),
          bindId: bind.id,
        },
        (ok) => bind.respond(pdu, ok ? STATUS.OK : STATUS.X_T_APPN),
      );
      return 'mo';
    } catch (err) {
      // Not stored: a temporary error makes the SMSC deliver it again later.
      this.log.error({ err, bind: bind.id }, 'could not store a received message; asked the SMSC to retry');
      bind.respond(pdu, STATUS.X_T_APPN);
      return 'error';
    }
  }
}
