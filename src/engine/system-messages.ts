import type { Flow, Lang, Localized, SystemMessageKey } from './types';

/**
 * Built-in texts for every system message, in the languages the project ships. A flow overrides any of
 * them per language under `messages:`; a flow in another language must give all of them (the validator
 * says which are missing).
 */
export const BUILTIN_MESSAGES: Record<SystemMessageKey, Localized> = {
  invalid: { en: 'Invalid choice.', sw: 'Chaguo si sahihi.' },
  maxInvalid: {
    en: 'Sorry, too many invalid choices. Please dial again.',
    sw: 'Samahani, makosa mengi mno. Tafadhali piga tena.',
  },
  back: { en: 'Back', sw: 'Rudi' },
  home: { en: 'Home', sw: 'Mwanzo' },
  more: { en: 'More', sw: 'Zaidi' },
  chooseLanguage: { en: 'Choose language', sw: 'Chagua lugha' },
  resume: { en: 'Continue where you left off', sw: 'Endelea ulipoachia' },
  restart: { en: 'Start again', sw: 'Anza upya' },
  goodbye: { en: 'Thank you. Goodbye.', sw: 'Asante. Kwaheri.' },
  repeat: { en: 'To hear this again, press star.', sw: 'Bonyeza nyota kusikiliza tena.' },
  // Swahili puts the action first ("Bonyeza 1 kwa Mahindi"), as callers hear it from operators' own IVRs.
  pressKey: { en: 'For {label}, press {key}.', sw: 'Bonyeza {key} kwa {label}.' },
  // Back is an action, not an item: "Kwa Rudi, bonyeza 0" reads wrong, so it has its own sentence.
  pressBack: { en: 'To go back, press {key}.', sw: 'Bonyeza {key} kurudi.' },
  continue: { en: 'Continue', sw: 'Endelea' },
  thanks: { en: 'Thank you for your answer.', sw: 'Asante kwa jibu lako.' },
};

export const SYSTEM_MESSAGE_KEYS = Object.keys(BUILTIN_MESSAGES) as SystemMessageKey[];

/**
 * Keys added after flows in other languages were written: a flow need not give them, and without one
 * the older sentence stands in (pressBack: `pressKey` with the `back` label).
 */
export const OPTIONAL_MESSAGE_KEYS: ReadonlySet<SystemMessageKey> = new Set(['pressBack']);

/** Native names used on the language menu when a flow does not name a language itself. */
export const NATIVE_LANGUAGE_NAMES: Localized = {
  en: 'English',
  sw: 'Kiswahili',
  fr: 'Français',
  pt: 'Português',
  ar: 'العربية',
  am: 'አማርኛ',
  so: 'Soomaali',
  ha: 'Hausa',
  yo: 'Yoruba',
  ig: 'Igbo',
  rw: 'Ikinyarwanda',
  lg: 'Luganda',
  luo: 'Dholuo',
  kik: 'Gikuyu',
  zu: 'isiZulu',
  xh: 'isiXhosa',
};

/** A system message for a flow in a language: the flow's override, else the built-in text, else null. */
export function systemMessage(flow: Flow, key: SystemMessageKey, lang: Lang): string | null {
  return flow.messages[key]?.[lang] ?? BUILTIN_MESSAGES[key][lang] ?? null;
}

/** Like systemMessage, falling back to the flow's default language and then English (never empty). */
export function systemText(flow: Flow, key: SystemMessageKey, lang: Lang): string {
  return (
    systemMessage(flow, key, lang) ??
    systemMessage(flow, key, flow.defaultLanguage) ??
    BUILTIN_MESSAGES[key].en ??
    key
  );
}

/** Fills `{name}` placeholders (used by `pressKey`). */
export function fillTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m);
}
