import type { Tx } from '../db/database';
import type { InboundSms, MoInterceptor } from '../messaging/types';
import type { ServiceCatalog } from './service-catalog';
import type { SubscriptionService } from './subscription-service';

const norm = (s: string): string => s.trim().replace(/\s+/g, ' ').toUpperCase();

/**
 * SMS keywords of subscription services, consumed before the messaging keyword router: a service
 * keyword alone subscribes ("SHAMBA"), an opt-out word followed by it unsubscribes ("STOP SHAMBA",
 * "ACHA SHAMBA"). A bare "STOP" is left to the router (opt-out of all messages). The request is
 * written in the MO's unit, with the confirmation SMS and the operator call it queues.
 */
export function subscriptionKeywordInterceptor(
  subscriptions: Pick<SubscriptionService, 'requestSubscribeIn' | 'requestUnsubscribeIn'>,
  catalog: ServiceCatalog,
  stopWords: readonly string[],
): MoInterceptor {
  const stops = [...new Set(stopWords.map(norm))].filter((w) => w !== '').sort((a, b) => b.length - a.length);
  return async (mo: InboundSms, tx: Tx) => {
    const text = norm(mo.text);
    if (text === '') return false;
    const service = catalog.byKeyword(text, mo.to);
    if (service) {
      await subscriptions.requestSubscribeIn(mo.subscriberId, service.id, 'sms', tx);
      return true;
    }
    for (const w of stops) {
      if (!text.startsWith(`${w} `)) continue;
      const target = catalog.byKeyword(text.slice(w.length + 1), mo.to);
      if (target) {
        await subscriptions.requestUnsubscribeIn(mo.subscriberId, target.id, 'sms', tx);
        return true;
      }
    }
    return false;
  };
}
