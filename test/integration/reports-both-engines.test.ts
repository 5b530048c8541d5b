import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb } from '../../src/db/handle';
import { copySqliteToPostgres, openCopySource } from '../../src/db/postgres/copy';
import { PgDatabase } from '../../src/db/postgres/pg-database';
import { parsePostgresUrl } from '../../src/db/postgres/url';
import { Reports, REPORTS, type ReportQuery } from '../../src/reports';
import { generateWithCrm } from '../helpers/crm-pass';
import { stopAfterAll, testGateway, type TestGateway } from '../helpers/gateway';
import { createTestDatabase, postgresUnavailable, testPostgresServer, type TestPostgresDatabase, type TestPostgresServer } from '../helpers/postgres';

// Every report on both engines over the same data: a generated population with its CRM passes on SQLite
// (rollups, findings, interventions, scores, tiers), copied into PostgreSQL with `vasgw db copy`'s code,
// then each report asked the same questions of both. They must answer the same, figure for figure.
const START = Date.parse('2026-10-01T21:00:00Z');
const DAYS = 35;
const END = START + DAYS * 86_400_000;

/** Each report with the query shapes its filters allow. */
function questions(): Array<[string, ReportQuery]> {
  const whole = { from: new Date(START).toISOString().slice(0, 10), to: new Date(END).toISOString().slice(0, 10) };
  const out: Array<[string, ReportQuery]> = [];
  for (const name of Object.keys(REPORTS)) {
    out.push([name, {}], [name, whole], [name, { ...whole, channel: 'ussd' }]);
  }
  out.push(
    ['discovery', { ...whole, by: 'region' }],
    ['discovery', { ...whole, by: 'flow' }],
    ['discovery', { ...whole, by: 'cohort' }],
    ['usage', { ...whole, by: 'region' }],
    ['usage', { ...whole, by: 'crop' }],
    ['content-demography', { ...whole, field: 'region' }],
    ['paying-vs-using', { ...whole, service: 'crop-daily' }],
    ['retention', { ...whole, service: 'crop-daily' }],
    ['risk', { service: 'crop-daily', limit: 50 }],
    ['risk', { state: 'active', limit: 10 }],
    ['interventions', { ...whole, kind: 'nudge' }],
    ['exit-reasons', { ...whole, by: 'region' }],
    ['stuck', { ...whole, limit: 5 }],
    ['funnel', { ...whole, flow: 'crop-advice' }],
  );
  return out;
}

/** Numbers equal to 1e-9 relative (a sum in another order differs in the last bits), everything else exactly. */
function same(a: unknown, b: unknown, at = '$'): string | null {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) ? null : `${at}: ${a} vs ${b}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${at}: ${a.length} items vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = same(a[i], b[i], `${at}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return `${at}: keys ${ka.join(',')} vs ${kb.join(',')}`;
    // The console and API clients list keys as they come: the order is part of the answer.
    if (Object.keys(a).join() !== Object.keys(b).join()) return `${at}: key order ${Object.keys(a).join(',')} vs ${Object.keys(b).join(',')}`;
    for (const k of ka) {
      const d = same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

const skip = postgresUnavailable();

describe.skipIf(skip !== null)('every report on SQLite and PostgreSQL over the same data', () => {
  let gw: TestGateway;
  let dir: string;
  let server: TestPostgresServer;
  let target: TestPostgresDatabase;
  let pg: PgDatabase;
  let onPostgres: Reports;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vasgw-reports-both-'));
    gw = await testGateway({ crm: { onboarding: { enabled: true } } }, { now: new Date(START).toISOString(), dbPath: path.join(dir, 'gw.db') });
    await generateWithCrm(gw, { subscribers: 1500, days: DAYS, seed: 12, start: START });
    gw.core.groupCommit?.flush();
    server = await testPostgresServer();
    target = await createTestDatabase(server);
    const source = openCopySource(path.join(dir, 'gw.db'));
    try {
      await copySqliteToPostgres(source, target.url);
    } finally {
      closeDb(source);
    }
    pg = new PgDatabase(parsePostgresUrl(target.url), { max: 2 });
    const crm = gw.core.crm;
    onPostgres = new Reports({ database: pg, days: crm.days, flows: crm.index, clock: gw.clock, config: gw.core.config });
  }, 300_000);

  stopAfterAll(() => [gw]);
  afterAll(async () => {
    await pg?.close();
    await target?.drop();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers every report and every filter the same, figure for figure and key for key', async () => {
    const differences: string[] = [];
    let nonEmpty = 0;
    for (const [name, q] of questions()) {
      const label = `${name} ${JSON.stringify(q)}`;
      const onSqlite = await gw.core.reports.run(name, q).catch((e: Error) => ({ refused: e.message }));
      const onPg = await onPostgres.run(name, q).catch((e: Error) => ({ refused: e.message }));
      const d = same(JSON.parse(JSON.stringify(onSqlite)), JSON.parse(JSON.stringify(onPg)));
      if (d) differences.push(`${label}: ${d}`);
      if (JSON.stringify(onSqlite).length > 400) nonEmpty++;
    }
    expect(differences).toEqual([]);
    // The population is big enough that most answers carry figures, not just empty shapes.
    expect(nonEmpty).toBeGreaterThan(questions().length / 2);
  });
});
