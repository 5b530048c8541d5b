// Commands that belong to a domain register here (one block per domain), keeping src/cli.ts small.
import { parseArgs } from 'node:util';
import { registerCommand, UsageError } from '../cli';

registerCommand('bench', {
  usage: 'vasgw bench [--only NAME,...] [--quick]',
  summary: 'run the benchmarks; prints a table and writes bench-results.json',
  async run(args, out) {
    let parsed;
    try {
      parsed = parseArgs({ args, options: { only: { type: 'string' }, quick: { type: 'boolean' }, child: { type: 'string' } }, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { benches } = await import('../bench');
    const quick = parsed.values.quick ?? false;
    if (parsed.values.child) {
      const b = benches.find((x) => x.name === parsed.values.child);
      if (!b) throw new UsageError(`no benchmark named ${parsed.values.child}`);
      const { runBenchChild } = await import('../bench/runner');
      await runBenchChild(b, quick);
      return 0;
    }
    const { runBenches } = await import('../bench/runner');
    return runBenches(benches, { quick, out, ...(parsed.values.only ? { only: parsed.values.only.split(',') } : {}) });
  },
});

registerCommand('bench-target', {
  usage: 'vasgw bench-target KIND [ARG]',
  summary: '(internal) a server for a benchmark, in its own process',
  async run(args) {
    const { runTarget } = await import('../bench/targets');
    return runTarget(args[0] ?? '', args[1]);
  },
});

registerCommand('detect', {
  usage: 'vasgw detect [--now ISO-8601] [--json] [--config FILE]',
  summary: 'run every CRM detector once as of --now and act on the findings as the scheduler would',
  async run(args, out, err) {
    const { runDetect } = await import('../crm/cli');
    return runDetect(args, out, UsageError, err);
  },
});

registerCommand('generate', {
  usage: 'vasgw generate --subscribers N --days D [--seed S] [--db PATH] [--crm [--no-effect]] | --append-days K',
  summary: 'write a synthetic population (typed profiles, sessions with stuck ones, renewals, churn; --crm: the CRM acts day by day with planted effects) for demos and benchmarks',
  async run(args, out, err) {
    const { runGenerate } = await import('../crm/cli');
    return runGenerate(args, out, UsageError, err);
  },
});

registerCommand('smsc-sim', {
  usage: 'vasgw smsc-sim [--host H] [--port P] [--system-id ID] [--password PW] [--dlr-delay-ms N] [--fail-share X] [--mo-file FILE]',
  summary: 'an SMPP SMSC on this machine: takes binds and submits, sends receipts, sends MOs typed at its prompt or appended to FILE',
  async run(args, out) {
    const { runSmscSim } = await import('../sim/cli');
    return runSmscSim(args, out, UsageError);
  },
});

registerCommand('voice-sim', {
  usage: 'vasgw voice-sim [--port P] [--gateway URL] [--api-key K] [--answer-share X] [--keys 1,2,1] [--call FROM TO]',
  summary: "Africa's Talking voice on this machine: answers the gateway's calls and presses keys (or places a call with --call)",
  async run(args, out) {
    const { runVoiceSim } = await import('../sim/cli');
    return runVoiceSim(args, out, UsageError);
  },
});

registerCommand('demo', {
  usage: 'vasgw demo [--dir DIR] [--subscribers N] [--days D] [--port P]',
  summary: 'the whole loop on one machine: a generated population, the SMSC and voice simulators, the gateway bound to both',
  async run(args, out) {
    const { runDemo } = await import('../sim/demo');
    return runDemo(args, out, UsageError);
  },
});

registerCommand('import', {
  usage: 'vasgw import FILE [--config FILE]',
  summary: 'import subscriber profiles from a CSV file (as POST /api/v1/subscribers/import); prints progress and counts',
  async run(args, out, err) {
    let parsed;
    try {
      parsed = parseArgs({ args, options: { config: { type: 'string' } }, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const file = parsed.positionals[0];
    if (!file || parsed.positionals.length > 1) throw new UsageError('usage: vasgw import FILE [--config FILE]');
    const { runImport } = await import('./import');
    return runImport(file, parsed.values.config, out, err);
  },
});

registerCommand('status', {
  usage: 'vasgw status [--config FILE] [--json] [--url URL]',
  summary: 'binds, transports, queue depths by state, oldest due message, last errors, running jobs (exit 1 when not ready)',
  async run(args, out, err) {
    const { runStatus } = await import('./status');
    return runStatus(args, out, err, UsageError);
  },
});

registerCommand('users', {
  usage: 'vasgw users add NAME --role viewer|editor|admin [--language en|sw] | vasgw users list',
  summary: 'console accounts: add one (password from standard input when it is not a terminal, else prompted), or list them',
  async run(args, out, err) {
    const { runUsers } = await import('../console/users-cli');
    return runUsers(args, out, err, UsageError);
  },
});

registerCommand('db', {
  usage: 'vasgw db copy --to POSTGRES_URL [--from SQLITE_FILE] [--json] [--config FILE]',
  summary: 'copy the SQLite database (--from, else DATABASE_PATH) into an empty PostgreSQL database, all or nothing; one line per table',
  async run(args, out, err) {
    const { runDbCopy } = await import('./db-copy');
    return runDbCopy(args, out, err);
  },
});
