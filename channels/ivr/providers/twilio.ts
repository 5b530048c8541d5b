import type { Config } from '../../../src/config';
import type { Logger } from '../../../src/lib/logger';
import { CallProviderError, type PlaceCallRequest, type PlaceCallResult, type VoiceProvider } from '../../../src/calls/provider';
import type { ProviderContext } from './index';

interface TwilioCallReply {
  sid?: string;
  status?: string;
  code?: number;
  message?: string;
}

// Twilio error codes that name a problem with this number or account: trying again will not help.
const PERMANENT: Record<number, string> = {
  21211: 'invalid_number', // invalid 'To' phone number
  21214: 'invalid_number', // 'To' number cannot be reached
  21215: 'destination_not_supported', // geo permissions forbid the destination
  21216: 'destination_not_supported', // the account may not call this number
  21210: 'provider_not_configured', // 'From' is not a number of this account
  21212: 'provider_not_configured', // invalid 'From' number
  20003: 'provider_auth',
};

/**
 * Twilio voice: `POST {baseUrl}/2010-04-01/Accounts/{accountSid}/Calls.json` with basic auth
 * (account SID, auth token) and form `To, From, Url, Method, StatusCallback, StatusCallbackMethod`.
 * `Url` and `StatusCallback` both point at /ivr/twilio carrying our call id, so the answered call and
 * its final status find their queued call even before the reply's `sid` is stored.
 */
export function twilioVoiceProvider(cfg: Config['ivr'], log: Logger, ctx: ProviderContext): VoiceProvider {
  const tw = cfg.twilio;
  const plog = log.child({ comp: 'voice-provider', provider: 'twilio' });
  return {
    name: 'twilio',
    async placeCall(req: PlaceCallRequest): Promise<PlaceCallResult> {
      if (!tw.accountSid || !tw.authToken) throw new CallProviderError('ivr.twilio.accountSid and authToken must be set.', false, 'provider_not_configured');
      if (!tw.callerId) throw new CallProviderError('ivr.twilio.callerId is not set.', false, 'provider_not_configured');
      const url = `${tw.baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(tw.accountSid)}/Calls.json`;
      const webhook = ctx.callbackUrl('/ivr/twilio', { callId: req.callId });
      const body = new URLSearchParams({ To: req.to, From: tw.callerId, Url: webhook, Method: 'POST', StatusCallback: webhook, StatusCallbackMethod: 'POST' });
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${tw.accountSid}:${tw.authToken}`).toString('base64')}`,
            accept: 'application/json',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body,
          signal: AbortSignal.timeout(cfg.providerTimeoutSeconds * 1000),
        });
      } catch (err) {
        throw new CallProviderError(`Twilio did not answer: ${(err as Error).message}`, true, 'provider_unreachable');
      }
      const text = await res.text().catch(() => '');
      let reply: TwilioCallReply = {};
      try {
        reply = JSON.parse(text) as TwilioCallReply;
      } catch {
        if (res.ok) throw new CallProviderError(`Twilio answered something that is not JSON: ${text.slice(0, 100)}`, true, 'provider_bad_reply');
      }
      if (res.status === 401 || res.status === 403) throw new CallProviderError(`Twilio refused the credentials (HTTP ${res.status}).`, false, 'provider_auth');
      if (res.status === 429 || res.status >= 500) throw new CallProviderError(`Twilio answered HTTP ${res.status}.`, true, 'provider_unavailable');
      if (res.status >= 400) {
        const code = reply.code !== undefined ? PERMANENT[reply.code] : undefined;
        throw new CallProviderError(`Twilio rejected the call (HTTP ${res.status}, code ${reply.code ?? '?'}): ${String(reply.message ?? text).slice(0, 200)}`, false, code ?? 'provider_rejected');
      }
      if (!reply.sid) throw new CallProviderError('Twilio accepted the call but gave no sid.', true, 'provider_bad_reply');
      plog.debug({ callId: req.callId, providerRef: reply.sid, status: reply.status }, 'call queued at the provider');
      return { providerRef: reply.sid };
    },
  };
}
