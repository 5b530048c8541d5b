import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Db } from '../db/client';
import type { Database } from '../db/database';
import { dbFile } from '../db/handle';
import { EventDecoder, type EventBatch } from './event-decoder';

/** Ids per page. Small pages keep each batch young for the garbage collector and the pipeline full. */
export const PAGE = 8192;
/**
 * Pages the worker may decode ahead of the consumer (~0.4 MB each). Enough that it keeps decoding while
 * the pass thread loads every subscriber at the start of a large pass, instead of stopping after a few.
 */
export const AHEAD = 32;
/** Below this many events a worker costs more to start than it saves. */
export const PARALLEL_MIN = 200_000;

export interface ReaderJob {
  dbPath: string;
  from: number;
  to: number;
  now: number;
  open: [string, number][];
  /** [batches produced, batches consumed]. */
  signal: SharedArrayBuffer;
}

/** Where batches come from: a worker thread for a large pass on a SQLite file, this thread otherwise. */
export interface BatchSource {
  /** The next batch, or null when the log is read; `open` then holds the sessions still open. */
  next(): Promise<EventBatch | null>;
  open(): [string, number][];
  close(): void;
}

/** A source reading pages in this thread (either engine), between the consumer's batches: one await per page. */
class LocalSource implements BatchSource {
  private readonly decoder: EventDecoder;
  private from: number;
  private done = false;

  constructor(database: Database, private readonly job: Omit<ReaderJob, 'signal' | 'dbPath'>) {
    this.decoder = new EventDecoder(database, job.open);
    this.from = job.from;
  }

  async next(): Promise<EventBatch | null> {
    if (this.done || this.from >= this.job.to) return null;
    const to = Math.min(this.job.to, this.from + PAGE);
    const b = await this.decoder.read(this.from, to, this.job.now);
    this.from = to;
    if (b.stopped) this.done = true;
    return b;
  }

  open(): [string, number][] {
    return this.decoder.openSessions();
  }

  close(): void {}
}

/**
 * A source fed by a worker thread on SQLite. The consumer takes messages straight off the port and waits
 * on a shared counter when none is there yet: the pass thread has nothing else to do meanwhile, and a
 * settled promise per page keeps it as fast as the synchronous read it replaced.
 */
class WorkerSource implements BatchSource {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal: Int32Array;
  private received = 0;
  private opened: [string, number][] = [];
  private finished = false;

  constructor(job: Omit<ReaderJob, 'signal'>) {
    const shared = new SharedArrayBuffer(8);
    this.signal = new Int32Array(shared);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./read-worker.mjs', import.meta.url), { workerData: { ...job, signal: shared, port: port2 }, transferList: [port2] });
    this.worker.unref();
  }

  async next(): Promise<EventBatch | null> {
    if (this.finished) return null;
    let msg = receiveMessageOnPort(this.port);
    // Waits for the worker without a busy loop; ten minutes without a page means it is gone.
    for (let waited = 0; !msg; waited += 100) {
      if (waited > 600_000) throw new Error('the usage-log reader stopped answering');
      Atomics.wait(this.signal, 0, this.received, 100);
      msg = receiveMessageOnPort(this.port);
    }
    this.received++;
    const m = msg.message as { batch?: EventBatch; done?: boolean; open?: [string, number][]; error?: string };
    Atomics.add(this.signal, 1, 1);
    Atomics.notify(this.signal, 1);
    if (m.error) throw new Error(`usage-log reader failed: ${m.error}`);
    if (m.done) {
      this.finished = true;
      this.opened = m.open ?? [];
      return null;
    }
    return m.batch!;
  }

  open(): [string, number][] {
    return this.opened;
  }

  close(): void {
    // Nothing waits on the exit: the reader is done with the worker, and terminate() does not reject.
    void this.worker.terminate();
    this.port.close();
  }
}

/**
 * The source for reading (from, to]: a worker when the database is a SQLite file (`db`, the fast path on
 * SQLite) and the range is large; otherwise pages read through `database` in this thread.
 */
export function batchSource(database: Database, db: Db | undefined, job: Omit<ReaderJob, 'signal' | 'dbPath'>, opts: { parallel: boolean; minEvents?: number }): BatchSource {
  const file = db ? dbFile(db) : null;
  if (opts.parallel && file !== null && job.to - job.from >= (opts.minEvents ?? PARALLEL_MIN)) return new WorkerSource({ ...job, dbPath: file });
  return new LocalSource(database, job);
}
