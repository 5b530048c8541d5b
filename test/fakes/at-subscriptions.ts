import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake received. */
export interface AtRequest {
  path: string;
  headers: IncomingHttpHeaders;
  form: Record<string, string>;
}

/** What the fake answers: an HTTP status and a JSON body. */
export interface AtAnswer {
  status: number;
  body: unknown;
}

/**
 * A fake of Africa's Talking's premium subscription API on 127.0.0.1 (port 0): checkout tokens,
 * subscription create and delete, answering like the real one unless a test queues other answers.
 */
export class FakeAtSubscriptions {
  readonly requests: AtRequest[] = [];
  /** Answers used before the default ones, first in first out, per path. */
  readonly queued = new Map<string, AtAnswer[]>();
  private server: Server | null = null;
  private tokens = 0;

  /** Starts listening; returns the base URL. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (data += c));
      req.on('end', () => {
        const path = (req.url ?? '').split('?')[0]!;
        const form = Object.fromEntries(new URLSearchParams(data));
        this.requests.push({ path, headers: req.headers, form });
        const answer = this.queued.get(path)?.shift() ?? this.defaultAnswer(path, req.headers, form);
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Queues an answer for the next request to `path`. */
  answerNext(path: string, answer: AtAnswer): void {
    const list = this.queued.get(path) ?? [];
    list.push(answer);
    this.queued.set(path, list);
  }

  private defaultAnswer(path: string, headers: IncomingHttpHeaders, form: Record<string, string>): AtAnswer {
    if (path === '/checkout/token/create') {
      if (!form.phoneNumber) return { status: 400, body: { description: 'Failed' } };
      return { status: 201, body: { description: 'Success', token: `CkTkn_${++this.tokens}` } };
    }
    if (path === '/version1/subscription/create' || path === '/version1/subscription/delete') {
      if (headers.apikey !== 'test-at-key') return { status: 401, body: { status: 'Failed', description: 'invalid apiKey' } };
      const create = path.endsWith('create');
      if (!form.username || !form.shortCode || !form.keyword || !form.phoneNumber || (create && !form.checkoutToken)) {
        return { status: 400, body: { status: 'Failed', description: 'missing parameters' } };
      }
      return { status: 201, body: { status: 'Success', description: create ? 'Waiting for user input' : 'Succeeded' } };
    }
    return { status: 404, body: { description: 'not found' } };
  }

  async stop(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }
}
