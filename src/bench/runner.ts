import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import type { Bench, BenchResult } from './types';

const VASGW = fileURLToPath(new URL('../vasgw.mjs', import.meta.url));
const RESULT_PREFIX = 'BENCH_RESULT ';

interface ChildOutcome {
  results: BenchResult[];
  peakRssMiB: number;
  error?: string;
}

/** Runs one bench in this process and prints its results for the parent (child mode). */
export async function runBenchChild(bench: Bench, quick: boolean): Promise<void> {
  const results = await bench.run({ quick, progress: (l) => process.stderr.write(`  ${bench.name}: ${l}\n`) });
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(RESULT_PREFIX + JSON.stringify({ results, peakRssMiB }) + '\n');
}

function runInChild(name: string, quick: boolean): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const args = ['--expose-gc', VASGW, 'bench', '--child', name, ...(quick ? ['--quick'] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (!line) return resolve({ results: [], peakRssMiB: 0, error: `exited with code ${code} and no result` });
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildOutcome);
    });
  });
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 3));

/** Runs the benches (each in its own process), prints a table and writes bench-results.json. */
export async function runBenches(all: Bench[], opts: { only?: string[]; quick: boolean; out: (l: string) => void }): Promise<number> {
  const selected = opts.only?.length ? all.filter((b) => opts.only!.includes(b.name)) : all;
  if (selected.length === 0) {
    opts.out(`no benchmark named ${opts.only?.join(', ')}; known: ${all.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
  opts.out(`machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memGiB} GiB, Node ${machine.node}${opts.quick ? ' — quick mode' : ''}`);
  const report: Record<string, ChildOutcome> = {};
  let failed = 0;
  for (const b of selected) {
    opts.out(`\n== ${b.name}: ${b.description}`);
    const r = await runInChild(b.name, opts.quick);
    report[b.name] = r;
    if (r.error) {
      failed++;
      opts.out(`  FAILED: ${r.error}`);
      continue;
    }
    for (const x of r.results) {
      const base = x.baseline ? `  baseline ${x.baseline.name} ${fmt(x.baseline.value)} ${x.unit}, ratio ${x.ratio?.toFixed(2)}` : '';
      const target = x.target ? `  [target ${x.target}]` : '';
      opts.out(`  ${x.name.padEnd(44)} ${fmt(x.value).padStart(12)} ${x.unit}${base}${target}`);
    }
    opts.out(`  ${'peak RSS'.padEnd(44)} ${fmt(r.peakRssMiB).padStart(12)} MiB`);
  }
  writeFileSync('bench-results.json', JSON.stringify({ at: new Date().toISOString(), machine, quick: opts.quick, benches: report }, null, 2));
  opts.out('\nwrote bench-results.json');
  return failed ? 1 : 0;
}
