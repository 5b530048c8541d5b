import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import smpp from 'smpp';
import { installRawMessageCodec, type Pdu } from '../../channels/smpp/pdu';
import { loadConfig } from '../config';
import { silentLogger } from '../lib/logger';
import { encodeSms } from '../messaging/encoding';
import { buildGateway, type Gateway } from '../server';
import type { Bench, BenchResult } from './types';

installRawMessageCodec();

const SMSC_SCRIPT = fileURLToPath(new URL('./smpp-smsc.ts', import.meta.url));
export const WINDOW = 50;
const CHUNK = 200;
export const TEXT = 'Panda mahindi mvua ikianza. Tumia mbegu bora na mbolea ya DAP.';

export interface Smsc {
  port: number;
  /** Has the SMSC send `count` MOs; resolves with the ms they took to be acknowledged. */
  mo(count: number): Promise<number>;
  stop(): void;
}

/** Starts the benchmark SMSC in its own process. */
export function startSmsc(): Promise<Smsc> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), SMSC_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    let onMo: ((ms: number) => void) | null = null;
    child.once('error', reject);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const [word, value] = line.split(' ');
        if (word === 'PORT') {
          resolve({
            port: Number(value),
            mo: (count) =>
              new Promise((done) => {
                onMo = done;
                child.stdin!.write(`mo ${count}\n`);
              }),
            stop: () => child.stdin!.end('stop\n'),
          });
        } else if (word === 'MO_DONE') onMo?.(Number(value));
      }
    });
  });
}

/** The baseline: a bare `smpp` client keeping WINDOW submits in flight; messages per second. */
export function rawLoop(port: number, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = smpp.connect({ host: '127.0.0.1', port });
    session.on('error', reject);
    const body = encodeSms(TEXT).parts[0]!;
    session.on('connect', () => {
      session.socket.setNoDelay(true);
      session.send(new smpp.PDU('bind_transceiver', { system_id: 'raw', password: 'pw' }), () => {
        const t0 = performance.now();
        let sent = 0;
        let answered = 0;
        const pump = () => {
          while (sent < count && sent - answered < WINDOW) {
            sent++;
            const to = `2547${20_000_000 + sent}`;
            session.send(
              new smpp.PDU('submit_sm', { source_addr: '20123', destination_addr: to, data_coding: 0, registered_delivery: 1, short_message: body }),
              (resp: Pdu) => {
                if (resp.command_status !== 0) return reject(new Error(`raw submit answered ${resp.command_status}`));
                answered++;
                if (answered === count) {
                  const s = (performance.now() - t0) / 1000;
                  session.close();
                  resolve(count / s);
                } else pump();
              },
            );
          }
        };
        pump();
      });
    });
  });
}

/** The configuration of a gateway bound to the bench SMSC at `port`: one transceiver, TPS unlimited, a window of 50, no quiet hours. */
export function smscBinding(port: number) {
  return {
    smpp: { binds: [{ id: 'bench', host: '127.0.0.1', port, systemId: 'vasgw', password: 'pw', mode: 'transceiver' as const, tps: 0, window: WINDOW, sourceAddr: '20123' }] },
    messaging: { quietHours: null, dispatch: { pollMs: 50, batch: 500 } },
  };
}

/** The gateway on a fresh SQLite file (WAL), bound to the SMSC with TPS unlimited and a window of 50. */
async function startGateway(port: number, dir: string): Promise<Gateway> {
  const config = loadConfig({
    env: {},
    overrides: { logLevel: 'silent', database: { path: path.join(dir, 'bench.db') }, api: { token: 'bench-token-0123456789' }, ...smscBinding(port) },
  });
  const gw = await buildGateway({ config, log: silentLogger });
  await gw.start();
  await untilBound(gw);
  return gw;
}

/** Waits until the started gateway is ready (its bind to the bench SMSC is up); fails after 10 s. */
export async function untilBound(gw: Gateway): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!(await gw.core.readiness.evaluate()).ok) {
    if (performance.now() > deadline) throw new Error('the gateway did not bind to the bench SMSC');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The whole outbox path: enqueue (policies, durable row, usage event) -> dispatcher -> bind -> SMSC ->
 * submit_sm_resp recorded (status `sent`), timed from the first enqueue to the last recorded resp.
 */
async function outboxPath(gw: Gateway, count: number, offset: number): Promise<number> {
  let sent = 0;
  let finish: (() => void) | null = null;
  const done = new Promise<void>((r) => (finish = r));
  gw.core.messaging.onStatus((c) => {
    if (c.status === 'sent' && ++sent === count) finish?.();
  });
  const t0 = performance.now();
  // Like a campaign: chunks of messages per transaction, yielding between chunks so sending overlaps.
  for (let i = 0; i < count; i += CHUNK) {
    const n = Math.min(CHUNK, count - i);
    await gw.core.messaging.enqueueMany(
      Array.from({ length: n }, (_, k) => ({ to: `+2547${30_000_000 + offset + i + k}`, text: TEXT, kind: 'promotional' as const, source: 'bench' })),
    );
    await new Promise((r) => setImmediate(r));
  }
  await done;
  return count / ((performance.now() - t0) / 1000);
}

export const smppBench: Bench = {
  name: 'smpp',
  description: 'messages/s through the outbox to a local SMSC vs a raw smpp client loop (window 50, TPS unlimited); MO processed/s',
  async run(ctx) {
    const count = ctx.quick ? 2000 : 20_000;
    const moCount = ctx.quick ? 1000 : 5000;
    // Rounds alternate the baseline and the gateway, and the best of each is compared: on a shared
    // machine a single run of either can land in someone else's busy moment.
    const rounds = ctx.quick ? 1 : 3;
    const smsc = await startSmsc();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-bench-smpp-'));
    try {
      const gw = await startGateway(smsc.port, dir);
      try {
        ctx.progress('warm-up');
        await rawLoop(smsc.port, Math.min(2000, count));
        await outboxPath(gw, Math.min(1000, count), 0);
        const raw: number[] = [];
        const outbox: number[] = [];
        const mo: number[] = [];
        for (let r = 0; r < rounds; r++) {
          ctx.progress(`round ${r + 1}/${rounds}: raw smpp client loop, gateway outbox path, MO routing`);
          raw.push(await rawLoop(smsc.port, count));
          outbox.push(await outboxPath(gw, count, (r + 1) * 1_000_000));
          const moMs = await smsc.mo(moCount);
          if (moMs < 0) throw new Error('the gateway had no receiving bind for MO');
          mo.push(moCount / (moMs / 1000));
        }
        const best = (xs: number[]) => Math.max(...xs);
        const samples = (xs: number[]) => xs.map((x) => Math.round(x));
        const results: BenchResult[] = [
          {
            name: 'smpp.outbox_messages_per_second',
            value: best(outbox),
            unit: 'msg/s',
            baseline: { name: 'raw smpp client loop', value: best(raw) },
            ratio: best(outbox) / best(raw),
            target: 'ratio >= 0.3',
            extra: { messages: count, window: WINDOW, rounds, samples: samples(outbox), baselineSamples: samples(raw) },
          },
          { name: 'smpp.raw_client_messages_per_second', value: best(raw), unit: 'msg/s', extra: { messages: count, window: WINDOW, samples: samples(raw) } },
          { name: 'smpp.mo_processed_per_second', value: best(mo), unit: 'msg/s', extra: { messages: moCount, route: 'keyword MAIZE -> reply queued', samples: samples(mo) } },
        ];
        return results;
      } finally {
        await gw.stop();
      }
    } finally {
      smsc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
