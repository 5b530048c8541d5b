import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The reports', detectors' and CRM outcome code's SQL lives in stores and repositories (docs/data-layer.md):
// a report or detector that grows a query of its own fails here, naming the file and the line.
const ROOT = path.resolve(__dirname, '../..');
const AREAS = ['src/reports', 'src/crm/detectors', 'src/crm/generator'];
const FILES = ['src/crm/findings-repo.ts', 'src/crm/intervention-repo.ts', 'src/crm/interventions.ts', 'src/crm/outcomes.ts', 'src/crm/subscriber-view.ts', 'src/crm/experiments.ts', 'src/bench/import.ts'];
const SQL = /\$client|\.prepare\(\s*['"`]|\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b|\bsql`/;

function sources(): string[] {
  const out = FILES.map((f) => path.join(ROOT, f));
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push(p);
    }
  };
  for (const a of AREAS) walk(path.join(ROOT, a));
  return out;
}

describe('reports, detectors and CRM outcomes keep their SQL in stores', () => {
  it('has no SQL, prepared string or $client outside *-store.ts / *-repo.ts', () => {
    const offending: string[] = [];
    for (const file of sources()) {
      if (/-(store|repo)\.ts$/.test(file)) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          // Comments may speak of tables and queries.
          if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
          if (SQL.test(line)) offending.push(`${path.relative(ROOT, file)}:${i + 1}: ${line.trim().slice(0, 100)}`);
        });
    }
    expect(offending).toEqual([]);
  });
});
