import { createHash } from 'node:crypto';
import net from 'node:net';
import { ipAllowList } from '../../src/api/callback-guard';
import { safeEqual } from '../../src/api/auth';
import type { Config } from '../../src/config';
import type { Core } from '../../src/core';
import { AppError } from '../../src/lib/errors';
import { newId } from '../../src/lib/ids';
import type { Logger } from '../../src/lib/logger';
import { normalizeMsisdn } from '../../src/lib/msisdn';
import { decodeText } from '../../src/messaging/encoding';
import type { MessageRow } from '../../src/messaging/outbox-repo';
import type { EnqueueRequest, EnqueueResult, MessageStatus } from '../../src/messaging/types';
import { SmppBind } from './bind';
import { SmppConnection } from './connection';
import { receiptText } from './dlr';
import { bindFieldFault, int, parseUdh, STATUS, statusName, str, submitBodyFault, type ConcatInfo, type Pdu } from './pdu';

type ServerConfig = Config['smpp']['server'];
type Account = ServerConfig['accounts'][number];
type PartnerCore = Pick<Core, 'messaging' | 'metrics' | 'clock' | 'log' | 'config'>;
type Mode = 'transmitter' | 'receiver' | 'transceiver';

const BIND_MODES: Record<string, Mode> = { bind_transmitter: 'transmitter', bind_receiver: 'receiver', bind_transceiver: 'transceiver' };

/** Receipt words and SMPP message_state per final status. */
const RECEIPT_STATE: Partial<Record<MessageStatus, { stat: string; state: number }>> = {
  delivered: { stat: 'DELIVRD', state: 2 },
  expired: { stat: 'EXPIRED', state: 3 },
  failed: { stat: 'UNDELIV', state: 5 },
  blocked: { stat: 'REJECTD', state: 8 },
};

/** query_sm message_state for any status. */
const QUERY_STATE: Record<MessageStatus, number> = { queued: 1, sent: 1, delivered: 2, expired: 3, failed: 5, blocked: 8 };

interface Session {
  conn: SmppConnection;
  ip: string;
  account: Account | null;
  mode: Mode | null;
}

/**
 * The SMPP listener for partners (aggregators, content providers): accounts with passwords and an
 * optional IP allow-list, transmitter / receiver / transceiver binds. A submit_sm goes through the
 * same outbox, policies and routing as every other message (concatenated submits are reassembled
 * first); receipts go back on the partner's receiving bind, and wait in the outbox while none is
 * bound. Malformed and unknown PDUs get generic_nack; repeated failed binds from one address are
 * answered more and more slowly; a handler error answers the PDU with a system error, never crashes.
 */
export class PartnerServer {
  private server: net.Server | null = null;
  private readonly sessions = new Set<Session>();
  private readonly failures = new Map<string, { count: number; at: number }>();
  private readonly sending = new Set<string>();
  /** Partners whose due receipts are being read; true when another flush was asked for meanwhile. */
  private readonly flushing = new Map<string, boolean>();
  private readonly allow = new Map<string, ((ip: string) => boolean) | null>();
  private readonly log: Logger;
  private port = 0;

  constructor(
    private readonly cfg: ServerConfig,
    private readonly core: PartnerCore,
  ) {
    this.log = core.log.child({ comp: 'smpp-server' });
    for (const a of cfg.accounts) this.allow.set(a.systemId, ipAllowList(a.allowIps));
    core.metrics.gauge('smpp_partner_binds', 'Partner sessions bound, by account', ['account'], (g) => {
      g.reset();
      for (const s of this.sessions) if (s.account) g.inc({ account: s.account.systemId });
    });
    core.messaging.onStatus((c) => {
      if (c.source.startsWith('partner:') && c.status !== 'sent') this.flushReceipts(c.source.slice('partner:'.length));
    });
  }

  /** The port listened on (after start). */
  get listeningPort(): number {
    return this.port;
  }

  /** Starts listening on smpp.server.host:port. */
  async start(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    server.maxConnections = 500;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.cfg.port, this.cfg.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'SMPP listener error'));
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.cfg.port;
    this.log.info({ host: this.cfg.host, port: this.port, accounts: this.cfg.accounts.length }, 'SMPP listener for partners');
  }

  /** Unbinds partners and stops listening. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    await Promise.all([...this.sessions].map(async (s) => (s.mode ? s.conn.unbind(300) : s.conn.close('shutting down'))));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const ip = socket.remoteAddress ?? '';
    const conn = new SmppConnection(socket, {
      responseTimeoutMs: this.cfg.responseTimeoutMs,
      enquireLinkMs: this.cfg.enquireLinkSeconds * 1000,
      maxPduLength: 8192,
    });
    const session: Session = { conn, ip, account: null, mode: null };
    this.sessions.add(session);
    // A connection that never binds is closed rather than kept open.
    const bindTimer = setTimeout(() => {
      if (!session.mode) conn.close('no bind');
    }, Math.max(2 * this.cfg.responseTimeoutMs, 1000));
    bindTimer.unref();
    conn.on('request', (pdu: Pdu) => {
      try {
        this.onRequest(session, pdu);
      } catch (err) {
        this.log.error({ err, command: pdu.command, account: session.account?.systemId }, 'partner PDU handler failed');
        conn.respond(pdu, {}, STATUS.SYSERR);
      }
    });
    conn.on('warn', (msg: string) => this.log.warn({ ip }, msg));
    conn.on('close', () => {
      clearTimeout(bindTimer);
      this.sessions.delete(session);
    });
  }

  private onRequest(s: Session, pdu: Pdu): void {
    const bindMode = BIND_MODES[pdu.command];
    if (bindMode) return this.onBind(s, pdu, bindMode);
    if (!s.mode) return s.conn.respond(pdu, {}, STATUS.INVBNDSTS);
    switch (pdu.command) {
      case 'submit_sm':
        if (s.mode === 'receiver') return s.conn.respond(pdu, {}, STATUS.INVBNDSTS);
        return this.onSubmit(s, pdu);
      case 'query_sm':
        return this.onQuery(s, pdu);
      default:
        return s.conn.respond(pdu, {}, STATUS.INVCMDID);
    }
  }

  private onBind(s: Session, pdu: Pdu, mode: Mode): void {
    if (s.mode) return s.conn.respond(pdu, { system_id: 'vasgw' }, STATUS.ALYBND);
    const systemId = str(pdu, 'system_id');
    const password = str(pdu, 'password');
    const fault = bindFieldFault(pdu);
    const account = fault === null ? (this.cfg.accounts.find((a) => a.systemId === systemId) ?? null) : null;
    const allowed = account ? (this.allow.get(account.systemId) ?? null) : null;
    let status: number = STATUS.OK;
    // Unknown account and wrong password get the same answer: no hint which system ids exist.
    if (fault !== null) status = fault;
    else if (!account || !safeEqual(password, account.password)) status = STATUS.INVPASWD;
    else if (allowed && !allowed(s.ip)) status = STATUS.BINDFAIL;
    if (status !== STATUS.OK) {
      const delay = this.failureDelay(s.ip);
      // Only a configured account id is logged as is. Anything else may hold a password that ran into
      // it (a field without its NUL): logged as its length and a fingerprint, enough to tell attempts apart.
      const who = account ? { account: account.systemId } : { systemId: fingerprint(systemId) };
      this.log.warn({ ip: s.ip, ...who, status: statusName(status), delayMs: delay }, 'partner bind refused');
      const answer = () => s.conn.respond(pdu, { system_id: 'vasgw' }, status);
      if (delay > 0) setTimeout(answer, delay).unref();
      else answer();
      return;
    }
    this.failures.delete(s.ip);
    s.account = account;
    s.mode = mode;
    s.conn.respond(pdu, { system_id: 'vasgw' });
    this.log.info({ ip: s.ip, account: systemId, mode }, 'partner bound');
    if (mode !== 'transmitter') setImmediate(() => this.flushReceipts(systemId));
  }

  /** Records a failed bind from an address; returns how long to hold the answer (ms). */
  private failureDelay(ip: string): number {
    const now = performance.now();
    if (this.failures.size > 10_000) {
      for (const [k, v] of this.failures) if (now - v.at > 600_000) this.failures.delete(k);
    }
    const f = this.failures.get(ip);
    const count = f && now - f.at < 600_000 ? f.count + 1 : 1;
    this.failures.set(ip, { count, at: now });
    const over = count - this.cfg.failedBinds.allowed;
    if (over <= 0) return 0;
    return Math.min(this.cfg.failedBinds.maxDelayMs, this.cfg.failedBinds.delayMs * 2 ** Math.min(20, over - 1));
  }

  private onSubmit(s: Session, pdu: Pdu): void {
    const account = s.account!;
    const cc = this.core.config.defaults.countryCode;
    const to = normalizeMsisdn(str(pdu, 'destination_addr'), cc);
    if (!to) return s.conn.respond(pdu, {}, STATUS.INVDSTADR);
    const source = str(pdu, 'source_addr');
    let body = SmppBind.body(pdu);
    // Refused before anything is queued: a body the gateway cannot read is never sent on half-read.
    const fault = submitBodyFault(pdu, body);
    if (fault !== null) return s.conn.respond(pdu, {}, fault);
    let concat: ConcatInfo | null = null;
    if (int(pdu, 'esm_class') & 0x40) {
      const u = parseUdh(body);
      concat = u.concat;
      body = u.text;
    }
    const sarTotal = int(pdu, 'sar_total_segments');
    if (!concat && sarTotal > 1) {
      const seq = int(pdu, 'sar_segment_seqnum');
      if (seq >= 1 && seq <= sarTotal) concat = { ref: int(pdu, 'sar_msg_ref_num'), total: sarTotal, seq };
    }
    const rd = int(pdu, 'registered_delivery') & 0x03;
    const request: Omit<EnqueueRequest, 'text'> = {
      to,
      ...(source ? { from: source } : {}),
      kind: account.kind,
      source: `partner:${account.systemId}`,
      ...(rd === 1 ? { receipt: 'all' as const } : rd === 2 ? { receipt: 'failures' as const } : {}),
    };
    const dataCoding = int(pdu, 'data_coding');
    const queue = async (): Promise<{ id: string; result: EnqueueResult | null }> => {
      if (!concat) {
        const result = await this.core.messaging.send({ ...request, text: decodeText(body, dataCoding) });
        return { id: result.id, result };
      }
      return this.core.messaging.enqueuePart({
        groupKey: `${account.systemId}|${to}|${source}|${concat.ref}|${concat.total}`,
        seq: concat.seq,
        total: concat.total,
        dataCoding,
        data: body,
        request: { ...request, id: newId('msg', this.core.clock.now()) },
      });
    };
    // The submit_sm_resp goes out only once the message is durable (a unit of work).
    queue().then(
      ({ id, result }) => {
        s.conn.respond(pdu, { message_id: id });
        // A policy refusal is final at once: its receipt (REJECTD) can go now.
        if (result?.status === 'blocked' && rd) setImmediate(() => this.flushReceipts(account.systemId));
      },
      (err: unknown) => {
        const status = err instanceof AppError ? submitErrorStatus(err.code) : STATUS.X_T_APPN;
        if (!(err instanceof AppError)) this.log.error({ err, account: account.systemId }, 'could not queue a partner submit');
        s.conn.respond(pdu, {}, status);
      },
    );
  }

  private onQuery(s: Session, pdu: Pdu): void {
    const id = str(pdu, 'message_id');
    this.core.messaging.row(id).then(
      (m) => {
        if (!m || m.source !== `partner:${s.account!.systemId}`) return s.conn.respond(pdu, {}, STATUS.INVMSGID);
        s.conn.respond(pdu, { message_id: id, final_date: '', message_state: QUERY_STATE[m.status], error_code: 0 });
      },
      (err: unknown) => {
        this.log.error({ err, account: s.account!.systemId }, 'could not look up a queried message');
        s.conn.respond(pdu, {}, STATUS.X_T_APPN);
      },
    );
  }

  /**
   * Sends the receipts a partner is owed on its receiving binds, within their windows. One look-up per
   * partner at a time (it awaits the database): a flush asked for meanwhile runs once it is done, so two
   * never read the same due receipts.
   */
  private flushReceipts(systemId: string): void {
    if (this.flushing.has(systemId)) {
      this.flushing.set(systemId, true);
      return;
    }
    this.flushing.set(systemId, false);
    this.flushReceiptsNow(systemId)
      .catch((err: unknown) => this.log.error({ err, account: systemId }, 'could not read the receipts a partner is owed'))
      .finally(() => {
        const again = this.flushing.get(systemId);
        this.flushing.delete(systemId);
        if (again) this.flushReceipts(systemId);
      });
  }

  private async flushReceiptsNow(systemId: string): Promise<void> {
    const sessions = [...this.sessions].filter((x) => x.account?.systemId === systemId && (x.mode === 'receiver' || x.mode === 'transceiver') && x.conn.isOpen);
    if (sessions.length === 0) return;
    let free = 0;
    for (const x of sessions) free += Math.max(0, this.cfg.window - x.conn.inFlight);
    if (free <= 0) return;
    const due = (await this.core.messaging.receiptsDue(`partner:${systemId}`, free + this.sending.size)).filter((m) => !this.sending.has(m.id));
    for (const m of due) {
      const s = sessions.find((x) => x.conn.inFlight < this.cfg.window);
      if (!s) return;
      this.sendReceipt(s, m, systemId);
    }
  }

  private sendReceipt(s: Session, m: MessageRow, systemId: string): void {
    const state = RECEIPT_STATE[m.status];
    // Failures-only receipts skip deliveries; a status without a receipt word has nothing to say.
    this.sending.add(m.id);
    if (!state || (m.receiptRequested === 2 && m.status === 'delivered')) {
      this.receiptHandedOver(m.id, systemId, false);
      return;
    }
    const err = String(m.errorCode ?? (m.status === 'blocked' ? 1 : 0)).padStart(3, '0');
    const text = receiptText({
      id: m.id,
      stat: state.stat,
      err,
      submitDate: new Date(m.createdAt),
      doneDate: new Date(m.finalAt ?? m.updatedAt),
      delivered: m.status === 'delivered',
      text: m.text,
    });
    s.conn.request(
      'deliver_sm',
      {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: m.msisdn.replace(/^\+/, ''),
        destination_addr: m.sender ?? '',
        esm_class: 0x04,
        data_coding: 0,
        short_message: Buffer.from(text, 'latin1'),
        receipted_message_id: m.id,
        message_state: state.state,
      },
      (e, resp) => {
        if (!e && resp && resp.command_status === STATUS.OK) {
          this.receiptHandedOver(m.id, systemId, true);
        } else {
          this.sending.delete(m.id);
          this.log.warn({ account: systemId, messageId: m.id, error: e?.message ?? resp?.command_status }, 'partner did not take a receipt; it stays due');
        }
      },
    );
  }

  /** Records a receipt as handed over; it stays in `sending` until that is durable, so no flush sends it twice. */
  private receiptHandedOver(id: string, systemId: string, more: boolean): void {
    this.core.messaging.markReceiptSent(id).then(
      () => {
        this.sending.delete(id);
        if (more) this.flushReceipts(systemId);
      },
      (err: unknown) => {
        this.sending.delete(id);
        this.log.error({ err, account: systemId, messageId: id }, 'could not record a receipt as handed over; it stays due');
      },
    );
  }
}

/** An unknown system_id for the log: its length and a short hash, never its text. */
function fingerprint(systemId: string): string {
  return `${systemId.length} octets #${createHash('sha256').update(systemId, 'latin1').digest('hex').slice(0, 8)}`;
}

/** SMPP status for a refused submit. */
function submitErrorStatus(code: string): number {
  switch (code) {
    case 'INVALID_MSISDN':
      return STATUS.INVDSTADR;
    case 'INVALID_SENDER':
      return STATUS.INVSRCADR;
    case 'TEXT_TOO_LONG':
    case 'INVALID_TEXT':
      return STATUS.INVMSGLEN;
    default:
      return STATUS.SUBMITFAIL;
  }
}
