import type { ChannelFactory } from '../../src/channel';
import { registerAfricasTalkingVoice } from './africastalking';
import { voiceProviderFor } from './providers';
import { registerVxml } from './vxml';

/**
 * The IVR channel: voice callbacks from Africa's Talking and VoiceXML platforms (the same flows as
 * USSD, spoken), and the outbound-call provider it attaches to the core's call queue.
 */
export const ivrChannel: ChannelFactory = (core) => {
  // Built now so that an unknown `ivr.provider` stops start-up instead of failing the first call.
  const provider = voiceProviderFor(core.config.ivr, core.log);
  return {
    name: 'ivr',
    routes(app) {
      registerAfricasTalkingVoice(app, core);
      registerVxml(app, core);
    },
    start() {
      core.calls.attachProvider(provider);
    },
  };
};
