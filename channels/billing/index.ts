import type { ChannelFactory } from '../../src/channel';
import { africasTalkingBilling } from './africastalking';
import type { BillingDialect } from './dialect';
import { genericBilling } from './generic';
import { africasTalkingSubscriptions } from './providers/africastalking';
import { registerBillingDialect } from './route';
import { sdpBilling } from './sdp';

/** Every billing notification dialect; a new platform is one file plus one line here. */
const dialects: BillingDialect[] = [genericBilling, africasTalkingBilling, sdpBilling];

/**
 * The billing channel: operators' billing notifications (one route per dialect) and, when configured,
 * the operator subscription APIs the subscriptions domain calls on subscribe/unsubscribe requests.
 */
export const billingChannel: ChannelFactory = (core) => {
  const at = core.config.billing.africastalking;
  if (at.enabled) core.subscriptions.attachProvider(africasTalkingSubscriptions(at, core.log));
  return {
    name: 'billing',
    routes(app) {
      for (const d of dialects) registerBillingDialect(app, core, d);
    },
  };
};
