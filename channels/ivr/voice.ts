/**
 * The voice plan lives in the voice domain (src/voice/voice-plan.ts) so the core service can render
 * without importing a channel; dialects and their tests keep importing it from here, next to the one
 * wire helper every XML dialect shares.
 */
export { audioUrl, keysToInput, renderVoice, type Gather, type Prompt, type VoiceOptions, type VoicePlan } from '../../src/voice/voice-plan';

/** Escapes text for XML content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
