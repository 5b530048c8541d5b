import type { ChannelFactory } from '../../src/channel';
import { VoiceService } from '../../src/voice/voice-service';
import { africasTalkingVoice } from './africastalking';
import { callbackUrl } from './common';
import type { IvrDialect } from './dialect';
import { voiceProviderFor } from './providers';
import { registerIvrDialect } from './route';
import { twilioVoice } from './twilio';
import { vxmlVoice } from './vxml';

/** Every voice dialect; a new platform is one file plus one line here. */
const dialects: IvrDialect[] = [africasTalkingVoice, vxmlVoice, twilioVoice];

/**
 * The IVR channel: voice callbacks from Africa's Talking, VoiceXML platforms and Twilio (the same flows
 * as USSD, spoken), all through the voice service, and the outbound-call provider it attaches to the
 * core's call queue.
 */
export const ivrChannel: ChannelFactory = (core) => {
  // Built now so that an unknown `ivr.provider` stops start-up instead of failing the first call.
  const provider = voiceProviderFor(core.config.ivr, core.log, { callbackUrl: (path, query) => callbackUrl(core, path, query) });
  const voice = new VoiceService({ config: core.config.ivr, log: core.log, metrics: core.metrics, flows: core.flows, sessions: core.sessions, subscribers: core.subscribers, calls: core.calls, units: core.commits });
  return {
    name: 'ivr',
    routes(app) {
      for (const d of dialects) registerIvrDialect(app, core, voice, d);
    },
    start() {
      core.calls.attachProvider(provider);
    },
  };
};
