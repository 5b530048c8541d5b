import { readFileSync } from 'node:fs';
import type { TestGateway } from './gateway';
import { AUTH } from './gateway';

/** A raw payload from test/fixtures/billing/. */
export const billingFixture = (name: string): string => readFileSync(new URL(`../fixtures/billing/${name}`, import.meta.url), 'utf8');

/** POST /billing/events with a JSON body (an object, or raw text for malformed cases). */
export const postGeneric = (gw: TestGateway, body: object | string) =>
  gw.app.inject({ method: 'POST', url: '/billing/events', headers: { 'content-type': 'application/json' }, payload: typeof body === 'string' ? body : JSON.stringify(body) });

/** POST /billing/africastalking with a raw form body. */
export const postAt = (gw: TestGateway, form: string) =>
  gw.app.inject({ method: 'POST', url: '/billing/africastalking', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form });

/** POST /billing/sdp with a raw SOAP envelope. */
export const postSdp = (gw: TestGateway, xml: string) =>
  gw.app.inject({ method: 'POST', url: '/billing/sdp', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' }, payload: xml });

/** A generic billing event for crop-daily, with overrides. */
export const genericEvent = (o: Record<string, unknown>) => ({ msisdn: '+254711000001', serviceId: 'crop-daily', ...o });

/** The subscriber's subscriptions as GET /api/v1/subscribers/:msisdn shows them ([] when unknown). */
export async function subscriptionsOf(gw: TestGateway, msisdn: string): Promise<Array<Record<string, unknown>>> {
  const r = await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}`, headers: AUTH });
  if (r.statusCode === 404) return [];
  return (r.json() as { subscriptions: Array<Record<string, unknown>> }).subscriptions;
}

/** One subscription with its billing events (GET /api/v1/subscriptions/:id). */
export async function subscriptionDetail(gw: TestGateway, id: string): Promise<Record<string, unknown> & { events: Array<Record<string, unknown>> }> {
  const r = await gw.app.inject({ method: 'GET', url: `/api/v1/subscriptions/${id}`, headers: AUTH });
  return r.json();
}

/** The subscriber's usage log (newest first). */
export async function usageOf(gw: TestGateway, msisdn: string): Promise<Array<Record<string, unknown> & { detail?: Record<string, unknown> }>> {
  const r = await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}/events?limit=1000`, headers: AUTH });
  return r.statusCode === 200 ? r.json() : [];
}
