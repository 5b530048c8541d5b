import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';

/**
 * A fake Africa's Talking voice API on 127.0.0.1, port 0. It records every `POST /call` (header apiKey,
 * form username, from, to, clientRequestId), answers like the real API (`entries[].status = Queued`
 * with a sessionId), and then plays that call's callbacks into the gateway the way Africa's Talking
 * would: an answered call presses the scripted keys one GetDigits at a time and hangs up with a final
 * request carrying duration and cost; an unanswered or busy call gets only the final request.
 *
 * Callbacks go to the gateway given to `start()`; callback URLs in the gateway's XML are followed by path
 * and query (the gateway's `publicBaseUrl` cannot know a port chosen at run time).
 */

/** What the fake does with a call it accepted. */
export type Behaviour =
  /** Picks up and presses these keys, one per prompt (null: presses nothing), then hangs up. */
  | { kind: 'answer'; keys?: (string | null)[]; durationSeconds?: number }
  | { kind: 'no_answer' }
  | { kind: 'busy' }
  /** Keeps the call ringing until the test calls `play(call, behaviour)`. */
  | { kind: 'hold' };

export interface RecordedCall {
  apiKey: string | undefined;
  username: string;
  from: string;
  to: string;
  clientRequestId: string;
  /** The sessionId the fake gave this call (the callbacks carry it). */
  sessionId: string;
}

/** One callback the fake posted and what the gateway answered. */
export interface Exchange {
  form: Record<string, string>;
  status: number;
  body: string;
}

/** How the fake refuses a dial: an HTTP error status, an entry status other than Queued, or not at all (null). */
type Refusal = { http: number } | { entryStatus: string } | null;

export interface FakeVoiceOptions {
  /** Gateway base URL the callbacks go to, e.g. http://127.0.0.1:PORT (settable later: `fake.gatewayUrl`). */
  gatewayUrl?: string;
  /** Appended as ?secret= to callbacks when set (the gateway's callbacks.secret). */
  secret?: string;
  /** The API key the fake accepts (401 otherwise). */
  apiKey?: string;
  /** What to do with each accepted call (default: answer and hang up). */
  behaviour?: (call: RecordedCall, nth: number) => Behaviour;
  /** The sessionId to give the nth call (default ATVId_fake_N). */
  sessionId?: (nth: number) => string;
  /** A refusal for a dial request: an HTTP error status, or an entry status other than Queued (awaited before the answer). */
  refuse?: (to: string) => Refusal | Promise<Refusal>;
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => name === 'Say' || name === 'Play' });

interface ParsedResponse {
  Response?: {
    GetDigits?: { '@callbackUrl'?: string; '@numDigits'?: string; '@timeout'?: string; '@finishOnKey'?: string };
    Redirect?: string;
    Reject?: unknown;
  };
}

export class FakeVoiceProvider {
  readonly calls: RecordedCall[] = [];
  /** Every callback exchange, per call sessionId. */
  readonly exchanges = new Map<string, Exchange[]>();
  private readonly playing = new Set<Promise<void>>();
  private readonly scripts = new Map<string, Behaviour[]>();
  private seq = 0;
  /** Where callbacks go; set it once the gateway listens. */
  gatewayUrl: string;

  private constructor(
    private readonly server: Server,
    private readonly opts: FakeVoiceOptions,
    readonly baseUrl: string,
  ) {
    this.gatewayUrl = opts.gatewayUrl ?? '';
  }

  /** Starts the fake on 127.0.0.1, port 0. */
  static async start(opts: FakeVoiceOptions): Promise<FakeVoiceProvider> {
    let self: FakeVoiceProvider | null = null;
    const server = createServer((req, res) => void self?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    self = new FakeVoiceProvider(server, opts, `http://127.0.0.1:${port}`);
    return self;
  }

  /** Behaviours for the next calls to `to`, used in order before the default behaviour. */
  script(to: string, behaviours: Behaviour[]): void {
    this.scripts.set(to, [...(this.scripts.get(to) ?? []), ...behaviours]);
  }

  /** Calls recorded to a number. */
  callsTo(to: string): RecordedCall[] {
    return this.calls.filter((c) => c.to === to);
  }

  /** Plays a behaviour for a call (used for calls left on `hold`). */
  play(call: RecordedCall, behaviour: Behaviour): Promise<void> {
    const p = this.run(call, behaviour);
    this.playing.add(p);
    void p.finally(() => this.playing.delete(p));
    return p;
  }

  /** Waits for every callback sequence in progress. */
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
    if (req.method !== 'POST' || req.url !== '/call') return send(404, { errorMessage: 'Not found' });
    const apiKey = req.headers.apikey as string | undefined;
    if (this.opts.apiKey && apiKey !== this.opts.apiKey) return send(401, { errorMessage: 'The supplied authentication is invalid' });
    if (!form.username || !form.from || !form.to) return send(400, { entries: [], errorMessage: 'Missing username, from or to' });
    const refusal = await this.opts.refuse?.(form.to);
    if (refusal && 'http' in refusal) return send(refusal.http, { errorMessage: 'Service unavailable' });
    if (refusal) return send(200, { entries: [{ phoneNumber: form.to, status: refusal.entryStatus }], errorMessage: 'None' });
    const nth = ++this.seq;
    const call: RecordedCall = {
      apiKey,
      username: form.username,
      from: form.from,
      to: form.to,
      clientRequestId: form.clientRequestId ?? '',
      sessionId: this.opts.sessionId?.(nth) ?? `ATVId_fake_${nth}`,
    };
    this.calls.push(call);
    send(200, { entries: [{ phoneNumber: call.to, status: 'Queued', sessionId: call.sessionId }], errorMessage: 'None' });
    const scripted = this.scripts.get(call.to)?.shift();
    const behaviour = scripted ?? this.opts.behaviour?.(call, this.calls.length) ?? { kind: 'answer' };
    // Callbacks start once the reply is on its way, as the real call only rings after the API answered.
    if (behaviour.kind !== 'hold') res.on('finish', () => void this.play(call, behaviour));
  }

  private base(call: RecordedCall, extra: Record<string, string>): Record<string, string> {
    return {
      sessionId: call.sessionId,
      direction: 'Outbound',
      callerNumber: call.from,
      destinationNumber: call.to,
      ...extra,
    };
  }

  private async post(call: RecordedCall, url: string | null, form: Record<string, string>): Promise<Exchange> {
    if (!this.gatewayUrl) throw new Error('FakeVoiceProvider: set gatewayUrl before calls are placed');
    const target = new URL(url ?? '/ivr/africastalking', this.gatewayUrl);
    const dest = new URL(target.pathname + target.search, this.gatewayUrl);
    if (this.opts.secret && !dest.searchParams.has('secret')) dest.searchParams.set('secret', this.opts.secret);
    const res = await fetch(dest, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
    const ex: Exchange = { form, status: res.status, body: await res.text() };
    const list = this.exchanges.get(call.sessionId) ?? [];
    list.push(ex);
    this.exchanges.set(call.sessionId, list);
    return ex;
  }

  private async run(call: RecordedCall, b: Behaviour): Promise<void> {
    if (b.kind === 'hold') return;
    if (b.kind === 'no_answer' || b.kind === 'busy') {
      await this.post(call, null, this.base(call, {
        isActive: '0',
        durationInSeconds: '0',
        currencyCode: 'KES',
        amount: '0',
        callSessionState: b.kind === 'busy' ? 'Failed' : 'NotAnswered',
        hangupCause: b.kind === 'busy' ? 'USER_BUSY' : 'NO_ANSWER',
      }));
      return;
    }
    let ex = await this.post(call, null, this.base(call, { isActive: '1' }));
    const keys = [...(b.keys ?? [])];
    // Bounded: one callback per scripted key, plus the no-input redirects the script asks for.
    for (let i = 0; i < 50; i++) {
      const parsed = xml.parse(ex.body) as ParsedResponse;
      const gd = parsed.Response?.GetDigits;
      if (ex.status !== 200 || !gd || keys.length === 0) break;
      const key = keys.shift();
      if (key === null || key === undefined) ex = await this.post(call, parsed.Response?.Redirect ?? null, this.base(call, { isActive: '1' }));
      else ex = await this.post(call, gd['@callbackUrl'] ?? null, this.base(call, { isActive: '1', dtmfDigits: key }));
    }
    const duration = b.durationSeconds ?? 30;
    await this.post(call, null, this.base(call, {
      isActive: '0',
      durationInSeconds: String(duration),
      currencyCode: 'KES',
      amount: (duration * 0.05).toFixed(2),
      callSessionState: 'Completed',
      hangupCause: 'NORMAL_CLEARING',
    }));
  }
}
