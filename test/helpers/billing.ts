import { readFileSync } from 'node:fs';
import { beforeEach } from 'vitest';
import type { TestGateway } from './gateway';
import { AUTH, stopAfterEach, testGateway } from './gateway';

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

/** The billing tests' calendar: day 0 is 2026-11-01 06:00 UTC; `billingDayIso(n)` is n days later. */
export const BILLING_HOUR = 3_600_000;
export const BILLING_DAY = 24 * BILLING_HOUR;
export const BILLING_T0 = Date.parse('2026-11-01T06:00:00Z');
export const billingDayIso = (day: number): string => new Date(BILLING_T0 + day * BILLING_DAY).toISOString();
/** The lifecycle windows the billing tests run with (short, so a test walks a whole life). */
export const BILLING_WINDOWS = { graceDays: 3, suspendDays: 10, missedRenewalHours: 24 };

/** A gateway on day 0 with the test lifecycle windows, started before and stopped after each test. */
export function lifecycleGatewayEach(): { readonly gw: TestGateway } {
  const holder: { gw: TestGateway } = { gw: null as unknown as TestGateway };
  beforeEach(async () => {
    holder.gw = await testGateway({ billing: BILLING_WINDOWS }, { now: billingDayIso(0) });
  });
  stopAfterEach(() => [holder.gw]);
  return holder;
}
