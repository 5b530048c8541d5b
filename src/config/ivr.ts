import { Type } from '@sinclair/typebox';
import { Obj } from './types';

/** Voice: rendering of flows and outbound dial (issue 4). */
export const IvrSection = Obj({
  audioBaseUrl: Type.String(),
  publicBaseUrl: Type.String({ description: 'how voice platforms reach this gateway (callback URLs); empty: http://<server.host>:<server.port>' }),
  voices: Type.Record(Type.String(), Type.String(), { description: 'text-to-speech voice per flow language (<Say voice>, VoiceXML <voice name>); a language not listed: the platform default' }),
  provider: Type.String(),
  africastalking: Obj({
    baseUrl: Type.String(),
    username: Type.String(),
    apiKey: Type.String(),
    callerId: Type.String(),
  }),
  twilio: Obj({
    baseUrl: Type.String(),
    accountSid: Type.String({ description: 'AC..., the account whose webhooks and calls these are' }),
    authToken: Type.String({ description: 'signs Twilio webhooks (X-Twilio-Signature) and authenticates outbound calls; unset: every Twilio webhook is 403' }),
    callerId: Type.String({ description: 'the Twilio number outbound calls come from' }),
    languages: Type.Record(Type.String(), Type.String(), { description: '<Say language> per flow language; others are passed as the flow names them' }),
    voice: Type.String({ description: '<Say voice>, e.g. Polly.Joanna; empty: Twilio default' }),
  }),
  maxConcurrentCalls: Type.Integer({ minimum: 1 }),
  callsPerSecond: Type.Number({ exclusiveMinimum: 0 }),
  retry: Obj({
    attempts: Type.Integer({ minimum: 1 }),
    spacingSeconds: Type.Number({ minimum: 0 }),
  }),
  noInputRepeats: Type.Integer({ minimum: 0 }),
  sessionTimeoutSeconds: Type.Integer({ minimum: 30, description: 'a call with no callback this long ends as timeout' }),
  digitTimeoutSeconds: Type.Integer({ minimum: 1 }),
  staleCallSeconds: Type.Integer({ minimum: 60, description: 'a call with no final callback after this long is marked failed and frees its slot' }),
  providerTimeoutSeconds: Type.Number({ exclusiveMinimum: 0, description: 'how long a dial request to the voice provider may take' }),
});

/**
 * The callback base URL when `ivr.publicBaseUrl` is not set: this server's own address (a wildcard
 * listen address is reached on the loopback), so callbacks follow HOST and PORT.
 */
export function defaultPublicBaseUrl(server: { host: string; port: number }): string {
  const wildcard = server.host === '' || server.host === '0.0.0.0' || server.host === '::';
  const host = wildcard ? '127.0.0.1' : server.host.includes(':') ? `[${server.host}]` : server.host;
  return `http://${host}:${server.port}`;
}

/** How voice platforms reach this gateway: `ivr.publicBaseUrl`, or this server's address when it is empty. */
export function publicBaseUrl(config: { ivr: { publicBaseUrl: string }; server: { host: string; port: number } }): string {
  const set = config.ivr.publicBaseUrl.trim();
  return (set === '' ? defaultPublicBaseUrl(config.server) : set).replace(/\/+$/, '');
}
