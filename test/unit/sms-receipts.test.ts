import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isReceipt, parseReceipt, receiptText } from '../../channels/smpp/dlr';
import { PDU, parseUdh, relativeValidity } from '../../channels/smpp/pdu';
import { SmppBind } from '../../channels/smpp/bind';
import { decodeText } from '../../src/messaging/encoding';
import { normalizeSmscId, receiptOutcome, smscIdCandidates } from '../../src/messaging/receipt-ids';

/** A deliver_sm as it came off the wire (hex dump under test/fixtures/smpp). */
function fixture(name: string) {
  const hex = readFileSync(new URL(`../fixtures/smpp/${name}.hex`, import.meta.url), 'utf8').replace(/\s+/g, '');
  return new PDU(Buffer.from(hex, 'hex'));
}

describe('delivery receipt parsing (raw deliver_sm fixtures)', () => {
  it('reads id, stat and err from the receipt text', () => {
    const pdu = fixture('receipt-text-hex-id');
    expect(isReceipt(pdu)).toBe(true);
    expect(parseReceipt(pdu)).toMatchObject({ id: '000A1B2C3D', stat: 'DELIVRD', err: '000', doneDate: '2611200901' });
  });

  it('takes the id from receipted_message_id and the state from message_state when the text is empty', () => {
    expect(parseReceipt(fixture('receipt-tlv-decimal-id'))).toMatchObject({ id: '169552957', stat: 'DELIVRD' });
  });

  it('reads failures and intermediate notifications', () => {
    expect(parseReceipt(fixture('receipt-undeliv'))).toMatchObject({ id: '7781', stat: 'UNDELIV', err: '034' });
    const inter = fixture('receipt-intermediate');
    expect(isReceipt(inter)).toBe(true);
    expect(receiptOutcome(parseReceipt(inter)!.stat)).toBe('pending');
  });

  it('is not fooled by an MO', () => {
    expect(isReceipt(fixture('mo-ucs2-udh-part1'))).toBe(false);
  });

  it('writes receipts partners can parse back', () => {
    const text = receiptText({ id: 'msg_x1', stat: 'DELIVRD', err: '000', submitDate: new Date('2026-11-20T09:00:00Z'), doneDate: new Date('2026-11-20T09:01:00Z'), delivered: true, text: 'Habari' });
    expect(text).toBe('id:msg_x1 sub:001 dlvrd:001 submit date:2611200900 done date:2611200901 stat:DELIVRD err:000 text:Habari');
  });
});

describe('SMSC id normalization', () => {
  it('drops leading zeros and case', () => {
    expect(normalizeSmscId('000A1B2C3D')).toBe('a1b2c3d');
    expect(normalizeSmscId('0000')).toBe('0');
  });
  it('tries the exact form first, then the other base', () => {
    // 0x0A1B2C3D = 169552957
    expect(smscIdCandidates('000A1B2C3D')).toEqual(['a1b2c3d', '169552957']);
    expect(smscIdCandidates('169552957')).toEqual(['169552957', 'a1b2c3d', '6062156119']);
    expect(smscIdCandidates('msg-77')).toEqual(['msg-77']);
  });
  it('maps receipt states, spelled short or long', () => {
    expect(['DELIVRD', 'DELIVERED', 'EXPIRED', 'UNDELIV', 'UNDELIVERABLE', 'REJECTD', 'DELETED', 'ACCEPTD', 'ENROUTE', 'UNKNOWN'].map(receiptOutcome)).toEqual([
      'delivered',
      'delivered',
      'expired',
      'failed',
      'failed',
      'failed',
      'failed',
      'pending',
      'pending',
      'pending',
    ]);
    expect(receiptOutcome('2')).toBe('delivered');
  });
});

describe('concatenated MO parts (raw fixtures)', () => {
  it('splits the UDH off each part and the joined bytes decode to the original UCS-2 text', () => {
    const parts = [fixture('mo-ucs2-udh-part1'), fixture('mo-ucs2-udh-part2')].map((p) => parseUdh(SmppBind.body(p)));
    expect(parts.map((p) => p.concat)).toEqual([
      { ref: 0x2a, total: 2, seq: 1 },
      { ref: 0x2a, total: 2, seq: 2 },
    ]);
    const text = decodeText(Buffer.concat(parts.map((p) => p.text)), 8);
    expect(text).toBe('ሰላም! የበቆሎ ቅጠሎች ቢጫ ሆነዋል። ምን ላድርግ? ማዳበሪያ መቼ ልጨምር? ዝናብ ዘግይቷል። ዘሩን እንደገና ልዝራ ወይስ ልጠብቅ? 🌽');
  });

  it('ignores a header that claims more than the body holds', () => {
    expect(parseUdh(Buffer.from([0x09, 0x00, 0x03]))).toEqual({ concat: null, text: Buffer.from([0x09, 0x00, 0x03]) });
  });
});

describe('validity period', () => {
  it('is written in the SMPP relative format', () => {
    expect(relativeValidity(47 * 3600 * 1000)).toBe('000001230000000R');
    expect(relativeValidity(1000)).toBe('000000000100000R');
  });
});
