import { beforeAll, expect, it } from 'vitest';
import { ImportJobRepo } from '../../src/campaigns/import-job-repo';
import { importJobs, importRejections } from '../../src/db/schema';
import { eachBackend } from '../helpers/backends';

// An import job's record on both engines, written in units of work as the job runs: created, checked,
// batches with their counts and rejected lines (kept up to a limit, then marked truncated), ended once;
// a job declared interrupted stays so; a batch that fails leaves the counts as they were.
const T = Date.parse('2026-11-02T09:00:00Z');
const counts = (rowsDone: number, rejected: number) => ({ rowsDone, lineDone: rowsDone + 1, bytesDone: 0, created: rowsDone - rejected, updated: 0, rejected });

eachBackend((get) => {
  let repo: ImportJobRepo;
  beforeAll(async () => {
    repo = new ImportJobRepo(get().database);
  });

  it('records a job from its start to its end', async () => {
    const b = get();
    await b.units.unit((tx) => repo.create({ id: 'imp-1', source: 'api', fileName: 'farmers.csv', bytesTotal: 1234, spoolPath: '/tmp/x.csv', startedAt: T }, tx));
    expect(await repo.find('imp-1')).toMatchObject({ status: 'running', phase: 'checking', rowsDone: 0, lineDone: 1, rejectionsTruncated: false, heartbeatAt: T, spoolPath: '/tmp/x.csv' });
    await b.units.unit((tx) => repo.heartbeat('imp-1', T + 1, tx));
    await b.units.unit((tx) => repo.checked('imp-1', 5, T + 2, tx));
    expect(await repo.find('imp-1')).toMatchObject({ phase: 'importing', rowsTotal: 5, heartbeatAt: T + 2 });
    // Batch 1: three lines, two rejected; only 3 rejected lines are kept.
    await b.units.unit((tx) => repo.progress('imp-1', counts(3, 2), [{ line: 2, msisdn: '12', reason: 'not a phone number' }, { line: 4, reason: 'msisdn is empty' }], 3, T + 3, tx));
    // Batch 2: two lines, both rejected: one more fits, the other is only counted.
    await b.units.unit((tx) => repo.progress('imp-1', counts(5, 4), [{ line: 5, reason: 'bad region' }, { line: 6, reason: 'bad crop' }], 3, T + 4, tx));
    expect(await repo.find('imp-1')).toMatchObject({ rowsDone: 5, lineDone: 6, created: 1, rejected: 4, rejectionsTruncated: true, heartbeatAt: T + 4 });
    expect(await repo.rejections('imp-1', 10)).toEqual([
      { line: 2, msisdn: '12', reason: 'not a phone number' },
      { line: 4, reason: 'msisdn is empty' },
      { line: 5, reason: 'bad region' },
    ]);
    expect((await repo.running()).map((j) => j.id)).toEqual(['imp-1']);
    expect(await b.units.unit((tx) => repo.finish('imp-1', 'done', T + 5, tx))).toBe(true);
    expect(await repo.find('imp-1')).toMatchObject({ status: 'done', finishedAt: T + 5, spoolPath: null, errorCode: null });
    // Ended once: a second end changes nothing.
    expect(await b.units.unit((tx) => repo.finish('imp-1', 'failed', T + 6, tx, { code: 'INTERRUPTED', message: 'late' }))).toBe(false);
    expect(await repo.find('imp-1')).toMatchObject({ status: 'done', finishedAt: T + 5, errorCode: null });
    expect(await repo.running()).toEqual([]);
  });

  it('a failed job keeps its error; the newest jobs come first', async () => {
    const b = get();
    await b.units.unit((tx) => repo.create({ id: 'imp-2', source: 'cli', fileName: null, bytesTotal: 10, spoolPath: null, startedAt: T + 10 }, tx));
    expect(await b.units.unit((tx) => repo.finish('imp-2', 'failed', T + 11, tx, { code: 'INTERRUPTED', message: 'Interrupted after line 1' }))).toBe(true);
    expect(await repo.find('imp-2')).toMatchObject({ status: 'failed', errorCode: 'INTERRUPTED', errorMessage: 'Interrupted after line 1', rejectionsTruncated: false });
    expect((await repo.recent(5)).map((j) => j.id)).toEqual(['imp-2', 'imp-1']);
  });

  it('a batch whose unit fails leaves the counts and rejected lines as they were', async () => {
    const b = get();
    await b.units.unit((tx) => repo.create({ id: 'imp-3', source: 'api', fileName: 'x.csv', bytesTotal: 10, spoolPath: null, startedAt: T + 20 }, tx));
    await expect(
      b.units.unit(async (tx) => {
        await repo.progress('imp-3', counts(2, 1), [{ line: 3, reason: 'bad' }], 10, T + 21, tx);
        throw new Error('a subscriber write failed');
      }),
    ).rejects.toThrow('a subscriber write failed');
    expect(await repo.find('imp-3')).toMatchObject({ rowsDone: 0, rejected: 0, heartbeatAt: T + 20 });
    expect(await repo.rejections('imp-3', 10)).toEqual([]);
    await b.clear(importRejections, importJobs);
  });
});
