import type { AddressInfo } from 'node:net';
import smpp from 'smpp';
import { bytes, concatUdh, installRawMessageCodec, int, parseUdh, str, type Pdu } from '../../channels/smpp/pdu';
import { decodeText, encodeSms } from '../../src/messaging/encoding';

installRawMessageCodec();

/** One submit_sm the fake SMSC accepted (recorded when answered). */
export interface ReceivedSubmit {
  smscId: number;
  systemId: string;
  from: string;
  to: string;
  /** dest_addr_ton / dest_addr_npi. */
  toTon: number;
  toNpi: number;
  dataCoding: number;
  esmClass: number;
  registeredDelivery: number;
  validity: string;
  /** The text bytes (header removed) and the concatenation info, from UDH or SAR TLVs. */
  body: Buffer;
  concat: { ref: number; total: number; seq: number; via: 'udh' | 'sar' } | null;
  text: string;
}

type Mode = 'transmitter' | 'receiver' | 'transceiver';

interface FakeSession {
  session: smpp.Session;
  systemId: string | null;
  mode: Mode | null;
}

export interface FakeSmscOptions {
  accounts?: Record<string, string>;
  /** Send delivery receipts for accepted submits that ask for one. */
  receipts?: boolean;
  /** How ids appear: in submit_sm_resp and in the receipt ('hex' zero-padded upper case, 'decimal'). */
  respIdFormat?: 'hex' | 'decimal';
  receiptIdFormat?: 'hex' | 'decimal';
  /** Put the id in the receipted_message_id TLV too. */
  receiptTlv?: boolean;
  /** The receipt's stat word. */
  receiptStat?: string;
  /** Send the receipt before the submit_sm_resp. */
  receiptBeforeResp?: boolean;
  /** The receipt's stat word per recipient (overrides receiptStat; null = no receipt for that number). */
  receiptStatFor?: ((to: string) => string | null) | null;
}

/**
 * A fake SMSC: a real `smpp.createServer` listening on 127.0.0.1 port 0. It binds accounts (wrong
 * password -> ESME_RINVPASWD), records every submit_sm, answers with ids, and has knobs for what tests
 * need: throttle or reject the next submits, hold responses and drop the connection with PDUs in
 * flight, receipts in hex or decimal (also before the submit_sm_resp), and MO injection (single or
 * concatenated with UDH or SAR).
 */
export class FakeSmsc {
  readonly submits: ReceivedSubmit[] = [];
  readonly binds: Array<{ systemId: string; mode: Mode; ok: boolean }> = [];
  readonly sessions = new Set<FakeSession>();
  opts: Required<FakeSmscOptions>;
  private server: smpp.Server | null = null;
  private nextId = 0x1000;
  private throttle = 0;
  private reject: { n: number; status: number } = { n: 0, status: 0 };
  private hold = false;
  /** When set, nothing is answered at all (not even enquire_link): a hung SMSC. */
  mute = false;
  private held: Array<() => void> = [];
  port = 0;

  constructor(opts: FakeSmscOptions = {}) {
    this.opts = {
      accounts: { vasgw: 'secret' },
      receipts: true,
      respIdFormat: 'hex',
      receiptIdFormat: 'hex',
      receiptTlv: false,
      receiptStat: 'DELIVRD',
      receiptBeforeResp: false,
      receiptStatFor: null,
      ...opts,
    };
  }

  async start(port = 0): Promise<this> {
    const server = smpp.createServer((session) => this.onSession(session));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) s.session.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answers the next `n` submits with ESME_RTHROTTLED. */
  throttleNext(n: number): void {
    this.throttle = n;
  }

  /** Answers the next `n` submits with `status`. */
  rejectNext(n: number, status: number): void {
    this.reject = { n, status };
  }

  /** Stops answering submits (they stay in flight on the client). */
  holdResponses(on = true): void {
    this.hold = on;
    if (!on) {
      const held = this.held;
      this.held = [];
      for (const f of held) f();
    }
  }

  /** Submits received and not answered (held). */
  get heldCount(): number {
    return this.held.length;
  }

  /** Cuts every connection; held responses are never sent. */
  dropConnections(): void {
    this.held = [];
    for (const s of this.sessions) s.session.destroy();
  }

  /** Bound sessions by mode. */
  bound(): Array<{ systemId: string; mode: Mode }> {
    return [...this.sessions].filter((s) => s.mode && s.systemId).map((s) => ({ systemId: s.systemId!, mode: s.mode! }));
  }

  /** Whole messages received: submits grouped by concatenation reference and decoded in order. */
  messages(): Array<{ to: string; text: string; parts: number }> {
    const out: Array<{ to: string; text: string; parts: number }> = [];
    const groups = new Map<string, ReceivedSubmit[]>();
    for (const s of this.submits) {
      if (!s.concat) {
        out.push({ to: s.to, text: s.text, parts: 1 });
        continue;
      }
      const key = `${s.to}|${s.concat.ref}|${s.concat.total}`;
      const g = groups.get(key) ?? [];
      if (!g.some((x) => x.concat!.seq === s.concat!.seq)) g.push(s);
      groups.set(key, g);
      if (g.length === s.concat.total) {
        g.sort((a, b) => a.concat!.seq - b.concat!.seq);
        out.push({ to: s.to, text: decodeText(Buffer.concat(g.map((x) => x.body)), s.dataCoding), parts: g.length });
        groups.delete(key);
      }
    }
    return out;
  }

  /** Sends an MO (split into parts with UDH or SAR when long) to a receiving session. */
  sendMo(m: { from: string; to: string; text: string; concat?: 'udh' | 'sar'; ref?: number; order?: number[]; fromTon?: number; fromNpi?: number }): void {
    const sms = encodeSms(m.text);
    const ref = m.ref ?? 42;
    const total = sms.parts.length;
    const order = m.order ?? sms.parts.map((_, i) => i);
    for (const i of order) {
      const part = sms.parts[i]!;
      const seq = i + 1;
      const fields: Record<string, unknown> = {
        source_addr_ton: m.fromTon ?? 1,
        source_addr_npi: m.fromNpi ?? 1,
        source_addr: m.from,
        destination_addr: m.to,
        data_coding: sms.dataCoding,
        esm_class: 0,
        short_message: part,
      };
      if (total > 1 && (m.concat ?? 'udh') === 'udh') {
        fields.esm_class = 0x40;
        fields.short_message = Buffer.concat([concatUdh(ref, total, seq), part]);
      } else if (total > 1) {
        fields.sar_msg_ref_num = ref;
        fields.sar_total_segments = total;
        fields.sar_segment_seqnum = seq;
      }
      this.deliver(null, fields);
    }
  }

  /** Sends a raw deliver_sm (receipt or MO) to a receiving session of `systemId` (any when null). */
  deliver(systemId: string | null, fields: Record<string, unknown>): void {
    const s = [...this.sessions].find((x) => (x.mode === 'receiver' || x.mode === 'transceiver') && (systemId === null || x.systemId === systemId));
    if (!s) throw new Error('no receiving session bound to the fake SMSC');
    s.session.send(new smpp.PDU('deliver_sm', fields));
  }

  private onSession(session: smpp.Session): void {
    const fs: FakeSession = { session, systemId: null, mode: null };
    this.sessions.add(fs);
    session.on('close', () => this.sessions.delete(fs));
    session.on('error', () => session.destroy());
    session.on('pdu', (pdu: Pdu) => {
      if (this.mute) return;
      switch (pdu.command) {
        case 'bind_transceiver':
        case 'bind_transmitter':
        case 'bind_receiver': {
          const systemId = str(pdu, 'system_id');
          const mode = pdu.command.slice(5) as Mode;
          const ok = this.opts.accounts[systemId] !== undefined && this.opts.accounts[systemId] === str(pdu, 'password');
          this.binds.push({ systemId, mode, ok });
          if (!ok) {
            session.send(pdu.response({ command_status: smpp.errors.ESME_RINVPASWD }));
            return;
          }
          fs.systemId = systemId;
          fs.mode = mode;
          session.send(pdu.response({ system_id: 'fakesmsc' }));
          return;
        }
        case 'enquire_link':
          session.send(pdu.response());
          return;
        case 'unbind':
          session.send(pdu.response());
          session.close();
          return;
        case 'submit_sm':
          this.onSubmit(fs, pdu);
          return;
        default:
          if (!pdu.isResponse()) session.send(pdu.response({ command_status: smpp.errors.ESME_RINVCMDID }));
      }
    });
  }

  private formatId(id: number, format: 'hex' | 'decimal'): string {
    return format === 'hex' ? id.toString(16).toUpperCase().padStart(10, '0') : String(id);
  }

  private onSubmit(fs: FakeSession, pdu: Pdu): void {
    const session = fs.session;
    if (!fs.mode || fs.mode === 'receiver') {
      session.send(pdu.response({ command_status: smpp.errors.ESME_RINVBNDSTS }));
      return;
    }
    if (this.throttle > 0) {
      this.throttle--;
      session.send(pdu.response({ command_status: smpp.errors.ESME_RTHROTTLED }));
      return;
    }
    if (this.reject.n > 0) {
      this.reject.n--;
      session.send(pdu.response({ command_status: this.reject.status }));
      return;
    }
    const id = this.nextId++;
    const esm = int(pdu, 'esm_class');
    let body = bytes(pdu, 'short_message');
    if (body.length === 0) body = bytes(pdu, 'message_payload');
    let concat: ReceivedSubmit['concat'] = null;
    if (esm & 0x40) {
      const u = parseUdh(body);
      body = u.text;
      if (u.concat) concat = { ...u.concat, via: 'udh' };
    } else if (int(pdu, 'sar_total_segments') > 1) {
      concat = { ref: int(pdu, 'sar_msg_ref_num'), total: int(pdu, 'sar_total_segments'), seq: int(pdu, 'sar_segment_seqnum'), via: 'sar' };
    }
    const dataCoding = int(pdu, 'data_coding');
    const rec: ReceivedSubmit = {
      smscId: id,
      systemId: fs.systemId ?? '',
      from: str(pdu, 'source_addr'),
      to: str(pdu, 'destination_addr'),
      toTon: int(pdu, 'dest_addr_ton'),
      toNpi: int(pdu, 'dest_addr_npi'),
      dataCoding,
      esmClass: esm,
      registeredDelivery: int(pdu, 'registered_delivery'),
      validity: str(pdu, 'validity_period'),
      body,
      concat,
      text: decodeText(body, dataCoding),
    };
    const respond = () => {
      this.submits.push(rec);
      session.send(pdu.response({ message_id: this.formatId(id, this.opts.respIdFormat) }));
    };
    const receipt = () => {
      if (!this.opts.receipts || !(rec.registeredDelivery & 0x01)) return;
      const stat = this.opts.receiptStatFor ? this.opts.receiptStatFor(rec.to) : this.opts.receiptStat;
      if (stat === null) return;
      const rid = this.formatId(id, this.opts.receiptIdFormat);
      const text = `id:${rid} sub:001 dlvrd:001 submit date:2611200900 done date:2611200901 stat:${stat} err:000 text:${rec.text.slice(0, 10)}`;
      try {
        this.deliver(fs.systemId, {
          source_addr: rec.to,
          destination_addr: rec.from,
          esm_class: 0x04,
          data_coding: 0,
          short_message: Buffer.from(text, 'latin1'),
          ...(this.opts.receiptTlv ? { receipted_message_id: rid } : {}),
        });
      } catch {
        // no receiving bind: the SMSC keeps the receipt to itself
      }
    };
    const run = () => {
      if (this.opts.receiptBeforeResp) {
        receipt();
        setTimeout(respond, 20);
      } else {
        respond();
        setImmediate(receipt);
      }
    };
    if (this.hold) this.held.push(run);
    else run();
  }
}
