import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { PDU, STATUS, type Pdu } from './pdu';

/** Why a request got no response. */
export class RequestError extends Error {
  constructor(
    readonly code: 'timeout' | 'disconnected' | 'closing',
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export type ResponseCallback = (err: RequestError | null, resp: Pdu | null) => void;

interface Pending {
  cb: ResponseCallback;
  deadline: number;
  command: string;
}

export interface ConnectionOptions {
  /** A request unanswered this long fails with `timeout`. */
  responseTimeoutMs: number;
  /** Send enquire_link after this long without traffic; a peer that does not answer it is dead. */
  enquireLinkMs: number;
  /** Largest PDU accepted (octets); a larger length cannot be framed and closes the connection. */
  maxPduLength?: number;
}

const HEADER = 16;

/**
 * One SMPP connection, either side: frames PDUs off the socket, encodes and decodes them with the
 * `smpp` codec, numbers requests and matches responses, fails requests that time out or are cut off
 * by a disconnect (the package forgets them), answers enquire_link and unbind, sends its own
 * enquire_link when idle and declares the peer dead when that goes unanswered. A PDU that cannot be
 * decoded gets generic_nack and the stream goes on; nothing the peer sends can throw out of here.
 *
 * Events: `request` (pdu) for every request other than enquire_link/unbind, `close` (reason) once.
 */
export class SmppConnection extends EventEmitter {
  private buf: Buffer | null = null;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private lastRx = performance.now();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private corked = false;
  private enquiring = false;
  private readonly maxLen: number;

  constructor(
    readonly socket: Socket,
    private readonly opts: ConnectionOptions,
  ) {
    super();
    this.maxLen = opts.maxPduLength ?? 65_536;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.shutdown(`socket error: ${err.message}`));
    socket.on('close', () => this.shutdown('connection closed by peer'));
    socket.on('end', () => this.shutdown('connection closed by peer'));
    const every = Math.max(20, Math.min(1000, opts.responseTimeoutMs / 4, opts.enquireLinkMs / 2));
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  /** Requests waiting for their response. */
  get inFlight(): number {
    return this.pending.size;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends a request; `cb` gets its response, or a timeout / disconnect error. Never throws. */
  request(command: string, fields: Record<string, unknown>, cb: ResponseCallback): void {
    this.requestEncoded(command, (seq) => new PDU(command, { ...fields, sequence_number: seq }).toBuffer(), cb);
  }

  /**
   * Sends a request the caller encodes itself for the sequence number given (the submit hot path);
   * otherwise as `request`.
   */
  requestEncoded(command: string, encode: (sequence: number) => Buffer, cb: ResponseCallback): void {
    if (this.closed) {
      queueMicrotask(() => cb(new RequestError('disconnected', 'not connected'), null));
      return;
    }
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    const seq = this.seq;
    let buf: Buffer;
    try {
      buf = encode(seq);
    } catch (err) {
      queueMicrotask(() => cb(new RequestError('closing', `could not encode ${command}: ${(err as Error).message}`), null));
      return;
    }
    this.pending.set(seq, { cb, deadline: performance.now() + this.opts.responseTimeoutMs, command });
    this.write(buf);
  }

  /** Answers a request with its response (status 0 unless given). */
  respond(req: Pdu, fields: Record<string, unknown> = {}, status: number = STATUS.OK): void {
    if (this.closed) return;
    try {
      const resp = req.command === 'unknown' ? new PDU('generic_nack', { sequence_number: req.sequence_number, command_status: STATUS.INVCMDID }) : req.response({ ...fields, command_status: status });
      this.write(resp.toBuffer());
    } catch (err) {
      this.nack(req.sequence_number, STATUS.SYSERR);
      this.emit('warn', `could not encode response to ${req.command}: ${(err as Error).message}`);
    }
  }

  /** Sends generic_nack for a sequence number. */
  nack(sequence: number, status: number): void {
    if (this.closed) return;
    this.write(new PDU('generic_nack', { sequence_number: sequence, command_status: status }).toBuffer());
  }

  /** Sends unbind and waits (bounded) for unbind_resp, then closes. */
  async unbind(waitMs = 1000): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs);
      this.request('unbind', {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.close('unbound');
  }

  /** Closes the connection; pending requests fail with `disconnected`. */
  close(reason: string): void {
    if (this.closed) return;
    this.socket.end();
    this.socket.destroy();
    this.shutdown(reason);
  }

  private write(buf: Buffer): void {
    // Cork for the rest of this tick so a burst of submits goes out in few syscalls.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(buf);
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (!this.socket.destroyed) this.socket.destroy();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.cb(new RequestError('disconnected', reason), null);
    this.emit('close', reason);
  }

  private tick(): void {
    if (this.closed) return;
    const now = performance.now();
    // Deadlines grow with the sequence (one timeout for all), so the oldest entries come first.
    for (const [seq, p] of this.pending) {
      if (p.deadline > now) break;
      this.pending.delete(seq);
      if (p.command === 'enquire_link') {
        this.close(`peer did not answer enquire_link within ${this.opts.responseTimeoutMs} ms`);
        return;
      }
      p.cb(new RequestError('timeout', `no ${p.command}_resp within ${this.opts.responseTimeoutMs} ms`), null);
    }
    if (!this.enquiring && now - this.lastRx >= this.opts.enquireLinkMs) {
      this.enquiring = true;
      this.request('enquire_link', {}, () => {
        this.enquiring = false;
      });
    }
  }

  private onData(chunk: Buffer): void {
    this.lastRx = performance.now();
    let buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    while (buf.length >= 4 && !this.closed) {
      const len = buf.readUInt32BE(0);
      if (len < HEADER || len > this.maxLen) {
        // The stream cannot be framed any more: say why and hang up.
        const seq = buf.length >= HEADER ? buf.readUInt32BE(12) : 0;
        this.nack(seq, STATUS.INVCMDLEN);
        this.close(`invalid PDU length ${len}`);
        return;
      }
      if (buf.length < len) break;
      const frame = buf.subarray(0, len);
      buf = buf.subarray(len);
      this.onFrame(frame);
    }
    this.buf = buf.length > 0 ? buf : null;
  }

  private onFrame(frame: Buffer): void {
    let pdu: Pdu;
    try {
      pdu = new PDU(frame);
    } catch {
      const id = frame.readUInt32BE(4);
      const seq = frame.readUInt32BE(12);
      if (!(id & 0x80000000)) this.nack(seq, STATUS.INVCMDLEN);
      else this.failPending(seq, `undecodable response`);
      return;
    }
    // An id no command has is answered generic_nack ESME_RINVCMDID even with the response bit set
    // (0xffffffff): it answers nothing of ours, and silence would leave the peer waiting.
    if (pdu.command === 'unknown') {
      this.respond(pdu);
      return;
    }
    if (pdu.isResponse()) {
      const p = this.pending.get(pdu.sequence_number);
      if (!p) return; // a response to something already timed out
      this.pending.delete(pdu.sequence_number);
      p.cb(null, pdu);
      return;
    }
    switch (pdu.command) {
      case 'enquire_link':
        this.respond(pdu);
        return;
      case 'unbind':
        this.respond(pdu);
        setImmediate(() => this.close('peer unbound'));
        return;
      default:
        this.emit('request', pdu);
    }
  }

  private failPending(seq: number, why: string): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    p.cb(null, new PDU('generic_nack', { sequence_number: seq, command_status: STATUS.SYSERR }));
    this.emit('warn', why);
  }
}
