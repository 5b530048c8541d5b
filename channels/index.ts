import type { ChannelFactory } from '../src/channel';
import { ussdChannel } from './ussd';
import { ivrChannel } from './ivr';
import { billingChannel } from './billing';
import { smppChannel } from './smpp';
import { smsChannel } from './sms';

/** Every channel of the gateway, in start order. A new channel is one line here. */
export const channelFactories: ChannelFactory[] = [ussdChannel, ivrChannel, billingChannel, smppChannel, smsChannel];
