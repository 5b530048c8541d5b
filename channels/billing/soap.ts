import type { FastifyReply } from 'fastify';

const SOAPENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const SYNC_NS = 'http://www.csapi.org/schema/parlayx/data/sync/v1_0/local';

/** Escapes text for an XML element's content (quotes need no escaping there, and stay readable). */
export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The ParlayX syncOrderRelationResponse the SDP waits for: `result` 0 means "taken, do not retry". */
export function syncOrderRelationResponse(reply: FastifyReply, result: number, description: string): FastifyReply {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<soapenv:Envelope xmlns:soapenv="${SOAPENV}" xmlns:loc="${SYNC_NS}"><soapenv:Header/><soapenv:Body>` +
    `<loc:syncOrderRelationResponse><loc:result>${result}</loc:result><loc:resultDescription>${xmlEscape(description)}</loc:resultDescription></loc:syncOrderRelationResponse>` +
    `</soapenv:Body></soapenv:Envelope>`;
  return reply.type('text/xml; charset=utf-8').send(body);
}

/** A SOAP 1.1 Fault (Client: the sender must fix the request) with our error code in `detail`. */
export function soapFault(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<soapenv:Envelope xmlns:soapenv="${SOAPENV}"><soapenv:Body><soapenv:Fault>` +
    `<faultcode>soapenv:Client</faultcode><faultstring>${xmlEscape(message)}</faultstring><detail><code>${xmlEscape(code)}</code></detail>` +
    `</soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
  return reply.status(status).type('text/xml; charset=utf-8').send(body);
}
