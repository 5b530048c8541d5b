import type { ChannelFactory } from '../../src/channel';
import { africasTalkingUssd } from './africastalking';
import { jsonUssd } from './json';
import { registerUssdDialect } from './route';
import type { UssdDialect } from './dialect';

/** Every USSD dialect; a new aggregator is one file plus one line here. */
const dialects: UssdDialect[] = [africasTalkingUssd, jsonUssd];

/** The USSD channel: HTTP callbacks from aggregators, one route per dialect. */
export const ussdChannel: ChannelFactory = (core) => ({
  name: 'ussd',
  routes(app) {
    for (const d of dialects) registerUssdDialect(app, core, d);
  },
});
