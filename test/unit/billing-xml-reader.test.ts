import { describe, expect, it } from 'vitest';
import { readXml, XmlError } from '../../channels/billing/xml';
import { billingFixture } from '../helpers/billing';

const lists = { isArray: (n: string) => n === 'item' || n === 'key' || n === 'value' };

describe('XML reader for SOAP notifications', () => {
  it.each([
    ['namespaces stripped, text kept as strings', '<a:E xmlns:a="urn:x"><a:B><id>007</id></a:B></a:E>', { E: { B: { id: '007' } } }],
    ['declaration, comments, empty elements', '<?xml version="1.0"?><!-- hi --><E><H/><B> x </B></E>', { E: { H: '', B: 'x' } }],
    ['entities and CDATA', "<E><t>a &amp; b &lt;c&gt; &#65;&#x42; &apos;</t><c><![CDATA[<raw> & ]]></c></E>", { E: { t: "a & b <c> AB '", c: '<raw> &' } }],
    ['repeated names become lists', '<E><k>1</k><k>2</k></E>', { E: { k: ['1', '2'] } }],
    ['declared list names are lists even alone', '<E><item><key>x</key><value>y</value></item></E>', { E: { item: [{ key: ['x'], value: ['y'] }] } }],
    ['attributes are skipped', `<E a="1" b='2'><B c = "x>y">v</B></E>`, { E: { B: 'v' } }],
  ])('reads %s', (_what, xml, expected) => {
    expect(readXml(xml, lists)).toEqual(expected);
  });

  it('reads the SDP fixtures as their envelopes', () => {
    const doc = readXml(billingFixture('sdp-named-parameters.xml'), lists) as { Envelope: { Body: { syncOrderRelation: { userID: { ID: string }; extensionInfo: { namedParameters: { key: string[] } } } } } };
    expect(doc.Envelope.Body.syncOrderRelation.userID.ID).toBe('0711000004');
    expect(doc.Envelope.Body.syncOrderRelation.extensionInfo.namedParameters.key).toEqual(['TransactionID', 'orderKey', 'isFreePeriod', 'rentSuccess']);
  });

  it.each([
    ['a truncated document', billingFixture('sdp-malformed.xml'), /not closed/],
    ['mismatched tags', '<E><a></b></E>', /expected <\/a>, found <\/b>/],
    ['a closing tag alone', '</E>', /without an opening/],
    ['two roots', '<E/><F/>', /second root/],
    ['text outside the root', 'hello <E/>', /text before/],
    ['an unknown entity', '<E>&nbsp;</E>', /unknown entity/],
    ['a character reference to NUL', '<E>&#0;</E>', /unknown entity/],
    ['a bare ampersand', '<E>a & b</E>', /entity/],
    ['an unquoted attribute', '<E a=1/>', /not quoted/],
    ['a DOCTYPE', '<!DOCTYPE E [<!ENTITY x "y">]><E/>', /DOCTYPE/],
    ['nothing at all', '   ', /no root/],
    ['a prototype name', '<E><__proto__>x</__proto__></E>', /__proto__/],
    ['nesting beyond the limit', '<a>'.repeat(40) + '</a>'.repeat(40), /nested deeper/],
  ])('refuses %s', (_what, xml, message) => {
    let caught: unknown;
    try {
      readXml(xml, { ...lists, maxDepth: 32 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(XmlError);
    expect((caught as XmlError).message).toMatch(message);
  });

  it('says on which line reading stopped', () => {
    expect(() => readXml('<E>\n<a>\n</b>\n</E>')).toThrow(expect.objectContaining({ line: 3 }));
  });
});
