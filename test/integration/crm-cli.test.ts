import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli';

const VASGW = fileURLToPath(new URL('../../src/vasgw.mjs', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-crm-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.DATABASE_PATH;
});

/** The CLI's own entry point, in this process (the same dispatcher `vasgw` runs), capturing its output. */
async function vasgw(args: string[], db?: string): Promise<{ code: number | undefined; out: string; err: string }> {
  if (db) process.env.DATABASE_PATH = db;
  process.env.LOG_LEVEL = 'silent';
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('vasgw generate and vasgw detect', () => {
  it('run as a real process: listed by --help, and a bad --now is refused with exit 2', () => {
    const help = spawnSync(process.execPath, [VASGW, '--help'], { encoding: 'utf8', timeout: 60_000 });
    expect(help.stdout).toContain('vasgw detect [--now ISO-8601] [--json]');
    expect(help.stdout).toContain('vasgw generate --subscribers N --days D');
    const bad = spawnSync(process.execPath, [VASGW, 'detect', '--now', 'last tuesday'], { encoding: 'utf8', env: { ...process.env, DATABASE_PATH: path.join(dir, 'bad.db') }, timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--now "last tuesday" is not an ISO-8601 time');
  });

  it('refuse other bad input with a clear message', async () => {
    expect(await vasgw(['generate', '--subscribers', '10'], path.join(dir, 'bad.db'))).toMatchObject({ code: 2, err: expect.stringContaining('needs --subscribers N and --days D') });
    expect((await vasgw(['generate', '--subscribers', 'many', '--days', '3', '--db', path.join(dir, 'bad.db')])).err).toContain('--subscribers must be a whole number');
    expect((await vasgw(['generate', '--append-days', '1', '--db', path.join(dir, 'empty.db')])).err).toContain('nothing to append to');
    expect((await vasgw(['detect', '--verbose'])).code).toBe(2);
    expect(await vasgw(['generate', '--append-days', '1', '--crm', '--db', path.join(dir, 'empty.db')])).toMatchObject({ code: 2, err: expect.stringContaining('cannot be combined with --append-days') });
  });

  it('generate --crm: the CRM acts every simulated day and the planted truth is printed', async () => {
    const gen = await vasgw(['generate', '--subscribers', '600', '--days', '8', '--seed', '2', '--db', path.join(dir, 'crm.db'), '--crm', '--quiet']);
    expect(gen.code).toBe(0);
    expect(gen.out).toMatch(/crm: 8 daily passes .*delivered \d+, failed \d+/);
    expect(gen.out).toContain('planted truth (closed outcome windows)');
    for (const kind of ['winback', 'save', 'nudge', 'education_sms', 'voice_guidance']) expect(gen.out).toContain(kind);
    // Onboarding: the planted effect beside what the onboarding report recovers.
    expect(gen.out).toMatch(/onboarding: welcomed \d+, held out \d+, delivered \d+/);
    expect(gen.out).toMatch(/first go +planted ITT .* report /);
  });

  it('generate a population, detect on it as of its last day, append a day and detect only what is new', async () => {
    const db = path.join(dir, 'pop.db');
    const gen = await vasgw(['generate', '--subscribers', '400', '--days', '6', '--seed', '3', '--db', db, '--quiet']);
    expect(gen.code, gen.err).toBe(0);
    const m = /generated (\d+) usage events \((\d+) sessions, (\d+) stuck.*for 400 subscribers, days 0-5 \((\S+) to (\S+)\)/.exec(gen.out);
    expect(m, gen.out).not.toBeNull();
    const [, events, sessions, , , end] = m!;
    expect(Number(events)).toBeGreaterThan(1000);
    expect((await vasgw(['generate', '--subscribers', '5', '--days', '1', '--db', db])).err).toContain('already has subscribers');

    const detect = await vasgw(['detect', '--now', end!, '--json'], db);
    expect(detect.code, detect.err).toBe(0);
    const s = JSON.parse(detect.out) as { events: number; sessions: number; findings: Record<string, number> };
    expect(s.events).toBeGreaterThan(Number(events) * 0.9); // all but events that are not steps (sms_out)
    expect(s.sessions).toBe(Number(sessions));
    expect(Object.values(s.findings).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    const more = await vasgw(['generate', '--append-days', '1', '--db', db, '--quiet']);
    expect(more.code, more.err).toBe(0);
    const added = /generated (\d+) usage events \((\d+) sessions.*days 6-6 \((\S+) to (\S+)\)/.exec(more.out);
    expect(added, more.out).not.toBeNull();
    const next = await vasgw(['detect', '--now', added![4]!], db);
    expect(next.code, next.err).toBe(0);
    expect(next.out).toContain(`detect as of ${added![4]!}: `);
    expect(next.out).toContain(`${added![2]} sessions finished`);
  });
});
