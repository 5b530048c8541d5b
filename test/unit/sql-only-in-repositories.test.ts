import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// docs/data-layer.md, rule 1: SQL lives only in repositories (*-repo.ts) and stores (*-store.ts), and in
// src/db itself. Services, detectors, reports, channels and the CLI call their methods. The benchmarks are
// the one other place: their baselines are bare SQL by definition.
const ROOT = path.resolve(import.meta.dirname, '../..');
const SCANNED = ['src', 'channels'];
const ALLOWED = [/-repo\.ts$/, /-store\.ts$/, /^src\/db\//, /^src\/bench\//];

const MARKERS: Array<[string, RegExp]> = [
  ['a prepared statement', /\.prepare\s*[(<]/],
  ['the raw SQLite client', /\$client\b/],
  ['a drizzle sql template', /\bsql\s*`/],
  ['a drizzle query', /\bdb\.(select|insert|update|delete|run|all|get)\s*\(/],
  ['SQL text', /['"`]\s*(SELECT\s|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|WITH\s+\w+\s+AS\s*\()/i],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|mjs)$/.test(f) ? [p] : [];
  });
}

describe('SQL lives only in repositories and stores', () => {
  it('no service, detector, report, channel or command holds SQL', () => {
    const offenders: string[] = [];
    for (const dir of SCANNED) {
      for (const file of files(path.join(ROOT, dir))) {
        const rel = path.relative(ROOT, file).split(path.sep).join('/');
        if (ALLOWED.some((re) => re.test(rel))) continue;
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (/^\s*(\/\/|\*)/.test(line)) return; // comments may talk about SQL
            for (const [what, re] of MARKERS) if (re.test(line)) offenders.push(`${rel}:${i + 1} has ${what}`);
          });
      }
    }
    expect(offenders).toEqual([]);
  });
});
