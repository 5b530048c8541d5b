import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { systemClock, type Clock } from '../lib/clock';

/** What a caller does at a prompt: press keys, press nothing (the prompt times out), or hang up. */
export type CallerAction = { press: string } | 'nothing' | 'hangup';

/** What the voice simulator is started with (CLI: `vasgw voice-sim`). */
export interface VoiceSimOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The gateway the callbacks go to, e.g. http://127.0.0.1:3000. */
  gatewayUrl: string;
  /** The API key dial requests must carry (any non-empty key when null). */
  apiKey: string | null;
  /** Share of outbound calls (0..1) the callee picks up. */
  answerShare: number;
  /** Keys pressed, one per prompt, on every call; when they run out `ask` decides (or the caller hangs up). */
  keys: string[];
  /** Asks a person at the terminal what to do at a prompt (interactive use). */
  ask?: (heard: string) => Promise<CallerAction>;
  /** The gateway's callbacks.secret, sent as ?secret= when set. */
  secret?: string | null;
  out: (line: string) => void;
  random?: () => number;
  clock?: Clock;
}

/** One dial request the simulator took. */
export interface SimCall {
  sessionId: string;
  from: string;
  to: string;
  clientRequestId: string;
  direction: 'Outbound' | 'Inbound';
  answered: boolean;
  /** What the caller heard, prompt by prompt. */
  heard: string[];
  /** Keys pressed, in order. */
  pressed: string[];
  /** HTTP status of every callback the gateway answered. */
  statuses: number[];
  ended: boolean;
}

interface Said {
  '#text'?: string;
}

interface VoiceXml {
  Response?: {
    Say?: Array<string | Said>;
    Play?: Array<{ '@url'?: string }>;
    GetDigits?: { '@callbackUrl'?: string; Say?: Array<string | Said>; Play?: Array<{ '@url'?: string }> };
    Redirect?: string;
    Reject?: unknown;
  } | '';
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => name === 'Say' || name === 'Play' });

function spoken(node: { Say?: Array<string | Said>; Play?: Array<{ '@url'?: string }> } | undefined): string[] {
  const out: string[] = [];
  for (const s of node?.Say ?? []) out.push(typeof s === 'string' ? s : (s['#text'] ?? ''));
  for (const p of node?.Play ?? []) out.push(`(audio ${p['@url'] ?? ''})`);
  return out;
}

/**
 * Africa's Talking voice as a local server: `POST /call` (header apiKey; form username, from, to,
 * clientRequestId) answered as AT does (`entries[].status = Queued` with a sessionId); then, as the
 * network would, the call's callbacks into the gateway's `/ivr/africastalking`: picked up or not (by
 * share), keys pressed at each GetDigits, and the final `isActive=0` request with duration and cost.
 */
export class VoiceSimulator {
  readonly calls: SimCall[] = [];
  private readonly running = new Set<Promise<void>>();
  private server: Server | null = null;
  private seq = 0;
  private readonly random: () => number;
  private readonly clock: Clock;
  port = 0;
  /** Where callbacks go (settable once the gateway listens). */
  gatewayUrl: string;

  constructor(private readonly opts: VoiceSimOptions) {
    this.gatewayUrl = opts.gatewayUrl;
    this.random = opts.random ?? Math.random;
    this.clock = opts.clock ?? systemClock;
  }

  /** Listens; resolves with the port. */
  async start(): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  /** Waits for calls in progress, then closes the listener. */
  async stop(): Promise<void> {
    await this.settle();
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Waits until every call in progress has ended. */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Places an inbound call from `from` to the gateway's number `to` and walks it to the end. */
  async callIn(from: string, to: string): Promise<SimCall> {
    const call = this.newCall({ from, to, clientRequestId: '', direction: 'Inbound' });
    call.answered = true;
    this.opts.out(`call ${call.sessionId}: ${from} calls ${to}`);
    await this.track(this.walk(call));
    return call;
  }

  private newCall(c: Pick<SimCall, 'from' | 'to' | 'clientRequestId' | 'direction'>): SimCall {
    const call: SimCall = { ...c, sessionId: `ATVId_sim_${++this.seq}`, answered: false, heard: [], pressed: [], statuses: [], ended: false };
    this.calls.push(call);
    return call;
  }

  private track(p: Promise<void>): Promise<void> {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== '/call') return send(404, { errorMessage: 'Not found' });
    const apiKey = req.headers.apikey;
    if (typeof apiKey !== 'string' || !apiKey || (this.opts.apiKey !== null && apiKey !== this.opts.apiKey)) {
      this.opts.out('dial request refused: wrong or missing apiKey header');
      return send(401, { errorMessage: 'The supplied authentication is invalid' });
    }
    if (!form.username || !form.from || !form.to) return send(400, { entries: [], errorMessage: 'Missing username, from or to' });
    if (!/^\+?\d{6,15}$/.test(form.to)) return send(200, { entries: [{ phoneNumber: form.to, status: 'InvalidPhoneNumber' }], errorMessage: 'None' });
    const call = this.newCall({ from: form.from, to: form.to, clientRequestId: form.clientRequestId ?? '', direction: 'Outbound' });
    call.answered = this.random() < this.opts.answerShare;
    this.opts.out(`call ${call.sessionId}: gateway dials ${call.to} from ${call.from} (request ${call.clientRequestId || '-'})`);
    send(200, { entries: [{ phoneNumber: call.to, status: 'Queued', sessionId: call.sessionId }], errorMessage: 'None' });
    // The phone only rings once the API has answered, as with the real provider.
    res.on('finish', () => void this.track(this.walk(call)));
  }

  private async post(call: SimCall, url: string | null, extra: Record<string, string>): Promise<{ status: number; body: string }> {
    // Callback URLs are followed by path and query: the gateway's publicBaseUrl may name another host.
    const target = new URL(url ?? '/ivr/africastalking', this.gatewayUrl);
    const dest = new URL(target.pathname + target.search, this.gatewayUrl);
    if (this.opts.secret && !dest.searchParams.has('secret')) dest.searchParams.set('secret', this.opts.secret);
    const form = { sessionId: call.sessionId, direction: call.direction, callerNumber: call.from, destinationNumber: call.to, ...extra };
    if (call.clientRequestId) Object.assign(form, { clientRequestId: call.clientRequestId });
    try {
      const res = await fetch(dest, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
      const body = await res.text();
      call.statuses.push(res.status);
      if (res.status !== 200) this.opts.out(`call ${call.sessionId}: gateway answered HTTP ${res.status}: ${body.slice(0, 200)}`);
      return { status: res.status, body };
    } catch (e) {
      this.opts.out(`call ${call.sessionId}: gateway not reachable at ${this.gatewayUrl}: ${(e as Error).message}`);
      call.statuses.push(0);
      return { status: 0, body: '' };
    }
  }

  private async walk(call: SimCall): Promise<void> {
    const started = this.clock.now();
    if (!call.answered) {
      this.opts.out(`call ${call.sessionId}: ${call.to} does not answer`);
      await this.post(call, null, { isActive: '0', durationInSeconds: '0', currencyCode: 'KES', amount: '0', callSessionState: 'NotAnswered', hangupCause: 'NO_ANSWER' });
      call.ended = true;
      return;
    }
    if (call.direction === 'Outbound') this.opts.out(`call ${call.sessionId}: ${call.to} picks up`);
    const keys = [...this.opts.keys];
    let ex = await this.post(call, null, { isActive: '1' });
    // Bounded so a menu that loops forever cannot keep the simulator busy.
    for (let turn = 0; turn < 100 && ex.status === 200; turn++) {
      let parsed: VoiceXml;
      try {
        parsed = xml.parse(ex.body) as VoiceXml;
      } catch {
        this.opts.out(`call ${call.sessionId}: reply is not XML: ${ex.body.slice(0, 100)}`);
        break;
      }
      const r = parsed.Response || {};
      if (r.Reject !== undefined) {
        this.opts.out(`call ${call.sessionId}: the gateway rejected the call`);
        break;
      }
      const heard = [...spoken(r), ...spoken(r.GetDigits)].join(' ');
      if (heard) {
        call.heard.push(heard);
        this.opts.out(`call ${call.sessionId}: caller hears: ${heard}`);
      }
      if (!r.GetDigits) break;
      const next = keys.shift();
      const action: CallerAction = next !== undefined ? (next === '' ? 'nothing' : { press: next }) : this.opts.ask ? await this.opts.ask(heard) : 'hangup';
      if (action === 'hangup') break;
      if (action === 'nothing') {
        this.opts.out(`call ${call.sessionId}: caller presses nothing`);
        ex = await this.post(call, r.Redirect ?? null, { isActive: '1' });
        continue;
      }
      call.pressed.push(action.press);
      this.opts.out(`call ${call.sessionId}: caller presses ${action.press}`);
      ex = await this.post(call, r.GetDigits['@callbackUrl'] ?? null, { isActive: '1', dtmfDigits: action.press });
    }
    const seconds = Math.max(1, Math.ceil((this.clock.now() - started) / 1000));
    await this.post(call, null, {
      isActive: '0',
      durationInSeconds: String(seconds),
      currencyCode: 'KES',
      amount: (seconds * 0.05).toFixed(2),
      callSessionState: 'Completed',
      hangupCause: 'NORMAL_CLEARING',
    });
    call.ended = true;
    this.opts.out(`call ${call.sessionId}: hung up after ${seconds} s`);
  }
}
