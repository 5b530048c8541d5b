import type { ChannelFactory } from '../src/channel';
import { ussdChannel } from './ussd';

/** Every channel of the gateway, in start order. A new channel is one line here. */
export const channelFactories: ChannelFactory[] = [ussdChannel];
