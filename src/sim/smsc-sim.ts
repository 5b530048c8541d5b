import type { AddressInfo } from 'node:net';
import smpp from 'smpp';
import { bytes, concatUdh, installRawMessageCodec, int, parseUdh, str, type Pdu } from '../../channels/smpp/pdu';
import { decodeText, encodeSms } from '../messaging/encoding';
import { systemClock, type Clock } from '../lib/clock';

installRawMessageCodec();

/** What the SMSC simulator is started with (CLI: `vasgw smsc-sim`). */
export interface SmscSimOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  systemId: string;
  password: string;
  /** Wait between answering a submit_sm and sending its delivery receipt. */
  dlrDelayMs: number;
  /** Share of receipts (0..1) that say UNDELIV instead of DELIVRD. */
  failShare: number;
  /** Where readable lines go (the terminal). */
  out: (line: string) => void;
  random?: () => number;
  clock?: Clock;
}

/** A whole message the simulator received (parts reassembled). */
export interface SimMessage {
  from: string;
  to: string;
  text: string;
  parts: number;
  messageIds: string[];
}

type Mode = 'transmitter' | 'receiver' | 'transceiver';

interface SimSession {
  session: smpp.Session;
  systemId: string | null;
  mode: Mode | null;
}

interface Part {
  seq: number;
  body: Buffer;
  id: string;
}

const DATA_CODING_NAMES: Record<number, string> = { 0: 'GSM-7', 1: 'ASCII', 3: 'Latin-1', 8: 'UCS-2' };

// SMPP receipt dates are YYMMDDhhmm.
function receiptDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-T:]/g, '').slice(2, 12);
}

/**
 * An SMSC on the `smpp` package's server, as an operator would run one: binds with one system id and
 * password, answers submit_sm with message ids, sends delivery receipts (esm_class 0x04, the
 * receipted_message_id TLV and the `id:... stat:...` text) after a delay with a share of them UNDELIV,
 * and delivers MOs (split into UDH parts when long). MOs given while no receiver is bound wait for one,
 * as a real SMSC stores them.
 */
export class SmscSimulator {
  readonly messages: SimMessage[] = [];
  readonly receipts: Array<{ messageId: string; to: string; stat: 'DELIVRD' | 'UNDELIV' }> = [];
  private readonly sessions = new Set<SimSession>();
  private readonly partial = new Map<string, Part[]>();
  private readonly pendingMo: Array<{ from: string; to: string; text: string }> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: smpp.Server | null = null;
  private nextId = 0x1000;
  private moRef = 0;
  private readonly random: () => number;
  private readonly clock: Clock;
  port = 0;

  constructor(private readonly opts: SmscSimOptions) {
    this.random = opts.random ?? Math.random;
    this.clock = opts.clock ?? systemClock;
  }

  /** Listens; resolves with the port (the chosen one when 0 was asked). */
  async start(): Promise<number> {
    const server = smpp.createServer((session) => this.onSession(session));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  /** Cuts every session, drops pending receipts and closes the listener. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sessions) s.session.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Sessions bound and able to receive deliver_sm. */
  receivers(): number {
    return [...this.sessions].filter((s) => s.mode === 'receiver' || s.mode === 'transceiver').length;
  }

  /** Delivers an MO now, or when a receiver binds; returns false when it had to wait. */
  sendMo(from: string, to: string, text: string): boolean {
    const s = this.receiver();
    if (!s) {
      this.pendingMo.push({ from, to, text });
      this.opts.out(`MO from ${from} to ${to} waits: no receiver bound yet`);
      return false;
    }
    const sms = encodeSms(text);
    const total = sms.parts.length;
    const ref = (this.moRef = (this.moRef + 1) % 256);
    sms.parts.forEach((part, i) => {
      const fields: Record<string, unknown> = {
        source_addr_ton: from.startsWith('+') || /^\d{10,15}$/.test(from) ? 1 : 0,
        source_addr_npi: 1,
        source_addr: from.replace(/^\+/, ''),
        dest_addr_ton: 0,
        dest_addr_npi: 1,
        destination_addr: to,
        data_coding: sms.dataCoding,
        esm_class: total > 1 ? 0x40 : 0,
        short_message: total > 1 ? Buffer.concat([concatUdh(ref, total, i + 1), part]) : part,
      };
      s.session.send(new smpp.PDU('deliver_sm', fields));
    });
    this.opts.out(`MO sent from ${from} to ${to}${total > 1 ? ` (${total} parts)` : ''}: ${text}`);
    return true;
  }

  private receiver(systemId: string | null = null): SimSession | undefined {
    return [...this.sessions].find((x) => (x.mode === 'receiver' || x.mode === 'transceiver') && (systemId === null || x.systemId === systemId));
  }

  private onSession(session: smpp.Session): void {
    const ss: SimSession = { session, systemId: null, mode: null };
    this.sessions.add(ss);
    session.on('close', () => {
      this.sessions.delete(ss);
      if (ss.mode) this.opts.out(`unbound: ${ss.systemId} (${ss.mode})`);
    });
    session.on('error', () => session.destroy());
    session.on('pdu', (pdu: Pdu) => {
      switch (pdu.command) {
        case 'bind_transceiver':
        case 'bind_transmitter':
        case 'bind_receiver':
          return this.onBind(ss, pdu);
        case 'enquire_link':
          return session.send(pdu.response());
        case 'unbind':
          session.send(pdu.response());
          return session.close();
        case 'submit_sm':
          return this.onSubmit(ss, pdu);
        default:
          if (!pdu.isResponse()) session.send(pdu.response({ command_status: smpp.errors.ESME_RINVCMDID }));
      }
    });
  }

  private onBind(ss: SimSession, pdu: Pdu): void {
    const systemId = str(pdu, 'system_id');
    const mode = pdu.command.slice(5) as Mode;
    if (systemId !== this.opts.systemId) {
      this.opts.out(`bind refused: unknown system id "${systemId}"`);
      ss.session.send(pdu.response({ command_status: smpp.errors.ESME_RINVSYSID }));
      return;
    }
    if (str(pdu, 'password') !== this.opts.password) {
      this.opts.out(`bind refused: wrong password for "${systemId}"`);
      ss.session.send(pdu.response({ command_status: smpp.errors.ESME_RINVPASWD }));
      return;
    }
    ss.systemId = systemId;
    ss.mode = mode;
    ss.session.send(pdu.response({ system_id: 'vasgw-smsc-sim' }));
    this.opts.out(`bound: ${systemId} as ${mode}`);
    if (mode !== 'transmitter') {
      const waiting = this.pendingMo.splice(0);
      for (const m of waiting) this.sendMo(m.from, m.to, m.text);
    }
  }

  private onSubmit(ss: SimSession, pdu: Pdu): void {
    if (!ss.mode || ss.mode === 'receiver') {
      ss.session.send(pdu.response({ command_status: smpp.errors.ESME_RINVBNDSTS }));
      return;
    }
    const id = (this.nextId++).toString(16).toUpperCase().padStart(10, '0');
    const esm = int(pdu, 'esm_class');
    let body = bytes(pdu, 'short_message');
    if (body.length === 0) body = bytes(pdu, 'message_payload');
    let concat: { ref: number; total: number; seq: number } | null = null;
    if (esm & 0x40) {
      const u = parseUdh(body);
      body = u.text;
      if (u.concat) concat = u.concat;
    } else if (int(pdu, 'sar_total_segments') > 1) {
      concat = { ref: int(pdu, 'sar_msg_ref_num'), total: int(pdu, 'sar_total_segments'), seq: int(pdu, 'sar_segment_seqnum') };
    }
    const from = str(pdu, 'source_addr');
    const to = str(pdu, 'destination_addr');
    const dataCoding = int(pdu, 'data_coding');
    ss.session.send(pdu.response({ message_id: id }));
    if (int(pdu, 'registered_delivery') & 0x01) this.scheduleReceipt(ss.systemId, id, from, to, decodeText(body, dataCoding));
    const coding = DATA_CODING_NAMES[dataCoding] ?? `data_coding ${dataCoding}`;
    if (!concat || concat.total <= 1) {
      this.received({ from, to, text: decodeText(body, dataCoding), parts: 1, messageIds: [id] }, coding);
      return;
    }
    const key = `${from}|${to}|${concat.ref}|${concat.total}`;
    const parts = this.partial.get(key) ?? [];
    if (!parts.some((p) => p.seq === concat.seq)) parts.push({ seq: concat.seq, body, id });
    this.partial.set(key, parts);
    if (parts.length < concat.total) return;
    this.partial.delete(key);
    parts.sort((a, b) => a.seq - b.seq);
    const text = decodeText(Buffer.concat(parts.map((p) => p.body)), dataCoding);
    this.received({ from, to, text, parts: parts.length, messageIds: parts.map((p) => p.id) }, coding);
  }

  private received(m: SimMessage, coding: string): void {
    this.messages.push(m);
    const partsNote = m.parts > 1 ? `, ${m.parts} parts` : '';
    // Continuation lines indented so a multi-line SMS reads as one entry.
    this.opts.out(`SMS from ${m.from || '(bind default)'} to ${m.to} (${coding}${partsNote}, id ${m.messageIds.join(',')}): ${m.text.replace(/\n/g, '\n    ')}`);
  }

  private scheduleReceipt(systemId: string | null, id: string, from: string, to: string, text: string): void {
    const submitted = this.clock.now();
    const stat = this.random() < this.opts.failShare ? 'UNDELIV' : 'DELIVRD';
    const t = setTimeout(() => {
      this.timers.delete(t);
      const s = this.receiver(systemId);
      if (!s) {
        this.opts.out(`receipt for ${id} not sent: no receiver bound`);
        return;
      }
      const done = this.clock.now();
      const dlvrd = stat === 'DELIVRD' ? '001' : '000';
      const err = stat === 'DELIVRD' ? '000' : '001';
      const short = `id:${id} sub:001 dlvrd:${dlvrd} submit date:${receiptDate(submitted)} done date:${receiptDate(done)} stat:${stat} err:${err} text:${text.slice(0, 20)}`;
      s.session.send(
        new smpp.PDU('deliver_sm', {
          source_addr: to,
          destination_addr: from,
          esm_class: 0x04,
          data_coding: 0,
          short_message: Buffer.from(short, 'latin1'),
          receipted_message_id: id,
          message_state: stat === 'DELIVRD' ? 2 : 5,
        }),
      );
      this.receipts.push({ messageId: id, to, stat });
      this.opts.out(`receipt sent for ${id} to ${to}: ${stat}`);
    }, this.opts.dlrDelayMs);
    this.timers.add(t);
  }
}
