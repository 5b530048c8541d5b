import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { extensionInfo, mapSyncOrderRelation, parseSdpTime } from '../../channels/billing/sdp';
import { ServiceCatalog } from '../../src/subscriptions/service-catalog';
import { normalizeMsisdn } from '../../src/lib/msisdn';
import { loadConfig } from '../../src/config';
import { billingFixture } from '../helpers/billing';
import type { AppError } from '../../src/lib/errors';

const ctx = {
  normalize: (raw: string) => normalizeMsisdn(raw, '254'),
  catalog: new ServiceCatalog(loadConfig({ env: {} }).services),
  now: Date.parse('2026-11-25T00:00:00Z'),
  feeDivisor: 100,
};
const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false, isArray: (n) => ['item', 'key', 'value'].includes(n) });
const sor = (xml: string) => (parser.parse(xml) as { Envelope: { Body: { syncOrderRelation: Record<string, unknown> } } }).Envelope.Body.syncOrderRelation;
const without = (xml: string, key: string) => xml.replace(new RegExp(`<item><key>${key}</key><value>[^<]*</value></item>`), '');

describe('SDP syncOrderRelation mapping', () => {
  it.each([
    ['addition, charged (fee in cents)', 'sdp-addition.xml', (x: string) => x, { type: 'subscribed', amount: 5, at: '2026-11-20T06:00:00.000Z', nextRenewalAt: '2026-11-21T06:00:00.000Z', autoRenew: true }],
    ['addition, first charge failed', 'sdp-addition.xml', (x: string) => x.replace('<value>true</value></item>\n        <item><key>try', '<value>false</value></item>\n        <item><key>try'), { type: 'subscribed', amount: 0 }],
    ['addition with no fee stated', 'sdp-addition.xml', (x: string) => without(x, 'fee'), { type: 'subscribed', amount: null }],
    ['addition in a free period', 'sdp-named-parameters.xml', (x: string) => x, { type: 'subscribed', amount: 0, eventId: '1339730498361', msisdn: '+254711000004' }],
    ['modification, renewal charged', 'sdp-renewal.xml', (x: string) => x, { type: 'renewed', amount: 5, nextRenewalAt: '2026-11-22T06:00:00.000Z' }],
    ['modification, renewal failed', 'sdp-renewal-failed.xml', (x: string) => x, { type: 'renewal_failed', amount: null, reason: 'insufficient balance' }],
    ['modification, failed and service unavailable', 'sdp-renewal-failed.xml', (x: string) => x.replace('<key>serviceAvailability</key><value>0</value>', '<key>serviceAvailability</key><value>1</value>'), { type: 'suspended' }],
    ['deletion', 'sdp-deletion.xml', (x: string) => x, { type: 'unsubscribed', reason: '1', at: '2026-11-23T07:30:00.000Z' }],
    ['no auto-renewal', 'sdp-addition.xml', (x: string) => x.replace('<key>isAutoExtend</key><value>1</value>', '<key>isAutoExtend</key><value>0</value>'), { autoRenew: false }],
    ['a far-future cycleEndTime is not a renewal date', 'sdp-addition.xml', (x: string) => without(x, 'nextChargeTime').replace('<key>cycleEndTime</key><value>20261121060000', '<key>cycleEndTime</key><value>20361231160000'), { nextRenewalAt: null }],
  ])('%s', (_what, file, edit, expected) => {
    const n = mapSyncOrderRelation(sor(edit(billingFixture(file))), ctx);
    const shown = { ...n, at: new Date(n.at).toISOString(), nextRenewalAt: n.nextRenewalAt == null ? null : new Date(n.nextRenewalAt).toISOString() };
    expect(shown).toMatchObject({ source: 'sdp', serviceId: 'crop-daily', ...expected });
  });

  it('keys on transactionID, then TraceUniqueID, then the notification itself', () => {
    const xml = billingFixture('sdp-addition.xml');
    expect(mapSyncOrderRelation(sor(xml), ctx).eventId).toBe('504021505151711200600000301004');
    const noTx = without(xml, 'transactionID');
    expect(mapSyncOrderRelation(sor(noTx), ctx).eventId).toBe('504021505151711200600000301006');
    const bare = without(noTx, 'TraceUniqueID');
    const a = mapSyncOrderRelation(sor(bare), ctx);
    expect(a.eventId).toMatch(/^[0-9a-f]{32}$/);
    expect(mapSyncOrderRelation(sor(bare), ctx).eventId).toBe(a.eventId);
    expect(mapSyncOrderRelation(sor(bare.replace('20261120060000</ns1:updateTime>', '20261120060001</ns1:updateTime>')), ctx).eventId).not.toBe(a.eventId);
  });

  it('finds the service by serviceID when the productID is unknown', () => {
    const xml = billingFixture('sdp-addition.xml').replace('<ns1:productID>MDSP2000123456', '<ns1:productID>MDSP0000000000');
    expect(mapSyncOrderRelation(sor(xml), ctx).serviceId).toBe('crop-daily');
  });

  it('rejects an update type outside 1-3 naming the field', () => {
    const xml = billingFixture('sdp-addition.xml').replace('<ns1:updateType>1<', '<ns1:updateType>7<');
    expect(() => mapSyncOrderRelation(sor(xml), ctx)).toThrowError(/updateType "7"/);
    try {
      mapSyncOrderRelation(sor(xml), ctx);
    } catch (e) {
      expect((e as AppError).status).toBe(400);
    }
  });

  it('parses SDP times as UTC and refuses impossible dates', () => {
    expect(parseSdpTime('20261120060000')).toBe(Date.parse('2026-11-20T06:00:00Z'));
    expect(parseSdpTime('202611200600')).toBe(Date.parse('2026-11-20T06:00:00Z'));
    expect(parseSdpTime('20261340060000')).toBeNull();
    expect(parseSdpTime('2026-11-20')).toBeNull();
  });

  it('reads extensionInfo in both shapes, keeps empty values and bounds what it keeps', () => {
    expect(extensionInfo(sor(billingFixture('sdp-addition.xml')).extensionInfo)).toMatchObject({ shortMessage: '', operCode: '', keyword: 'SHAMBA' });
    const many = { item: Array.from({ length: 100 }, (_, i) => ({ key: [`k${i}`], value: ['v'.repeat(500)] })) };
    const info = extensionInfo(many);
    expect(Object.keys(info)).toHaveLength(64);
    expect(info.k0).toHaveLength(200);
  });
});
