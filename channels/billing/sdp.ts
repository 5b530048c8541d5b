import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { badRequest } from '../../src/lib/errors';
import type { BillingNotification, OperatorEventType } from '../../src/subscriptions/types';
import type { BillingDialect, BillingParseContext } from './dialect';
import { msisdnField } from '../../src/lib/fields';
import { soapFault, syncOrderRelationResponse } from './soap';

type Node = Record<string, unknown>;

// Namespaces vary by platform (loc:, ns1:, ns2:, none): strip them. Ids keep leading zeros, so no
// number parsing. key/value/item are lists in every variant seen (item pairs and flat namedParameters).
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === 'item' || name === 'key' || name === 'value',
  // isArray reads only the tag name: without this the parser renders the element's path as a string
  // for every callback, a visible share of each notification's parse.
  jPath: false,
});

/**
 * The parser refuses some documents the validator passed (nesting deeper than it allows, entity
 * expansion limits): those are the sender's fault, a 400 like any other malformed XML.
 */
function parseXml(raw: string): Node {
  try {
    return parser.parse(raw) as Node;
  } catch (err) {
    throw badRequest('INVALID_XML', `The body could not be read as XML: ${String((err as Error).message ?? err).slice(0, 120)}.`);
  }
}

const DAY = 86_400_000;
const asNode = (v: unknown): Node | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Node) : null);
const text = (v: unknown): string | null => {
  const x: unknown = Array.isArray(v) ? v[0] : v;
  if (typeof x === 'string') return x;
  if (typeof x === 'number') return String(x);
  return null;
};

/** yyyyMMddHHmmss (UTC, as the SDP sends it) to epoch ms; null when it is not one. */
export function parseSdpTime(v: string | null): number | null {
  const m = v ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/.exec(v) : null;
  if (!m) return null;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
  return Number.isFinite(t) && new Date(t).getUTCMonth() === +m[2]! - 1 ? t : null;
}

/** extensionInfo as a map: `<item><key/><value/></item>` pairs, or flat `<namedParameters>` key/value lists. */
export function extensionInfo(ext: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const node = asNode(ext);
  if (!node) return out;
  const put = (k: string | null, v: string | null) => {
    if (k && Object.keys(out).length < 64) out[k.slice(0, 64)] = (v ?? '').slice(0, 200);
  };
  for (const item of Array.isArray(node.item) ? node.item : []) {
    const i = asNode(item);
    if (i) put(text(i.key), text(i.value));
  }
  const named = asNode(node.namedParameters);
  if (named && Array.isArray(named.key)) {
    const values = Array.isArray(named.value) ? named.value : [];
    named.key.forEach((k, idx) => put(text(k), text(values[idx])));
  }
  return out;
}

/**
 * extensionInfo keyed case-insensitively (platforms write transactionID and TransactionID): the first
 * key in document order wins. Built once per notification, so each lookup is one map read.
 */
function caseless(info: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of Object.keys(info)) {
    const lower = k.toLowerCase();
    if (!out.has(lower)) out.set(lower, info[k]!);
  }
  return out;
}

/**
 * Maps one syncOrderRelation to a billing notification (the mapping table is in docs/billing.md):
 * updateType 1 -> subscribed, 2 -> unsubscribed, 3 -> renewed / renewal_failed / suspended by
 * `rentSuccess` and `serviceAvailability`; `transactionID` is the idempotency key.
 */
export function mapSyncOrderRelation(sor: Node, ctx: BillingParseContext): BillingNotification {
  const user = asNode(sor.userID);
  const rawId = text(user?.ID);
  if (!rawId) throw badRequest('MISSING_FIELD', 'syncOrderRelation has no userID.ID.');
  const msisdn = msisdnField(rawId, 'userID.ID', ctx.normalize);
  const productID = text(sor.productID);
  const serviceID = text(sor.serviceID);
  const service = ctx.catalog.bySdp(productID, serviceID);
  if (!service) {
    throw badRequest('UNKNOWN_SERVICE', `No service is configured for SDP productID ${productID ?? '(none)'} / serviceID ${serviceID ?? '(none)'} (known: ${ctx.catalog.known()}).`);
  }
  const updateType = text(sor.updateType);
  if (updateType !== '1' && updateType !== '2' && updateType !== '3') {
    throw badRequest('INVALID_FIELD', `updateType "${(updateType ?? '').slice(0, 8)}" must be 1 (addition), 2 (deletion) or 3 (modification).`);
  }
  const updateTime = text(sor.updateTime);
  const at = parseSdpTime(updateTime);
  if (at === null) throw badRequest('INVALID_FIELD', `updateTime "${(updateTime ?? '').slice(0, 20)}" is not yyyyMMddHHmmss.`);
  const info = extensionInfo(sor.extensionInfo);
  const byKey = caseless(info);
  // Keys are given in lower case.
  const ext = (key: string): string | null => byKey.get(key) ?? null;
  const rent = ext('rentsuccess')?.toLowerCase() ?? null;
  const rentSuccess = rent === null ? null : rent === 'true' || rent === '1';
  const free = ext('isfreeperiod')?.toLowerCase() === 'true';
  const feeText = ext('fee');
  const fee = feeText !== null && /^\d+(\.\d+)?$/.test(feeText) ? Number(feeText) / ctx.feeDivisor : 0;
  // A fee of 0 or none means the platform does not state it: the service price was charged.
  const charged = free ? 0 : fee > 0 ? fee : null;

  let type: OperatorEventType;
  let amount: number | null = null;
  if (updateType === '1') {
    type = 'subscribed';
    amount = rentSuccess === false ? 0 : charged;
  } else if (updateType === '2') {
    type = 'unsubscribed';
  } else {
    if (rentSuccess === null) throw badRequest('MISSING_FIELD', 'updateType 3 (modification) needs extensionInfo rentSuccess (true or false).');
    if (rentSuccess) {
      type = 'renewed';
      amount = charged;
    } else {
      type = ext('serviceavailability') === '1' ? 'suspended' : 'renewal_failed';
    }
  }
  // nextChargeTime is the next renewal; cycleEndTime too unless it is a far-future "no end" marker.
  const next = parseSdpTime(ext('nextchargetime'));
  const cycleEnd = parseSdpTime(ext('cycleendtime'));
  const nextRenewalAt = next ?? (cycleEnd !== null && cycleEnd > at && cycleEnd - at <= 62 * DAY ? cycleEnd : null);
  const autoExtend = ext('isautoextend');
  const idKey = ext('transactionid') ?? ext('traceuniqueid');
  // Without a transactionID the notification's identity is what it says, so a retry still matches.
  const eventId = idKey ?? createHash('sha256').update([rawId, productID, serviceID, updateType, updateTime].join('|')).digest('hex').slice(0, 32);
  const reason = ext('updatereason') ?? text(sor.updateDesc);
  return {
    source: 'sdp',
    eventId,
    msisdn,
    serviceId: service.id,
    type,
    at,
    amount,
    reason: reason ? reason.slice(0, 200) : null,
    nextRenewalAt,
    autoRenew: autoExtend === '0' ? false : autoExtend === '1' ? true : null,
    detail: {
      spID: text(sor.spID),
      productID,
      serviceID,
      updateType: Number(updateType),
      updateDesc: text(sor.updateDesc),
      ...(idKey ? {} : { derivedId: true }),
      extensionInfo: info,
    },
  };
}

/**
 * ParlayX Data Sync `syncOrderRelation` as Huawei SDP platforms send it (SOAP 1.1). Answered with a
 * syncOrderRelationResponse `result` 0 when taken (a retry included); anything wrong gets a SOAP Fault
 * with a 4xx and changes nothing.
 */
export const sdpBilling: BillingDialect = {
  name: 'sdp',
  path: '/billing/sdp',
  contentTypes: ['text/xml', 'application/xml', 'application/soap+xml'],
  parse(req: FastifyRequest, ctx) {
    const raw = typeof req.body === 'string' ? req.body : '';
    if (raw.trim() === '') throw badRequest('INVALID_BODY', 'The body is empty; a SOAP envelope with syncOrderRelation is expected.');
    if (/<!DOCTYPE/i.test(raw)) throw badRequest('INVALID_XML', 'SOAP messages must not carry a DOCTYPE.');
    const valid = XMLValidator.validate(raw);
    if (valid !== true) throw badRequest('INVALID_XML', `The body is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}).`);
    const doc = parseXml(raw);
    const body = asNode(asNode(doc.Envelope)?.Body);
    if (!body) throw badRequest('INVALID_SOAP', 'The body is not a SOAP envelope (no Envelope/Body).');
    const sor = asNode(body.syncOrderRelation);
    if (!sor) {
      const op = Object.keys(body)[0] ?? '(empty)';
      throw badRequest('UNSUPPORTED_OPERATION', `Only syncOrderRelation is handled here, not ${op.slice(0, 60)}.`);
    }
    return mapSyncOrderRelation(sor, ctx);
  },
  render(reply) {
    return syncOrderRelationResponse(reply, 0, 'OK');
  },
  renderError(reply, err) {
    return soapFault(reply, err.status, err.code, err.message);
  },
};
