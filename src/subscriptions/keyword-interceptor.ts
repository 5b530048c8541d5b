import type { InboundSms, MoInterceptor } from '../messaging/types';
import type { ServiceCatalog } from './service-catalog';
import type { SubscriptionService } from './subscription-service';

const norm = (s: string): string => s.trim().replace(/\s+/g, ' ').toUpperCase();

/**
 * SMS keywords of subscription services, consumed before the messaging keyword router: a service
 * keyword alone subscribes ("SHAMBA"), an opt-out word followed by it unsubscribes ("STOP SHAMBA",
 * "ACHA SHAMBA"). A bare "STOP" is left to the router (opt-out of all messages).
 */
export function subscriptionKeywordInterceptor(
  subscriptions: Pick<SubscriptionService, 'requestSubscribe' | 'requestUnsubscribe'>,
  catalog: ServiceCatalog,
  stopWords: readonly string[],
): MoInterceptor {
  const stops = [...new Set(stopWords.map(norm))].filter((w) => w !== '').sort((a, b) => b.length - a.length);
  return (mo: InboundSms) => {
    const text = norm(mo.text);
    if (text === '') return false;
    const service = catalog.byKeyword(text, mo.to);
    if (service) {
      subscriptions.requestSubscribe(mo.subscriberId, service.id, 'sms');
      return true;
    }
    for (const w of stops) {
      if (!text.startsWith(`${w} `)) continue;
      const target = catalog.byKeyword(text.slice(w.length + 1), mo.to);
      if (target) {
        subscriptions.requestUnsubscribe(mo.subscriberId, target.id, 'sms');
        return true;
      }
    }
    return false;
  };
}
