import type { CallOutcome } from '../calls/call-service';
import type { HopInput } from '../sessions/session-service';
import type { VoicePlan } from './voice-plan';

/** Who placed the call: the subscriber (inbound) or the call queue through a provider (outbound). */
export type CallDirection = 'inbound' | 'outbound';

/** How a dialect names the caller and called fields, so a 400 speaks the platform's own words. */
export interface PartyFieldNames {
  caller: string;
  called: string;
}

/**
 * A voice platform's request about one call, as every dialect normalizes it. `callRef` is the
 * platform's id of the call (Africa's Talking sessionId, Twilio CallSid, the VoiceXML session).
 */
export type VoiceRequest =
  /**
   * The platform fetches what to say next: the first request of a call (inbound, or an answered
   * outbound call) or a later one, with the keys pressed (`digits`) or none (no input).
   */
  | {
      kind: 'call';
      callRef: string;
      direction: CallDirection;
      /** Raw numbers as the platform sent them. */
      caller: string | null;
      called: string | null;
      /** Our call id when the platform echoes it (Africa's Talking clientRequestId, Twilio ?callId=). */
      callId: string | null;
      digits: string | null;
      /** Our own caller id for outbound calls: that party is never the subscriber. */
      ownNumber?: string;
      fields?: PartyFieldNames;
    }
  /** Keys (or an event read as keys) for a call that must already have a session; unknown calls are 404. */
  | { kind: 'keys'; callRef: string; input: HopInput }
  /** The caller hung up while the platform still talks to us (VoiceXML catch); unknown calls are 404. */
  | { kind: 'hangup'; callRef: string }
  /**
   * The platform's final word on a call (Africa's Talking isActive=0, Twilio final status callback):
   * closes the session and reports the outcome of a queued outbound call.
   */
  | {
      kind: 'ended';
      callRef: string;
      direction: CallDirection;
      caller: string | null;
      called: string | null;
      callId: string | null;
      ownNumber?: string;
      outcome: Omit<CallOutcome, 'providerRef'>;
    };

/** What the voice service decided; a dialect writes it in its wire format. */
export type VoiceAnswer =
  /** Say the plan and (unless it is final) collect keys for this call. */
  | { kind: 'plan'; callRef: string; plan: VoicePlan }
  /** No flow answers the number called: refuse the call. */
  | { kind: 'reject'; called: string }
  /** Nothing more to say: the call is over (or must be hung up). */
  | { kind: 'done' };
