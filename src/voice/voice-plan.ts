import { fillTemplate, systemMessage, systemText } from '../engine/system-messages';
import type { Flow, Lang, Screen } from '../engine/types';

/**
 * Voice rendering of engine screens, shared by every voice dialect (Africa's Talking XML, VoiceXML, TwiML).
 * A screen becomes a list of prompts (an audio file to play, or text to speak, in the subscriber's
 * language) and, unless the call ends, which keys to collect.
 *
 * - A menu plays its audio file when the flow names one for this language (the recording speaks the
 *   whole menu, options included); otherwise its spoken text and "For maize, press 1." per option
 *   ("Bonyeza 1 kwa Mahindi." in Swahili: each language's own word order, from the flow's system texts).
 * - Content plays its audio or says its text, then offers `*` to repeat and `0` to go back.
 * - Every interactive screen offers `*` (repeat); screens below the start offer `0` (back). Voice has no
 *   `00` (home) and no `98` (more): there is no page limit to split a menu, and a single key is read at
 *   once without waiting for a second digit.
 */

/** `voice`: the text-to-speech voice configured for the prompt's language (ivr.voices), when one is. */
export type Prompt = { kind: 'play'; url: string; fallback: string; lang: Lang; voice?: string } | { kind: 'say'; text: string; lang: Lang; voice?: string };

export interface Gather {
  /** Digits to collect: the longest accepted key; null for free input (ended by `#`). */
  numDigits: number | null;
  finishOnKey: '#';
  /** Keys accepted on this screen (options, 0, *); empty for free digit input. */
  keys: string[];
}

export interface VoicePlan {
  lang: Lang;
  prompts: Prompt[];
  /** Keys to collect after the prompts; null when the call ends after them. */
  gather: Gather | null;
}

export interface VoiceOptions {
  /** ivr.audioBaseUrl: audio names in flows are relative to it. */
  audioBaseUrl: string;
  /** ivr.voices: the text-to-speech voice per flow language (none: the platform's default voice). */
  voices?: Record<string, string>;
}

/** The URL of an audio file named in a flow: absolute names are kept, others join the base URL. */
export function audioUrl(base: string, name: string): string {
  if (/^https?:\/\//i.test(name)) return name;
  if (!base) return name;
  return `${base.replace(/\/+$/, '')}/${name.replace(/^\/+/, '')}`;
}

const REPEAT_KEY = '*';
const BACK_KEY = '0';

/** Kinds whose audio recording speaks the options too (a recorded menu is one file). */
const AUDIO_HAS_OPTIONS = new Set<Screen['kind']>(['menu', 'input', 'poll']);

/** Merges neighbouring spoken texts in the same language into one prompt (fewer TTS requests, natural pauses). */
function compact(prompts: Prompt[]): Prompt[] {
  const out: Prompt[] = [];
  for (const p of prompts) {
    const last = out[out.length - 1];
    // A title without a full stop would run into the first option ("Crops For maize..."): add the pause.
    if (p.kind === 'say' && last?.kind === 'say' && last.lang === p.lang) last.text = `${last.text}${/[.!?:;]$/.test(last.text.trim()) ? ' ' : '. '}${p.text}`;
    else out.push({ ...p });
  }
  return out.filter((p) => p.kind === 'play' || p.text.trim() !== '');
}

/**
 * The voice form of a screen. `flow` is null for screens outside any flow (unknown number, session
 * ended), which are always final.
 */
export function renderVoice(screen: Screen, flow: Flow | null, opts: VoiceOptions): VoicePlan {
  const lang = screen.lang;
  const prompts: Prompt[] = [];
  const voiceOf = (l: Lang) => (opts.voices?.[l] ? { voice: opts.voices[l] } : {});
  const say = (text: string, l: Lang = lang) => prompts.push({ kind: 'say', text, lang: l, ...voiceOf(l) });
  if (screen.notice) say(screen.notice);

  const audio = screen.audio ? audioUrl(opts.audioBaseUrl, screen.audio) : null;
  const language = screen.kind === 'language' && flow !== null;
  if (audio) prompts.push({ kind: 'play', url: audio, fallback: screen.voiceBody, lang, ...voiceOf(lang) });
  else if (screen.voiceBody && !language) say(screen.voiceBody);

  if (screen.end || !flow) return { lang, prompts: compact(prompts), gather: null };

  const press = (label: string, key: string, l: Lang = lang) => say(fillTemplate(systemText(flow, 'pressKey', l), { label, key }), l);
  if (language) {
    // Each language is offered in itself, so every caller understands their own line:
    // "Choose language. For English, press 1. Chagua lugha. Kwa Kiswahili, bonyeza 2."
    screen.options.forEach((o, i) => {
      const l = flow.languages[i] ?? lang;
      say(systemText(flow, 'chooseLanguage', l), l);
      press(o.voice ?? o.label, o.key, l);
    });
  } else if (!(audio && AUDIO_HAS_OPTIONS.has(screen.kind))) {
    for (const o of screen.options) press(o.voice ?? o.label, o.key);
  }

  const keys = screen.options.map((o) => o.key);
  const back = screen.nav.back && screen.kind !== 'language' && screen.kind !== 'resume' && screen.nodeId !== flow.start;
  // After content the caller most likely wants it again, so repeat comes first; on menus, back does.
  const offers: Array<() => void> = [];
  if (back) offers.push(() => say(backSentence(flow, lang)));
  offers.push(() => say(systemText(flow, 'repeat', lang)));
  if (screen.kind === 'content') offers.reverse();
  for (const offer of offers) offer();
  if (back) keys.push(BACK_KEY);
  keys.push(REPEAT_KEY);

  const freeInput = screen.kind === 'input' && screen.options.length === 0;
  const gather: Gather = freeInput
    ? { numDigits: null, finishOnKey: '#', keys: [] }
    : { numDigits: Math.max(...keys.map((k) => k.length)), finishOnKey: '#', keys };
  return { lang, prompts: compact(prompts), gather };
}

/** "To go back, press 0." in the flow's words; a flow in a language without `pressBack` keeps "For Back, press 0.". */
function backSentence(flow: Flow, lang: Lang): string {
  const own = systemMessage(flow, 'pressBack', lang);
  if (own) return fillTemplate(own, { key: BACK_KEY });
  if (systemMessage(flow, 'pressKey', lang)) return fillTemplate(systemText(flow, 'pressKey', lang), { label: systemText(flow, 'back', lang), key: BACK_KEY });
  return fillTemplate(systemText(flow, 'pressBack', lang), { key: BACK_KEY });
}

/** What the caller pressed, as the session service takes it: `*` repeats, nothing is no input. */
export function keysToInput(digits: string | null | undefined): { latest: string | null } | { noInput: true } {
  const d = (digits ?? '').trim().replace(/#+$/, '');
  if (d === '') return { noInput: true };
  // `*` anywhere means "say that again"; it never reaches the engine as a choice.
  if (d.includes(REPEAT_KEY)) return { latest: null };
  return { latest: d };
}
