import { describe, expect, it } from 'vitest';
import { decodeText, encodeSms, encodeText, splitText } from '../../src/messaging/encoding';
import { decodeGsm7, encodeGsm7, gsmSeptets, isGsm7 } from '../../src/messaging/gsm7';
import { quietUntil } from '../../src/messaging/quiet-hours';

const AMHARIC = 'የበቆሎ ዘር በዝናብ መጀመሪያ ላይ ይዝሩ።';
const HINDI = 'मक्का की बुवाई बारिश की शुरुआत में करें।';

describe('GSM 03.38', () => {
  it('round-trips the whole basic alphabet and the extension table', () => {
    const basic = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
    const ext = '\f^{}\\[~]|€';
    expect(decodeGsm7(encodeGsm7(basic + ext))).toBe(basic + ext);
    expect(encodeGsm7(basic).length).toBe(127);
  });

  it('encodes extension characters as ESC + code and counts them as two septets', () => {
    expect([...encodeGsm7('€[')]).toEqual([0x1b, 0x65, 0x1b, 0x3c]);
    expect([...encodeGsm7('@a')]).toEqual([0x00, 0x61]);
    expect(gsmSeptets('Bei ni €5 {ok}')).toBe(17);
  });

  it('knows what is not GSM-7', () => {
    expect(isGsm7('Habari yako, mkulima!')).toBe(true);
    expect(isGsm7(AMHARIC)).toBe(false);
    expect(isGsm7('curly ’quote’')).toBe(false);
  });
});

describe('segmentation', () => {
  it('keeps 160 GSM characters in one part and splits 161 into 153 + 8', () => {
    expect(splitText('a'.repeat(160))).toHaveLength(1);
    const parts = splitText('a'.repeat(161));
    expect(parts.map((p) => p.length)).toEqual([153, 8]);
  });

  it('never splits an extension character from its escape', () => {
    const text = 'a'.repeat(152) + '€' + 'b'.repeat(10);
    const sms = encodeSms(text);
    expect(sms.dataCoding).toBe(0);
    expect(sms.parts[0]!.length).toBeLessThanOrEqual(153);
    expect(sms.parts[0]![sms.parts[0]!.length - 1]).not.toBe(0x1b);
    expect(sms.parts.map((p) => decodeText(p, 0)).join('')).toBe(text);
  });

  it('uses UCS-2 (data_coding 8) for Amharic and Hindi, 70 alone and 67 per part', () => {
    expect(encodeSms(AMHARIC).dataCoding).toBe(8);
    expect(splitText('ሀ'.repeat(70))).toHaveLength(1);
    expect(splitText('ሀ'.repeat(71)).map((p) => p.length)).toEqual([67, 4]);
    const long = HINDI.repeat(5);
    const sms = encodeSms(long);
    expect(sms.parts.length).toBeGreaterThan(1);
    expect(sms.parts.map((p) => decodeText(p, 8)).join('')).toBe(long);
  });

  it('never splits an emoji (surrogate pair) across parts', () => {
    const text = 'ሀ'.repeat(66) + '🌽' + 'ሀ'.repeat(5);
    const parts = splitText(text);
    expect(parts[0]).toBe('ሀ'.repeat(66));
    expect(parts.join('')).toBe(text);
  });
});

describe('decoding by data_coding', () => {
  it('reads GSM, IA5, Latin-1 and UCS-2', () => {
    expect(decodeText(encodeGsm7('Asante {sana}'), 0)).toBe('Asante {sana}');
    expect(decodeText(Buffer.from('STOP', 'ascii'), 1)).toBe('STOP');
    expect(decodeText(Buffer.from('café', 'latin1'), 3)).toBe('café');
    expect(decodeText(encodeText(AMHARIC, 'ucs2'), 8)).toBe(AMHARIC);
  });

  it('reads 8-bit bytes sent as data_coding 0 as Latin-1 rather than garbage', () => {
    expect(decodeText(Buffer.from('Ñandú', 'latin1'), 0)).toBe('Ñandú');
  });

  it('never throws on odd input', () => {
    expect(decodeText(Buffer.from([0x00, 0x4e]).subarray(0, 1), 8)).toBe('');
    expect(decodeText(Buffer.from([0x1b]), 0)).toBe('');
    expect(typeof decodeText(Buffer.from([0xff, 0xfe, 0x00]), 0xf4)).toBe('string');
  });
});

describe('quiet hours', () => {
  const w = { start: '20:00', end: '07:00' };
  it('lets messages through outside the window', () => {
    expect(quietUntil(Date.parse('2026-11-20T09:00:00Z'), w, 'Africa/Nairobi')).toBeNull();
  });
  it('defers an evening message to 07:00 local the next morning', () => {
    // 21:30 in Nairobi (UTC+3) -> 07:00 next day local = 04:00Z.
    expect(quietUntil(Date.parse('2026-11-20T18:30:00Z'), w, 'Africa/Nairobi')).toBe(Date.parse('2026-11-21T04:00:00Z'));
  });
  it('defers an early-morning message to 07:00 the same day, in the zone given', () => {
    expect(quietUntil(Date.parse('2026-11-20T02:00:00Z'), w, 'Africa/Nairobi')).toBe(Date.parse('2026-11-20T04:00:00Z'));
    // 02:00Z is 03:00 in Lagos (UTC+1) -> 07:00 Lagos = 06:00Z.
    expect(quietUntil(Date.parse('2026-11-20T02:00:00Z'), w, 'Africa/Lagos')).toBe(Date.parse('2026-11-20T06:00:00Z'));
  });
  it('handles a window that does not cross midnight, and no window', () => {
    expect(quietUntil(Date.parse('2026-11-20T10:30:00Z'), { start: '13:00', end: '14:00' }, 'Africa/Nairobi')).toBe(Date.parse('2026-11-20T11:00:00Z'));
    expect(quietUntil(Date.parse('2026-11-20T18:30:00Z'), null, 'Africa/Nairobi')).toBeNull();
  });
});
