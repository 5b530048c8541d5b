import type { Config } from '../../../src/config';
import { ConfigError } from '../../../src/lib/errors';
import type { Logger } from '../../../src/lib/logger';
import type { VoiceProvider } from '../../../src/calls/provider';
import { africasTalkingVoiceProvider } from './africastalking';
import { twilioVoiceProvider } from './twilio';

/** What a provider may need from the channel besides its config. */
export interface ProviderContext {
  /** The URL the provider's platform calls back on for `path` (public base URL and callback secret). */
  callbackUrl(path: string, query?: Record<string, string>): string;
}

/** Outbound-call providers by the name `ivr.provider` gives; another provider is one file plus one line here. */
const providers: Record<string, (cfg: Config['ivr'], log: Logger, ctx: ProviderContext) => VoiceProvider> = {
  africastalking: africasTalkingVoiceProvider,
  twilio: twilioVoiceProvider,
};

/** The provider `ivr.provider` names; an unknown name stops start-up. */
export function voiceProviderFor(cfg: Config['ivr'], log: Logger, ctx: ProviderContext): VoiceProvider {
  const make = providers[cfg.provider];
  if (!make) throw new ConfigError(`invalid config key ivr.provider: unknown voice provider "${cfg.provider}" (known: ${Object.keys(providers).join(', ')})`);
  return make(cfg, log, ctx);
}
