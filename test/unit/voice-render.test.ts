import { describe, expect, it } from 'vitest';
import { loadFlows } from '../../src/engine/flow-loader';
import { start, step } from '../../src/engine/engine';
import type { Flow, Lang, StepContext } from '../../src/engine/types';
import { audioUrl, keysToInput, renderVoice, type Prompt } from '../../channels/ivr/voice';

const flows = loadFlows('test/fixtures/ivr/flows').flows;
const demo = loadFlows('flows').flows.find((f) => f.id === 'crop-advice')!;
const voiceFlow = flows.find((f) => f.id === 'voice-test')!;
const BASE = 'https://cdn.example.org/audio/';

const ctx = (language: Lang | null): StepContext => ({ language, maxChars: Infinity, maxInvalid: 3 });

/** The screen after pressing `keys` from the start, as a voice caller with `lang` stored. */
function screenAfter(flow: Flow, lang: Lang | null, keys: string[]) {
  let r = start(flow, ctx(lang));
  for (const k of keys) r = step(flow, r.state, k, ctx(lang));
  return r.screen;
}

const spoken = (prompts: Prompt[]) => prompts.map((p) => (p.kind === 'say' ? p.text : `[play ${p.url}]`)).join(' ');

describe('voice rendering of flow screens', () => {
  it('speaks a menu without audio as "For maize, press 1." per option, in the subscriber\'s language', () => {
    const en = renderVoice(screenAfter(demo, 'en', ['1']), demo, { audioBaseUrl: BASE });
    expect(spoken(en.prompts)).toContain('Choose a crop');
    expect(spoken(en.prompts)).toContain('For Maize, press 1. For Beans, press 2. For Cassava, press 3.');
    expect(spoken(en.prompts)).toContain('press star');
    expect(en.gather).toEqual({ numDigits: 1, finishOnKey: '#', keys: ['1', '2', '3', '0', '*'] });

    const sw = renderVoice(screenAfter(demo, 'sw', ['1']), demo, { audioBaseUrl: BASE });
    expect(sw.lang).toBe('sw');
    expect(spoken(sw.prompts)).toContain('Bonyeza 1 kwa Mahindi. Bonyeza 2 kwa Maharage.');
    // Back and repeat read as actions, verb first: never "Kwa Rudi, bonyeza 0".
    expect(spoken(sw.prompts)).toContain('Bonyeza 0 kurudi. Bonyeza nyota kusikiliza tena.');
    expect(spoken(sw.prompts)).not.toMatch(/Kwa Rudi/);
    expect(spoken(sw.prompts)).toContain('nyota');
  });

  it('does not offer back (0) on the start menu, but offers it below', () => {
    const main = renderVoice(screenAfter(demo, 'en', []), demo, { audioBaseUrl: BASE });
    expect(main.gather!.keys).not.toContain('0');
    expect(spoken(main.prompts)).not.toContain('press 0');
    const below = renderVoice(screenAfter(demo, 'en', ['2']), demo, { audioBaseUrl: BASE });
    expect(below.gather!.keys).toContain('0');
    expect(spoken(below.prompts)).toContain('To go back, press 0.');
  });

  it('plays a menu recording instead of generated text when the flow names one for the language', () => {
    const en = renderVoice(screenAfter(voiceFlow, 'en', []), voiceFlow, { audioBaseUrl: BASE });
    expect(en.prompts[0]).toEqual({ kind: 'play', url: 'https://cdn.example.org/audio/dairy/main-en.mp3', fallback: 'Dairy advice', lang: 'en' });
    expect(spoken(en.prompts)).not.toContain('press 1');
    // Swahili has no recording: the menu is spoken, with the voice-only label of option 2.
    const sw = renderVoice(screenAfter(voiceFlow, 'sw', []), voiceFlow, { audioBaseUrl: BASE });
    expect(sw.prompts.every((p) => p.kind === 'say')).toBe(true);
    expect(spoken(sw.prompts)).toContain("Bonyeza 2 kwa idadi ya ng'ombe unaowakamua.");
  });

  it('plays content audio, then offers star to repeat and 0 to go back', () => {
    const en = renderVoice(screenAfter(voiceFlow, 'en', ['1']), voiceFlow, { audioBaseUrl: BASE });
    expect(en.prompts[0]).toMatchObject({ kind: 'play', url: 'https://cdn.example.org/audio/dairy/feeding-en.mp3' });
    expect(spoken(en.prompts)).toContain('To hear this again, press star. To go back, press 0.');
    const sw = renderVoice(screenAfter(voiceFlow, 'sw', ['1']), voiceFlow, { audioBaseUrl: BASE });
    // No Swahili recording: the voice text (no abbreviations) is spoken rather than the written text.
    expect(spoken(sw.prompts)).toContain('Toa kilo moja ya chakula');
    expect(spoken(sw.prompts)).not.toContain('kilo 1');
  });

  it('collects free digits ended by # on an input without choices', () => {
    const plan = renderVoice(screenAfter(voiceFlow, 'en', ['2']), voiceFlow, { audioBaseUrl: BASE });
    expect(plan.gather).toEqual({ numDigits: null, finishOnKey: '#', keys: [] });
    expect(spoken(plan.prompts)).toContain('then press hash');
  });

  it('offers each language in itself on the language menu', () => {
    const plan = renderVoice(screenAfter(demo, null, []), demo, { audioBaseUrl: BASE });
    const says = plan.prompts.filter((p): p is Extract<Prompt, { kind: 'say' }> => p.kind === 'say');
    expect(says.find((p) => p.text.includes('Choose language. For English, press 1.'))?.lang).toBe('en');
    expect(says.find((p) => p.text.includes('Chagua lugha. Bonyeza 2 kwa Kiswahili.'))?.lang).toBe('sw');
  });

  it('says the invalid-choice notice before the repeated prompt', () => {
    const plan = renderVoice(screenAfter(demo, 'en', ['7']), demo, { audioBaseUrl: BASE });
    expect(plan.prompts[0]).toMatchObject({ kind: 'say' });
    expect(spoken(plan.prompts).startsWith('Invalid choice.')).toBe(true);
  });

  it('ends with the final text and no key collection on an END screen', () => {
    const plan = renderVoice(screenAfter(voiceFlow, 'en', ['2', '4']), voiceFlow, { audioBaseUrl: BASE });
    expect(plan.gather).toBeNull();
    expect(spoken(plan.prompts)).toBe('Thank you. Goodbye.');
  });
});

describe('keys and audio URLs', () => {
  it('maps * to a repeat, nothing to no input, and strips the finishing #', () => {
    expect(keysToInput('*')).toEqual({ latest: null });
    expect(keysToInput('')).toEqual({ noInput: true });
    expect(keysToInput(undefined)).toEqual({ noInput: true });
    expect(keysToInput('#')).toEqual({ noInput: true });
    expect(keysToInput('12#')).toEqual({ latest: '12' });
  });

  it('joins relative audio names to the base URL and keeps absolute ones', () => {
    expect(audioUrl('https://cdn.example.org/audio/', 'a/b.mp3')).toBe('https://cdn.example.org/audio/a/b.mp3');
    expect(audioUrl('https://cdn.example.org/audio', '/a.mp3')).toBe('https://cdn.example.org/audio/a.mp3');
    expect(audioUrl(BASE, 'https://other.example/x.wav')).toBe('https://other.example/x.wav');
  });
});
