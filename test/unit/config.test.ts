import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { instanceIdOf } from '../../src/config/instance-id';

describe('configuration', () => {
  it('loads every default from config/default.yaml', () => {
    const c = loadConfig({ env: {} });
    expect(c.server.port).toBe(3000);
    expect(c.database.path).toBe('./data/gateway.db');
    expect(c.messaging.quietHours).toEqual({ start: '20:00', end: '07:00' });
    expect(c.crm).toMatchObject({ schedule: '0 * * * *', holdoutPercent: 10 });
    expect(c.callbacks).toEqual({ secret: null, allowIps: [] });
  });

  it('deep-merges an override file, and the environment wins over both', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-cfg-'));
    const file = path.join(dir, 'op.yaml');
    writeFileSync(file, 'server:\n  port: 4000\nmessaging:\n  quietHours: null\n');
    const c = loadConfig({ file, env: { PORT: '5000', VASGW_API_TOKEN: 'a-very-long-token-123', VASGW_TIMEZONE: 'Africa/Lagos' } });
    expect(c.server.port).toBe(5000);
    expect(c.server.host).toBe('0.0.0.0');
    expect(c.messaging.quietHours).toBeNull();
    expect(c.messaging.frequencyCap.promotional).toBe(2);
    expect(c.api.token).toBe('a-very-long-token-123');
    expect(c.defaults.timezone).toBe('Africa/Lagos');
  });

  it('names this process for the rows it claims: the configured instance id, else host name and port', () => {
    expect(instanceIdOf(loadConfig({ env: { VASGW_INSTANCE_ID: 'gw-a' } }))).toBe('gw-a');
    expect(instanceIdOf(loadConfig({ env: { PORT: '3001' } }))).toBe(`${os.hostname()}:3001`);
    // Two processes on ephemeral ports on one host still differ.
    expect(instanceIdOf(loadConfig({ env: { PORT: '0' } }))).toBe(`${os.hostname()}:pid${process.pid}`);
    expect(() => loadConfig({ env: { VASGW_INSTANCE_ID: 'gw a' } })).toThrow(/server\.instanceId/);
  });

  it('stops with a message naming the bad key', () => {
    expect(() => loadConfig({ env: {}, overrides: { ussd: { maxChars: 'lots' } } })).toThrow(/ussd\.maxChars/);
    expect(() => loadConfig({ env: {}, overrides: { messaging: { quietHours: { start: '25:00', end: '07:00' } } } })).toThrow(/messaging\.quietHours\.start/);
    expect(() => loadConfig({ env: {}, overrides: { messaging: { timezone: 'Mars/Olympus' } } })).toThrow(/messaging\.timezone.*Mars\/Olympus/);
    expect(() => loadConfig({ env: {}, overrides: { ussd: { maxChar: 100 } } })).toThrow(/ussd/);
    expect(() => loadConfig({ env: { PORT: 'eighty' } })).toThrow(/server\.port/);
  });

  it('says which file is missing or broken', () => {
    expect(() => loadConfig({ env: {}, file: '/nonexistent/op.yaml' })).toThrow(/cannot read config file/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-cfg-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'server: [port: 1\n');
    expect(() => loadConfig({ env: {}, file })).toThrow(/not valid YAML/);
  });
});
