import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Africa's Talking SMS API on 127.0.0.1, port 0. It records every `POST /version1/messaging`
 * (header apiKey, form username, to, message, from) and answers like the real API: HTTP 201 with
 * `SMSMessageData.Recipients[]` carrying statusCode 101 ("Success") and a messageId, or the refusal the
 * test asked for. A wrong API key gets 401 with a text body, as AT answers.
 */

export interface AtSend {
  apiKey: string | undefined;
  username: string;
  to: string;
  message: string;
  from: string | undefined;
  /** The messageId the fake answered with (null when it refused). */
  messageId: string | null;
}

export interface FakeAtSmsOptions {
  /** The API key the fake accepts (401 otherwise). */
  apiKey?: string;
  /** A refusal for a send: an HTTP error status, or a recipient statusCode/status other than 101. */
  refuse?: (to: string, nth: number) => { http: number } | { statusCode: number; status: string } | null;
}

export class FakeAfricasTalkingSms {
  readonly sends: AtSend[] = [];
  /** Requests to any other path (a test fails on them). */
  readonly unexpected: string[] = [];
  private server: Server | null = null;
  private n = 0;

  constructor(private readonly opts: FakeAtSmsOptions = {}) {}

  /** Listens on loopback; `url` is then the base URL to configure. */
  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    if (req.method !== 'POST' || req.url !== '/version1/messaging') {
      this.unexpected.push(`${req.method} ${req.url}`);
      res.writeHead(404).end('Not found');
      return;
    }
    const apiKey = req.headers.apikey as string | undefined;
    if (this.opts.apiKey && apiKey !== this.opts.apiKey) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('The supplied authentication is invalid');
      return;
    }
    const form = Object.fromEntries(new URLSearchParams(raw));
    const nth = ++this.n;
    const refusal = this.opts.refuse?.(form.to ?? '', nth) ?? null;
    const send: AtSend = { apiKey, username: form.username ?? '', to: form.to ?? '', message: form.message ?? '', from: form.from, messageId: null };
    this.sends.push(send);
    if (refusal && 'http' in refusal) {
      res.writeHead(refusal.http, { 'content-type': 'text/plain' }).end('refused');
      return;
    }
    const recipient = refusal
      ? { statusCode: refusal.statusCode, number: send.to, status: refusal.status, cost: '0', messageId: 'None' }
      : { statusCode: 101, number: send.to, status: 'Success', cost: 'KES 0.8000', messageId: (send.messageId = `ATXid_fake${nth}`) };
    res.writeHead(201, { 'content-type': 'application/json' }).end(
      JSON.stringify({ SMSMessageData: { Message: `Sent to ${refusal ? 0 : 1}/1 Total Cost: KES 0.8000`, Recipients: [recipient] } }),
    );
  }
}
