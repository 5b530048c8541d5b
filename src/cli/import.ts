import { loadConfig } from '../config';
import { ImportJobs, type ImportJobView } from '../campaigns/import-jobs';
import { maskDatabaseUrl } from '../db/postgres/url';
import { createLogger } from '../lib/logger';
import { buildGateway } from '../server';

type Out = (line: string) => void;

const counts = (v: ImportJobView) => `created ${v.created}, updated ${v.updated}, rejected ${v.rejected}`;

/**
 * `vasgw import FILE [--config FILE]`: the same import as POST /api/v1/subscribers/import, recorded as
 * a job (GET /api/v1/subscribers/import/:id shows it too). Prints progress at every tenth of the file
 * and the final counts; exits 1 with a sentence when the file cannot be imported as a whole.
 */
export async function runImport(file: string, configFile: string | undefined, out: Out, err: Out): Promise<number> {
  let input;
  try {
    input = ImportJobs.fileOf(file);
  } catch (e) {
    err(`vasgw import: cannot read ${file}: ${(e as Error).message}`);
    return 1;
  }
  const config = loadConfig({ file: configFile });
  // The command prints its own progress; the gateway's info lines would only interleave with it.
  const gw = await buildGateway({ config, log: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel) });
  try {
    const into = gw.core.storage.dialect === 'sqlite' ? config.database.path : maskDatabaseUrl(config.database.url ?? '');
    out(`importing ${file} (${(input.bytes / 2 ** 20).toFixed(1)} MiB) into ${into}`);
    let nextTenth = 1;
    let announced = false;
    const job = await gw.core.importJobs.runNow(input, 'cli', (v) => {
      if (!announced && v.rowsTotal !== null) {
        announced = true;
        out(`job ${v.id}: ${v.rowsTotal} lines to import`);
      }
      if (!v.rowsTotal) return;
      // At most a line per tenth: for a terminal or a log file, not a progress bar.
      const tenth = Math.floor((v.rowsDone * 10) / v.rowsTotal);
      if (tenth >= nextTenth && tenth < 10) {
        out(`  ${v.rowsDone}/${v.rowsTotal} lines (${Math.round((v.rowsDone * 100) / v.rowsTotal)}%): ${counts(v)}`);
        nextTenth = tenth + 1;
      }
    });
    if (job.status !== 'done') {
      err(`vasgw import: ${file} was not imported: ${job.error?.message ?? 'the job failed'} (job ${job.id})`);
      return 1;
    }
    out(`done: ${job.rowsDone} lines: ${counts(job)} (job ${job.id})`);
    for (const r of job.errors.slice(0, 20)) out(`  line ${r.line}${r.msisdn ? ` (${r.msisdn})` : ''}: ${r.reason}`);
    if (job.rejected > 20) out(`  ... ${job.rejected - 20} more rejected lines (GET /api/v1/subscribers/import/${job.id} lists the first 1000)`);
    return 0;
  } finally {
    await gw.stop();
  }
}
