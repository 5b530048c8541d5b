import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runSimulateUssd } from '../../src/cli/simulate';

async function simulate(lines: string[], extra: { code?: string; language?: string; msisdn?: string; flowsDir?: string } = {}) {
  const output = new PassThrough();
  let text = '';
  output.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const code = await runSimulateUssd({
    msisdn: extra.msisdn ?? '0712345678',
    code: extra.code ?? '*384*1#',
    flowsDir: extra.flowsDir ?? 'flows',
    input: Readable.from(lines.map((l) => `${l}\n`)),
    output,
    ...(extra.language ? { language: extra.language } : {}),
  });
  return { code, text };
}

describe('vasgw simulate ussd', () => {
  it('shows each screen framed, as a handset would, until the END screen', async () => {
    const { code, text } = await simulate(['2', '1', '1', '1', '1']);
    expect(code).toBe(0);
    expect(text).toContain('│ Choose language / Chagua lugha   │');
    expect(text).toContain('│ 1. Ushauri wa mazao              │');
    expect(text).toContain('│ Panda mvua zikianza na udongo    │');
    expect(text).toContain('* saves language = sw');
    expect(text).toContain('* SMS to +254712345678: KUPANDA MAHINDI:');
    expect(text).toMatch(/END 33\/182/);
    expect(text.trimEnd().endsWith('(session ended: completed)')).toBe(true);
  });

  it('skips the language menu for a known language and lands on a shortcut', async () => {
    const { text } = await simulate([], { code: '*384*1*1*1*2#', language: 'en' });
    expect(text).not.toContain('Choose language');
    expect(text).toContain('│ Fall armyworm: check plants      │');
    expect(text.trimEnd().endsWith('(hung up)')).toBe(true);
  });

  it('shows the invalid notice and ends after three invalid tries', async () => {
    const { code, text } = await simulate(['x', 'hello', '🌽'], { language: 'en' });
    expect(code).toBe(0);
    expect(text.match(/Invalid choice\./g)).toHaveLength(2);
    expect(text).toContain('(session ended: max_invalid)');
  });

  it('refuses an unknown code, a bad number and invalid flows', async () => {
    expect((await simulate([], { code: '*999#' })).text).toContain('error: no flow answers *999# (codes: *384*1#)');
    expect((await simulate([], { msisdn: 'abc' })).code).toBe(2);
    const bad = await simulate([], { flowsDir: 'test/fixtures/flows/invalid' });
    expect(bad.code).toBe(1);
    expect(bad.text).toContain('error: fix the flows first');
  });
});
