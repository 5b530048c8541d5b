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
  async run(args, out) {
    const { runDetect } = await import('../crm/cli');
    return runDetect(args, out, UsageError);
  },
});

registerCommand('generate', {
  usage: 'vasgw generate --subscribers N --days D [--seed S] [--db PATH] | --append-days K',
  summary: 'write a synthetic population (subscribers, sessions with stuck ones, renewals, churn) for demos and benchmarks',
  async run(args, out) {
    const { runGenerate } = await import('../crm/cli');
    return runGenerate(args, out, UsageError);
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
