import { Type } from '@sinclair/typebox';
import { Obj } from './types';

/** Voice: rendering of flows and outbound dial (issue 4). */
export const IvrSection = Obj({
  audioBaseUrl: Type.String({ default: '' }),
  publicBaseUrl: Type.String({ default: 'http://127.0.0.1:3000', description: 'how voice platforms reach this gateway (callback URLs)' }),
  provider: Type.String({ default: 'africastalking' }),
  africastalking: Obj({
    baseUrl: Type.String({ default: 'https://voice.africastalking.com' }),
    username: Type.String({ default: 'sandbox' }),
    apiKey: Type.String({ default: '' }),
    callerId: Type.String({ default: '' }),
  }),
  twilio: Obj({
    baseUrl: Type.String({ default: 'https://api.twilio.com' }),
    accountSid: Type.String({ default: '', description: 'AC..., the account whose webhooks and calls these are' }),
    authToken: Type.String({ default: '', description: 'signs Twilio webhooks (X-Twilio-Signature) and authenticates outbound calls; unset: every Twilio webhook is 403' }),
    callerId: Type.String({ default: '', description: 'the Twilio number outbound calls come from' }),
    languages: Type.Record(Type.String(), Type.String(), { default: { en: 'en-US' }, description: '<Say language> per flow language; others are passed as the flow names them' }),
    voice: Type.String({ default: '', description: '<Say voice>, e.g. Polly.Joanna; empty: Twilio default' }),
  }),
  maxConcurrentCalls: Type.Integer({ minimum: 1, default: 10 }),
  callsPerSecond: Type.Number({ exclusiveMinimum: 0, default: 5 }),
  retry: Obj({
    attempts: Type.Integer({ minimum: 1, default: 3 }),
    spacingSeconds: Type.Number({ minimum: 0, default: 1800 }),
  }),
  noInputRepeats: Type.Integer({ minimum: 0, default: 2 }),
  sessionTimeoutSeconds: Type.Integer({ minimum: 30, default: 900, description: 'a call with no callback this long ends as timeout' }),
  digitTimeoutSeconds: Type.Integer({ minimum: 1, default: 10 }),
  staleCallSeconds: Type.Integer({ minimum: 60, default: 3600, description: 'a call with no final callback after this long is marked failed and frees its slot' }),
  providerTimeoutSeconds: Type.Number({ exclusiveMinimum: 0, default: 15, description: 'how long a dial request to the voice provider may take' }),
});
