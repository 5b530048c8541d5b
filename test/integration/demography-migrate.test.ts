import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

// `vasgw migrate` after a profile schema change: stored values the schema refuses are listed (masked
// number, field, value, reason), left as they are, and the exit code says so; text from before the
// schema that fits ("1975") is stored typed.

const VASGW = fileURLToPath(new URL('../../src/vasgw.mjs', import.meta.url));
const run = (args: string[], env: Record<string, string>) => spawnSync(process.execPath, [VASGW, ...args], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 60_000 });

describe('vasgw migrate checks stored profiles against the schema', () => {
  it('reports violating rows, changes nothing for them and exits non-zero', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-profile-'));
    const env = { DATABASE_PATH: path.join(dir, 'gw.db') };
    expect(run(['migrate'], env).status).toBe(0);

    const db = new Database(env.DATABASE_PATH);
    const add = db.prepare('INSERT INTO subscribers (msisdn, language, profile, first_seen_at, updated_at) VALUES (?, ?, ?, 0, 0)');
    add.run('+254712345678', 'en', JSON.stringify({ gender: 'robot', birthYear: '1980' }));
    add.run('+254712000999', 'sw', JSON.stringify({ birthYear: '1975', crops: 'maize;beans', gender: 'Female' }));
    add.run('+254712000998', 'xx', '{}');
    add.run('+254712000997', null, JSON.stringify({ age: 'abc' }));
    db.close();

    const r = run(['migrate'], env);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('profiles: 4 checked, 1 stored as text now typed, 3 outside the schema (left unchanged)');
    expect(r.stdout).toContain('subscriber 1 (+2547*****678): gender = "robot": must be one of female, male, other');
    expect(r.stdout).toContain('subscriber 3 (+2547*****998): language = "xx": must be one of en, sw');
    expect(r.stdout).toMatch(/subscriber 4 \(\+2547\*\*\*\*\*997\): age = "abc": not a profile field/);
    expect(r.stdout + r.stderr).not.toContain('+254712345678');
    expect(r.stderr).toMatch(/3 subscriber profile\(s\) do not fit config profile\.fields/);

    const after = new Database(env.DATABASE_PATH, { readonly: true });
    const profile = (id: number) => JSON.parse((after.prepare('SELECT profile FROM subscribers WHERE id = ?').get(id) as { profile: string }).profile) as unknown;
    expect(profile(1)).toEqual({ gender: 'robot', birthYear: '1980' }); // untouched, even the fixable part
    expect(profile(2)).toEqual({ birthYear: 1975, crops: ['maize', 'beans'], gender: 'female' });
    after.close();

    const json = run(['migrate', '--json'], env);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ checked: 4, typed: 0, violatingSubscribers: 3, violations: expect.arrayContaining([{ subscriberId: 1, msisdn: '+2547*****678', field: 'gender', value: 'robot', reason: 'must be one of female, male, other' }]) });
  }, 180_000);
});
