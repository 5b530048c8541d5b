import type { Logger } from '../../../src/lib/logger';
import { ProviderError, type ProviderOutcome, type Service, type SubscriptionProvider } from '../../../src/subscriptions/types';

export interface AtSubscriptionConfig {
  /** Checkout tokens: https://api.africastalking.com (sandbox: https://api.sandbox.africastalking.com). */
  apiBaseUrl: string;
  /** Subscription create/delete: https://content.africastalking.com (sandbox: the api host). */
  contentBaseUrl: string;
  username: string;
  apiKey: string;
  timeoutMs: number;
}

const trimSlash = (u: string): string => u.replace(/\/+$/, '');
// A field of the provider's JSON answer as text for a message: an object shows as JSON, not `[object Object]`.
const said = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : JSON.stringify(v));

/**
 * Africa's Talking premium SMS subscriptions API: create (a checkout token for the number, then
 * `POST /version1/subscription/create`, which raises the operator's confirmation prompt) and delete
 * (`POST /version1/subscription/delete`). Form bodies, `apiKey` header, JSON answers whose `status`
 * is Success or Failed. Network errors, timeouts, 429 and 5xx are temporary; Failed and other 4xx are not.
 */
export function africasTalkingSubscriptions(cfg: AtSubscriptionConfig, log: Logger): SubscriptionProvider {
  const l = log.child({ comp: 'billing', provider: 'africastalking' });

  async function post(url: string, form: Record<string, string>, auth: boolean): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(auth ? { apiKey: cfg.apiKey } : {}) },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(cfg.timeoutMs),
      });
    } catch (err) {
      throw new ProviderError(`Africa's Talking did not answer: ${(err as Error).message}`, true);
    }
    const text = await res.text().catch(() => '');
    if (res.status === 429 || res.status >= 500) throw new ProviderError(`Africa's Talking answered ${res.status}`, true);
    if (res.status >= 400) throw new ProviderError(`Africa's Talking refused the request (${res.status}): ${text.slice(0, 200)}`, false);
    try {
      const body = JSON.parse(text) as unknown;
      if (typeof body === 'object' && body !== null) return body as Record<string, unknown>;
    } catch {
      // fall through: not JSON
    }
    throw new ProviderError(`Africa's Talking answered ${res.status} with something that is not JSON`, true);
  }

  const ids = (service: Service) => {
    const at = service.operators.africastalking;
    if (!at?.shortCode || !at.keyword) throw new ProviderError(`service ${service.id} has no Africa's Talking short code and keyword`, false);
    return { shortCode: at.shortCode, keyword: at.keyword };
  };

  const outcome = (body: Record<string, unknown>, what: string): ProviderOutcome => {
    const status = said(body.status);
    const description = said(body.description);
    if (status.toLowerCase() !== 'success') throw new ProviderError(`${what} failed: ${status || 'no status'} ${description}`.trim(), false);
    return { detail: `${what}: ${description || status}` };
  };

  return {
    name: 'africastalking',
    handles: (service) => Boolean(service.operators.africastalking?.shortCode && service.operators.africastalking.keyword),
    async subscribe(msisdn, service) {
      const { shortCode, keyword } = ids(service);
      const token = await post(`${trimSlash(cfg.apiBaseUrl)}/checkout/token/create`, { phoneNumber: msisdn }, false);
      if (said(token.description).toLowerCase() !== 'success' || typeof token.token !== 'string') {
        // Tokens are rate-limited per source address (2 per 5 minutes): worth another try later.
        throw new ProviderError(`checkout token refused: ${said(token.description) || 'no description'}`, true);
      }
      const body = await post(
        `${trimSlash(cfg.contentBaseUrl)}/version1/subscription/create`,
        { username: cfg.username, shortCode, keyword, phoneNumber: msisdn, checkoutToken: token.token },
        true,
      );
      l.debug({ msisdn, service: service.id }, 'subscription create answered');
      return outcome(body, 'create');
    },
    async unsubscribe(msisdn, service) {
      const { shortCode, keyword } = ids(service);
      const body = await post(`${trimSlash(cfg.contentBaseUrl)}/version1/subscription/delete`, { username: cfg.username, shortCode, keyword, phoneNumber: msisdn }, true);
      l.debug({ msisdn, service: service.id }, 'subscription delete answered');
      return outcome(body, 'delete');
    },
  };
}
