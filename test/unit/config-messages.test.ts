import { Kind, type TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, loadConfig } from '../../src/config';

// What an operator sees when start-up stops: the key, what it takes, and what it got (never a secret).
const bind = { id: 'op1', host: '10.0.0.1', port: 2775, systemId: 'vasgw', password: 'pw' };
const account = { systemId: 'partner1', password: 'pw' };
const service = { id: 's1', name: 'S', price: 1, currency: 'KES', period: 'daily' };

/** The message loadConfig stops with for these overrides. */
function failure(overrides: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadConfig({ env, overrides });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the config was accepted');
}

// Every nullable or union key of the schema, with a bad value and what the message must say.
const UNION_KEYS: Array<[key: string, overrides: unknown, expected: RegExp]> = [
  ['logLevel', { logLevel: 'loud' }, /^invalid config key logLevel: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent"; got "loud"$/],
  ['database.synchronous', { database: { synchronous: 'sometimes' } }, /^invalid config key database\.synchronous: expected one of "normal", "full"; got "sometimes"$/],
  ['database.url', { database: { url: 42 } }, /^invalid config key database\.url: expected a string or null \(SQLite at database\.path\); got 42$/],
  ['server.instanceId', { server: { instanceId: 7 } }, /^invalid config key server\.instanceId: expected a string of 1 to 100 characters matching \^\\S\+\$ or null \(host name and port, e\.g\. gw1:3000\); got 7$/],
  ['api.token', { api: { token: 'tok' } }, /^invalid config key api\.token: expected a string of at least 16 characters or null \(no token: [^)]*\); got a string of 3 characters$/],
  ['callbacks.secret', { callbacks: { secret: 'abc' } }, /^invalid config key callbacks\.secret: expected a string of at least 8 characters or null \(callbacks need no secret\); got a string of 3 characters$/],
  ['messaging.quietHours', { messaging: { quietHours: '20:00-07:00' } }, /^invalid config key messaging\.quietHours: expected an object with start, end or null \(no quiet hours\); got "20:00-07:00"$/],
  ['crm.scores.cohort', { crm: { scores: { cohort: 'year' } } }, /^invalid config key crm\.scores\.cohort: expected one of "week", "month"; got "year"$/],
  ['crm.interventions.from', { crm: { interventions: { from: '' } } }, /^invalid config key crm\.interventions\.from: expected a string of at least 1 character or null \(the bind's default short code\); got ""$/],
  ['crm.tiers.saveCallFlow', { crm: { tiers: { saveCallFlow: '' } } }, /^invalid config key crm\.tiers\.saveCallFlow: expected a string of at least 1 character or null \(crm\.interventions\.voiceFlow\); got ""$/],
  ['crm.exitReasons.followUps.too_expensive', { crm: { exitReasons: { followUps: { too_expensive: 'call' } } } }, /^invalid config key crm\.exitReasons\.followUps\.too_expensive: expected one of "exit_guidance", "exit_offer" or null \(no follow-up\); got "call"$/],
  ['crm.exitReasons.followUps.not_useful', { crm: { exitReasons: { followUps: { not_useful: 'call' } } } }, /^invalid config key crm\.exitReasons\.followUps\.not_useful: expected one of "exit_guidance", "exit_offer" or null \(no follow-up\); got "call"$/],
  ['crm.exitReasons.followUps.hard_to_use', { crm: { exitReasons: { followUps: { hard_to_use: 'call' } } } }, /^invalid config key crm\.exitReasons\.followUps\.hard_to_use: expected one of "exit_guidance", "exit_offer" or null \(no follow-up\); got "call"$/],
  ['crm.exitReasons.followUps.poor_network', { crm: { exitReasons: { followUps: { poor_network: 'call' } } } }, /^invalid config key crm\.exitReasons\.followUps\.poor_network: expected one of "exit_guidance", "exit_offer" or null \(no follow-up\); got "call"$/],
  ['crm.exitReasons.followUps.other', { crm: { exitReasons: { followUps: { other: 'call' } } } }, /^invalid config key crm\.exitReasons\.followUps\.other: expected one of "exit_guidance", "exit_offer" or null \(no follow-up\); got "call"$/],
  ['smpp.binds[].mode', { smpp: { binds: [{ ...bind, mode: 'both' }] } }, /^invalid config key smpp\.binds\[0\]\.mode: expected one of "transceiver", "transmitter", "receiver"; got "both"$/],
  ['smpp.binds[].concatenation', { smpp: { binds: [{ ...bind, concatenation: 'udh+sar' }] } }, /^invalid config key smpp\.binds\[0\]\.concatenation: expected one of "udh", "sar"; got "udh\+sar"$/],
  ['smpp.server.accounts[].kind', { smpp: { server: { accounts: [{ ...account, kind: 'bulk' }] } } }, /^invalid config key smpp\.server\.accounts\[0\]\.kind: expected one of "transactional", "promotional"; got "bulk"$/],
  ['services[].period', { services: [{ ...service, period: 'yearly' }] }, /^invalid config key services\[0\]\.period: expected one of "daily", "weekly", "monthly"; got "yearly"$/],
];

/** Paths of every union in a schema (array items as `[]`). */
function unionKeys(schema: TSchema, at = ''): string[] {
  const kind = (schema as { [Kind]?: string })[Kind];
  if (kind === 'Union') return [at];
  if (kind === 'Object') {
    return Object.entries((schema as unknown as { properties: Record<string, TSchema> }).properties).flatMap(([k, s]) => unionKeys(s, at ? `${at}.${k}` : k));
  }
  if (kind === 'Array') return unionKeys((schema as unknown as { items: TSchema }).items, `${at}[]`);
  return [];
}

describe('config errors say what each nullable or union key takes', () => {
  it('the table covers every union key of the schema', () => {
    expect(UNION_KEYS.map((u) => u[0]).sort()).toEqual(unionKeys(ConfigSchema).sort());
  });

  it.each(UNION_KEYS)('%s', (_key, overrides, expected) => {
    expect(failure(overrides)).toMatch(expected);
  });

  it('VASGW_API_TOKEN=tok names the 16-character minimum and does not echo the token', () => {
    const msg = failure(undefined, { VASGW_API_TOKEN: 'tok' });
    expect(msg).toContain('api.token');
    expect(msg).toContain('at least 16 characters');
    expect(msg).not.toMatch(/Expected union value/);
    expect(msg).not.toContain('"tok"');
  });

  it('a value of the wrong kind for a nullable key lists what it takes', () => {
    expect(failure({ api: { token: 12345 } })).toMatch(/^invalid config key api\.token: expected a string of at least 16 characters or null \(no token: [^)]*\); got 12345$/);
    expect(failure({ messaging: { quietHours: { start: '25:00', end: '07:00' } } })).toMatch(/^invalid config key messaging\.quietHours\.start: expected a string \(HH:MM, 24-hour clock\); got "25:00"$/);
  });

  it('other keys say what they take too', () => {
    expect(failure({ ussd: { maxChars: 'lots' } })).toMatch(/^invalid config key ussd\.maxChars: expected an integer from 60 to 182; got "lots"$/);
    expect(failure({ ussd: { maxChar: 100 } })).toMatch(/^invalid config key ussd\.maxChar: unknown key; ussd takes maxChars, sessionTimeoutSeconds, resumeWindowSeconds, maxInvalid$/);
    expect(failure({ smpp: { binds: [{ ...bind, password: 'much-too-long' }] } })).toMatch(/^invalid config key smpp\.binds\[0\]\.password: expected a string of at most 8 characters; got a string of 13 characters$/);
  });
});
