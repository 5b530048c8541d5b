import { workerData, type MessagePort } from 'node:worker_threads';
import type { Db } from '../db/client';
import { closeDb, openReadOnlyDb } from '../db/handle';
import { sqliteDatabase } from '../db/sqlite-database';
import { batchBuffers, EventDecoder } from './event-decoder';
import { AHEAD, PAGE, type ReaderJob } from './ingest-reader';

// Reads the log on its own read-only connection (WAL: never in the writer's way) and hands each decoded
// page to the consumer; at most AHEAD pages wait unconsumed, so memory stays flat however long the log.
const job = workerData as ReaderJob & { port: MessagePort };
const signal = new Int32Array(job.signal);
const port = job.port;
const send = (msg: unknown, transfer: ArrayBuffer[] = []) => {
  port.postMessage(msg, transfer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
};
let db: Db | null = null;
try {
  // A sequential scan gains nothing from a large cache; the memory is the pass's.
  db = openReadOnlyDb(job.dbPath, 8192);
  const decoder = new EventDecoder(sqliteDatabase(db), job.open);
  let produced = 0;
  for (let from = job.from; from < job.to; ) {
    const to = Math.min(job.to, from + PAGE);
    // A SQLite read settles at once: the worker still reads synchronously, page after page.
    const batch = await decoder.read(from, to, job.now);
    send({ batch }, batchBuffers(batch));
    produced++;
    if (batch.stopped) break;
    from = to;
    for (let guard = 0; produced - Atomics.load(signal, 1) >= AHEAD && guard < 600; guard++) Atomics.wait(signal, 1, Atomics.load(signal, 1), 100);
  }
  send({ done: true, open: decoder.openSessions() });
} catch (err) {
  send({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
} finally {
  if (db) closeDb(db);
  port.close();
}
