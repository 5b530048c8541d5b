import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseTwiml, signTwilio } from '../helpers/voice';

/**
 * A fake Twilio REST API on 127.0.0.1, port 0. It records every `POST /2010-04-01/Accounts/{sid}/Calls.json`
 * (basic auth, form To, From, Url, StatusCallback), answers 201 with a call `sid` like the real API,
 * and then plays the call into the gateway the way Twilio would: the answered call fetches `Url`,
 * presses the scripted keys one Gather at a time (following the Redirect when a key is null), and
 * ends with a `completed` status callback carrying CallDuration; an unanswered or busy call gets only
 * the status callback. Every request it makes is signed with the auth token (X-Twilio-Signature) over
 * the URL as the gateway wrote it; it is sent to `gatewayUrl` with that URL's path and query.
 */

export type TwilioBehaviour = { kind: 'answer'; keys?: (string | null)[]; durationSeconds?: number } | { kind: 'no-answer' } | { kind: 'busy' };

export interface TwilioRecordedCall {
  accountSid: string;
  to: string;
  from: string;
  url: string;
  statusCallback: string;
  sid: string;
}

export interface TwilioExchange {
  url: string;
  form: Record<string, string>;
  status: number;
  body: string;
}

export class FakeTwilio {
  readonly calls: TwilioRecordedCall[] = [];
  readonly exchanges = new Map<string, TwilioExchange[]>();
  private readonly playing = new Set<Promise<void>>();
  private readonly scripts = new Map<string, TwilioBehaviour[]>();
  private seq = 0;
  gatewayUrl = '';

  private constructor(
    private readonly server: Server,
    private readonly opts: { accountSid: string; authToken: string },
    readonly baseUrl: string,
  ) {}

  /** Starts the fake on 127.0.0.1, port 0. */
  static async start(opts: { accountSid: string; authToken: string }): Promise<FakeTwilio> {
    let self: FakeTwilio | null = null;
    const server = createServer((req, res) => void self?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new FakeTwilio(server, opts, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  /** Behaviours for the next calls to `to`, used in order (default: answer and hang up). */
  script(to: string, behaviours: TwilioBehaviour[]): void {
    this.scripts.set(to, [...(this.scripts.get(to) ?? []), ...behaviours]);
  }

  /** Waits for every call being played. */
  async settle(): Promise<void> {
    while (this.playing.size > 0) await Promise.allSettled([...this.playing]);
  }

  async stop(): Promise<void> {
    await this.settle();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = `/2010-04-01/Accounts/${this.opts.accountSid}/Calls.json`;
    if (req.method !== 'POST' || req.url !== path) return send(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    const expected = `Basic ${Buffer.from(`${this.opts.accountSid}:${this.opts.authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return send(401, { code: 20003, message: 'Authenticate', status: 401 });
    if (!form.To || !form.From || !form.Url) return send(400, { code: 21201, message: 'No To, From or Url', status: 400 });
    if (!/^\+\d{8,15}$/.test(form.To)) return send(400, { code: 21211, message: `The 'To' number ${form.To} is not a valid phone number.`, status: 400 });
    const call: TwilioRecordedCall = {
      accountSid: this.opts.accountSid,
      to: form.To,
      from: form.From,
      url: form.Url,
      statusCallback: form.StatusCallback ?? '',
      sid: `CA${String(++this.seq).padStart(32, '0')}`,
    };
    this.calls.push(call);
    send(201, { sid: call.sid, status: 'queued', to: call.to, from: call.from, direction: 'outbound-api' });
    const behaviour = this.scripts.get(call.to)?.shift() ?? { kind: 'answer' };
    res.on('finish', () => {
      const p = this.play(call, behaviour);
      this.playing.add(p);
      void p.finally(() => this.playing.delete(p));
    });
  }

  /** POSTs a signed webhook to the gateway, as Twilio would to `url`. */
  private async post(call: TwilioRecordedCall, url: string, extra: Record<string, string>): Promise<TwilioExchange> {
    const form = { AccountSid: call.accountSid, CallSid: call.sid, From: call.from, To: call.to, Direction: 'outbound-api', ApiVersion: '2010-04-01', ...extra };
    const target = new URL(url);
    const res = await fetch(new URL(target.pathname + target.search, this.gatewayUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilio(this.opts.authToken, url, form) },
      body: new URLSearchParams(form),
    });
    const ex: TwilioExchange = { url, form, status: res.status, body: await res.text() };
    this.exchanges.set(call.sid, [...(this.exchanges.get(call.sid) ?? []), ex]);
    return ex;
  }

  private async play(call: TwilioRecordedCall, b: TwilioBehaviour): Promise<void> {
    if (b.kind !== 'answer') {
      await this.post(call, call.statusCallback, { CallStatus: b.kind, CallDuration: '0', CallbackSource: 'call-progress-events', SequenceNumber: '0' });
      return;
    }
    let ex = await this.post(call, call.url, { CallStatus: 'in-progress' });
    const keys = [...(b.keys ?? [])];
    for (let i = 0; i < 50 && keys.length > 0 && ex.status === 200; i++) {
      const t = parseTwiml(ex.body);
      if (!t.gather?.action) break;
      const key = keys.shift();
      ex = key === null || key === undefined ? await this.post(call, t.redirect ?? t.gather.action, { CallStatus: 'in-progress' }) : await this.post(call, t.gather.action, { CallStatus: 'in-progress', Digits: key });
    }
    await this.post(call, call.statusCallback, { CallStatus: 'completed', CallDuration: String(b.durationSeconds ?? 30), CallbackSource: 'call-progress-events', SequenceNumber: '0' });
  }
}
