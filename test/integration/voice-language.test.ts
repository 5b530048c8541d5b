import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { publicBaseUrl } from '../../src/config/ivr';
import { stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const CALLER = '+254711000404';
const DEMO_NUMBER = '+254711082000';
const VOICES = { en: 'en-US-Standard-C', sw: 'sw-KE-Standard-A' };

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

/** One Africa's Talking callback of an inbound call; returns the raw XML reply. */
async function atCall(sessionId: string, digits?: string): Promise<string> {
  const form: Record<string, string> = { isActive: '1', sessionId, direction: 'Inbound', callerNumber: CALLER, destinationNumber: DEMO_NUMBER };
  if (digits !== undefined) form.dtmfDigits = digits;
  const res = await gw!.app.inject({ method: 'POST', url: '/ivr/africastalking', headers: FORM, payload: new URLSearchParams(form).toString() });
  expect(res.statusCode, res.body).toBe(200);
  return res.body;
}

/** Every <Say> of an Africa's Talking reply as [voice attribute, text]. */
const says = (xml: string) => [...xml.matchAll(/<Say(?: voice="([^"]*)")?>([^<]*)<\/Say>/g)].map((m) => ({ voice: m[1] ?? null, text: m[2]! }));

describe('ivr.publicBaseUrl follows the server address unless set', () => {
  it('defaults to http://<host>:<port> from HOST and PORT, loopback for a wildcard host, and keeps an explicit value', () => {
    expect(publicBaseUrl(loadConfig({ env: { PORT: '8088' } }))).toBe('http://127.0.0.1:8088');
    expect(publicBaseUrl(loadConfig({ env: { PORT: '8088', HOST: '10.0.0.5' } }))).toBe('http://10.0.0.5:8088');
    expect(publicBaseUrl(loadConfig({ env: { PORT: '8088' }, overrides: { ivr: { publicBaseUrl: 'https://gw.example.org/' } } }))).toBe('https://gw.example.org');
  });

  it('puts callback URLs on the port the gateway serves on', async () => {
    gw = await testGateway({ server: { port: 8089, host: '0.0.0.0' } });
    const xml = await atCall('ATVId_port');
    expect(xml).toContain('callbackUrl="http://127.0.0.1:8089/ivr/africastalking"');
    expect(xml).toContain('<Redirect>http://127.0.0.1:8089/ivr/africastalking</Redirect>');
  });
});

describe('ivr.publicBaseUrl under `vasgw serve` with PORT=0', () => {
  it('carries the port the server actually listens on', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-voice-'));
    const vasgw = fileURLToPath(new URL('../../src/vasgw.mjs', import.meta.url));
    const child = spawn(process.execPath, [vasgw, 'serve'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: path.join(dir, 'gw.db'), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const port = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30_000);
        child.stdout.on('data', () => {
          const m = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(Number(m[1]));
          }
        });
      });
      const form = new URLSearchParams({ isActive: '1', sessionId: 'ATVId_port0', direction: 'Inbound', callerNumber: CALLER, destinationNumber: DEMO_NUMBER });
      const res = await fetch(`http://127.0.0.1:${port}/ivr/africastalking`, { method: 'POST', headers: FORM, body: form.toString() });
      expect(await res.text()).toContain(`callbackUrl="http://127.0.0.1:${port}/ivr/africastalking"`);
    } finally {
      await new Promise((r) => {
        child.on('exit', r);
        child.kill('SIGTERM');
      });
    }
  }, 60_000);
});

describe('spoken menus in the flow language, with the voice configured for it', () => {
  it("Africa's Talking: each <Say> carries the voice of its language, and the Swahili menu reads verb first", async () => {
    gw = await testGateway({ ivr: { voices: VOICES } });
    const lang = says(await atCall('ATVId_sw'));
    expect(lang).toContainEqual({ voice: 'en-US-Standard-C', text: 'Choose language. For English, press 1.' });
    expect(lang).toContainEqual({ voice: 'sw-KE-Standard-A', text: 'Chagua lugha. Bonyeza 2 kwa Kiswahili.' });

    const main = says(await atCall('ATVId_sw', '2'));
    expect(main.every((s) => s.voice === 'sw-KE-Standard-A')).toBe(true);
    const crops = says(await atCall('ATVId_sw', '1'));
    const spoken = crops.map((s) => s.text).join(' ');
    expect(spoken).toContain('Bonyeza 1 kwa Mahindi. Bonyeza 2 kwa Maharage. Bonyeza 3 kwa Muhogo.');
    expect(spoken).toContain('Bonyeza 0 kurudi.');
    expect(spoken).toContain('Bonyeza nyota kusikiliza tena.');
    expect(spoken).not.toMatch(/Kwa Rudi/);
  });

  it("Africa's Talking: no voice configured for a language leaves <Say> to the platform default", async () => {
    gw = await testGateway({ ivr: { voices: { sw: VOICES.sw } } });
    const lang = says(await atCall('ATVId_default'));
    expect(lang).toContainEqual({ voice: null, text: 'Choose language. For English, press 1.' });
    expect(lang).toContainEqual({ voice: 'sw-KE-Standard-A', text: 'Chagua lugha. Bonyeza 2 kwa Kiswahili.' });
  });

  it('VoiceXML: prompts carry xml:lang and an SSML <voice> of the language', async () => {
    gw = await testGateway({ ivr: { voices: VOICES } });
    const first = await gw.app.inject({ method: 'GET', url: `/ivr/vxml?caller=${encodeURIComponent(CALLER)}&called=${encodeURIComponent(DEMO_NUMBER)}&callId=vx-lang` });
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('<prompt xml:lang="sw"><voice name="sw-KE-Standard-A">Chagua lugha. Bonyeza 2 kwa Kiswahili.</voice></prompt>');
    expect(first.body).toContain('<prompt xml:lang="en"><voice name="en-US-Standard-C">Choose language. For English, press 1.</voice></prompt>');
    const main = await gw.app.inject({ method: 'POST', url: '/ivr/vxml', headers: FORM, payload: 'session=vx-lang&choice=2' });
    expect(main.body).toContain('xml:lang="sw"');
    expect(main.body).toMatch(/<prompt xml:lang="sw"><voice name="sw-KE-Standard-A">Karibu Ushauri wa Mazao/);
    expect(main.body).not.toContain('en-US-Standard-C');
  });
});
