import net from 'node:net';
import type { Config } from '../../src/config';
import type { Logger } from '../../src/lib/logger';
import type { OutboundPart, SubmitOutcome } from '../../src/messaging/transport';
import { SmppConnection } from './connection';
import { addressType, bytes, concatUdh, encodeSubmitSm, isAuthFailure, isTemporary, relativeValidity, STATUS, statusName, str, type Pdu, type SubmitSm } from './pdu';

export type BindConfig = Config['smpp']['binds'][number];
export type BindState = 'disconnected' | 'connecting' | 'binding' | 'bound' | 'stopped';

export interface BindHooks {
  log: Logger;
  /** Epoch ms now (the core clock), for validity periods. */
  now(): number;
  /** State changed or capacity freed: the dispatcher may send more. */
  onChange(bind: SmppBind): void;
  /** A deliver_sm / data_sm arrived (receipt or MO); the handler must answer it with `respond`. */
  onDeliver(bind: SmppBind, pdu: Pdu): void;
  /** A submit was answered (status 0 = accepted), for metrics. */
  onSubmitResult(bind: SmppBind, status: number | string): void;
}

/** Per-second submit counts over the last ten seconds. */
class RateWindow {
  private readonly buckets = new Array<number>(10).fill(0);
  private second = 0;
  add(nowMs: number): void {
    this.roll(nowMs);
    this.buckets[this.second % 10]!++;
  }
  perSecond(nowMs: number): number {
    this.roll(nowMs);
    return this.buckets.reduce((a, b) => a + b, 0) / 10;
  }
  private roll(nowMs: number): void {
    const s = Math.floor(nowMs / 1000);
    if (s === this.second) return;
    for (let k = this.second + 1; k <= s && k <= this.second + 10; k++) this.buckets[k % 10] = 0;
    this.second = s;
  }
}

/**
 * One configured bind to an SMSC: connects, binds (transceiver, transmitter or receiver), keeps the
 * bind alive and reconnects with exponential backoff and jitter (longer, and loudly, when the SMSC
 * refuses the credentials). It owns the bind's window of unanswered PDUs and its TPS limit, and
 * submits message parts within them. Receipts and MOs go to the hooks.
 */
export class SmppBind {
  readonly id: string;
  /** Binds naming the same SMSC share message ids. */
  readonly smsc: string;
  state: BindState = 'disconnected';
  lastError: string | null = null;
  private conn: SmppConnection | null = null;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private tokens: number;
  private lastRefill = performance.now();
  private pausedUntil = 0;
  private readonly bucket: number;
  readonly rate = new RateWindow();
  private readonly log: Logger;

  constructor(
    readonly cfg: BindConfig,
    private readonly hooks: BindHooks,
  ) {
    this.id = cfg.id;
    this.smsc = cfg.smsc ?? `${cfg.host}:${cfg.port}`;
    this.log = hooks.log.child({ comp: 'smpp', bind: cfg.id });
    // A small bucket spreads the TPS evenly instead of allowing a full second's burst.
    this.bucket = cfg.tps > 0 ? Math.max(1, Math.ceil(cfg.tps / 10)) : 0;
    this.tokens = this.bucket;
  }

  get transmits(): boolean {
    return this.cfg.mode !== 'receiver';
  }

  get receives(): boolean {
    return this.cfg.mode !== 'transmitter';
  }

  get up(): boolean {
    return this.state === 'bound' && this.conn !== null && this.conn.isOpen;
  }

  /** PDUs sent and not answered yet. */
  get inFlight(): number {
    return this.conn?.inFlight ?? 0;
  }

  /** Opens the connection (and keeps it open until `stop`). */
  start(): void {
    if (this.state !== 'disconnected') return;
    this.connect();
  }

  /** Unbinds politely and stops reconnecting. */
  async stop(): Promise<void> {
    const wasUp = this.up;
    this.state = 'stopped';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.retryTimer = this.wakeTimer = null;
    const conn = this.conn;
    this.conn = null;
    if (conn && wasUp) await conn.unbind(500);
    else conn?.close('stopping');
  }

  /** Parts that may be submitted now: the free window, limited by the TPS bucket and throttling pauses. */
  free(): number {
    if (!this.transmits || !this.up) return 0;
    const now = performance.now();
    if (now < this.pausedUntil) {
      this.wakeAt(this.pausedUntil - now);
      return 0;
    }
    const window = this.cfg.window - this.inFlight;
    if (window <= 0 || this.cfg.tps <= 0) return Math.max(0, window);
    this.refill(now);
    if (this.tokens < 1) {
      this.wakeAt(((1 - this.tokens) * 1000) / this.cfg.tps);
      return 0;
    }
    return Math.min(window, Math.floor(this.tokens));
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.bucket, this.tokens + ((now - this.lastRefill) * this.cfg.tps) / 1000);
    this.lastRefill = now;
  }

  private wakeAt(ms: number): void {
    if (this.wakeTimer) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.hooks.onChange(this);
    }, Math.max(1, Math.ceil(ms)));
    this.wakeTimer.unref();
  }

  /** Submits one part; `done` gets the outcome. False when the bind cannot take it now. */
  submit(part: OutboundPart, done: (o: SubmitOutcome) => void): boolean {
    const conn = this.conn;
    if (!conn || !this.up || !this.transmits || conn.inFlight >= this.cfg.window) return false;
    if (this.cfg.tps > 0) {
      this.refill(performance.now());
      if (this.tokens < 1) return false;
      this.tokens -= 1;
    }
    const sar = this.cfg.concatenation === 'sar' && part.total > 1;
    const udh = !sar && part.total > 1;
    const from = part.from ?? this.cfg.sourceAddr;
    const src = addressType(from);
    const dst = addressType(part.to);
    const registeredDelivery = part.receipt && this.cfg.registeredDelivery ? 1 : 0;
    const sm: SubmitSm = {
      sourceTon: this.cfg.sourceTon ?? src.ton,
      sourceNpi: this.cfg.sourceNpi ?? src.npi,
      source: from,
      // E.164 goes international without its '+'; a reply to an MO from a short code or an
      // alphanumeric sender goes back to that address as received, typed like our own senders are.
      destTon: part.to.charCodeAt(0) === 43 ? 1 : (this.cfg.addressTon ?? dst.ton),
      destNpi: part.to.charCodeAt(0) === 43 ? 1 : (this.cfg.addressNpi ?? dst.npi),
      dest: part.to.charCodeAt(0) === 43 ? part.to.slice(1) : part.to,
      esmClass: udh ? 0x40 : 0,
      registeredDelivery,
      validity: relativeValidity(part.validUntil - this.hooks.now()),
      dataCoding: part.dataCoding,
      message: udh ? Buffer.concat([concatUdh(part.ref, part.total, part.seq), part.payload]) : part.payload,
      sar: sar ? { ref: part.ref, total: part.total, seq: part.seq } : null,
    };
    this.rate.add(performance.now());
    conn.requestEncoded('submit_sm', (sequence) => encodeSubmitSm(sequence, sm), (err, resp) => {
      if (err) {
        this.hooks.onSubmitResult(this, err.code);
        // A part cut off by a disconnect is not the message's fault: resend as soon as a bind is up.
        done({ ok: false, retryable: true, code: err.code, status: null, bindId: this.id, ...(err.code === 'disconnected' ? { retryAfterMs: 0 } : {}) });
        return;
      }
      const status = resp!.command_status;
      this.hooks.onSubmitResult(this, status);
      if (status === STATUS.OK && resp!.command !== 'generic_nack') {
        done({ ok: true, bindId: this.id, smsc: this.smsc, smscId: str(resp!, 'message_id'), receipt: registeredDelivery === 1 });
        return;
      }
      if (status === STATUS.THROTTLED || status === STATUS.MSGQFUL) this.pausedUntil = performance.now() + this.cfg.throttlePauseMs;
      done({ ok: false, retryable: isTemporary(status), code: statusName(status), status, bindId: this.id });
    });
    return true;
  }

  /** Answers a deliver_sm / data_sm. */
  respond(pdu: Pdu, status: number = STATUS.OK): void {
    this.conn?.respond(pdu, {}, status);
  }

  private connect(): void {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    const socket = net.connect({ host: this.cfg.host, port: this.cfg.port });
    socket.setTimeout(this.cfg.responseTimeoutMs, () => socket.destroy(new Error('connect timed out')));
    const fail = (err: Error) => {
      if (this.state !== 'connecting') return;
      this.lastError = err.message;
      this.state = 'disconnected';
      this.scheduleReconnect(false, `cannot connect to ${this.cfg.host}:${this.cfg.port}: ${err.message}`);
    };
    socket.once('error', fail);
    socket.once('close', () => fail(new Error('closed while connecting')));
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      socket.setTimeout(0);
      if (this.state === 'stopped') {
        socket.destroy();
        return;
      }
      const conn = new SmppConnection(socket, { responseTimeoutMs: this.cfg.responseTimeoutMs, enquireLinkMs: this.cfg.enquireLinkSeconds * 1000 });
      this.conn = conn;
      this.state = 'binding';
      conn.on('request', (pdu: Pdu) => this.onRequest(pdu));
      conn.on('warn', (msg: string) => this.log.warn(msg));
      conn.on('close', (reason: string) => this.onClose(conn, reason));
      conn.request(
        `bind_${this.cfg.mode}`,
        { system_id: this.cfg.systemId, password: this.cfg.password, system_type: this.cfg.systemType, interface_version: 0x34, addr_ton: 0, addr_npi: 0, address_range: '' },
        (err, resp) => this.onBindResp(conn, err ? err.message : null, resp),
      );
    });
  }

  private onBindResp(conn: SmppConnection, err: string | null, resp: Pdu | null): void {
    if (this.state === 'stopped' || this.conn !== conn) return;
    if (err || !resp) {
      this.lastError = err ?? 'no bind response';
      this.conn = null;
      conn.close('bind failed');
      this.state = 'disconnected';
      this.scheduleReconnect(false, `bind got no answer: ${this.lastError}`);
      return;
    }
    const status = resp.command_status;
    if (status !== STATUS.OK) {
      this.lastError = statusName(status);
      this.conn = null;
      conn.close('bind refused');
      this.state = 'disconnected';
      if (isAuthFailure(status)) {
        this.scheduleReconnect(true, `the SMSC refused the bind with ${statusName(status)}: check systemId "${this.cfg.systemId}" and the password of bind ${this.id}`);
      } else this.scheduleReconnect(false, `the SMSC refused the bind with ${statusName(status)}`);
      return;
    }
    this.state = 'bound';
    this.failures = 0;
    this.lastError = null;
    this.log.info({ mode: this.cfg.mode, smsc: this.smsc, peer: str(resp, 'system_id') }, 'bound');
    this.hooks.onChange(this);
  }

  private onClose(conn: SmppConnection, reason: string): void {
    if (this.conn !== conn) return;
    this.conn = null;
    if (this.state === 'stopped') return;
    const wasBound = this.state === 'bound';
    this.state = 'disconnected';
    this.lastError = reason;
    if (wasBound) this.log.warn({ reason }, 'bind lost');
    this.hooks.onChange(this);
    this.scheduleReconnect(false, wasBound ? null : reason);
  }

  private scheduleReconnect(auth: boolean, why: string | null): void {
    if (this.state === 'stopped' || this.retryTimer) return;
    this.failures++;
    const r = this.cfg.reconnect;
    const base = auth ? this.cfg.authRetrySeconds : Math.min(r.maxSeconds, r.minSeconds * 2 ** Math.min(20, this.failures - 1));
    // "Equal jitter": at least half the backoff, so binds of a restarted gateway do not reconnect in lockstep.
    const delayMs = Math.round(base * 1000 * (0.5 + Math.random() * 0.5));
    if (auth) this.log.error({ status: this.lastError, retryInSeconds: Math.round(delayMs / 1000) }, `SMPP authentication failed: ${why}`);
    else if (why) this.log.warn({ attempt: this.failures, retryInMs: delayMs }, why);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delayMs);
    this.retryTimer.unref();
  }

  private onRequest(pdu: Pdu): void {
    switch (pdu.command) {
      case 'deliver_sm':
      case 'data_sm':
        this.hooks.onDeliver(this, pdu);
        return;
      case 'alert_notification':
        return; // has no response
      default:
        this.conn?.respond(pdu, {}, STATUS.INVCMDID);
    }
  }

  /** The raw body of a received message, whichever field carries it. */
  static body(pdu: Pdu): Buffer {
    const sm = bytes(pdu, 'short_message');
    return sm.length > 0 ? sm : bytes(pdu, 'message_payload');
  }
}
