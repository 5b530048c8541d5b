import { finalScreen } from '../engine/screens';
import { systemText } from '../engine/system-messages';
import type { Flow, Lang, Screen } from '../engine/types';

// END screens shown before any flow is known (no flow, so no flow texts to take them from).
const TEXTS: Record<'unknownService' | 'sessionEnded', Record<string, string>> = {
  unknownService: {
    en: 'Sorry, this service code is not in use.',
    sw: 'Samahani, namba hii ya huduma haitumiki.',
  },
  sessionEnded: {
    en: 'This session has ended. Please dial again.',
    sw: 'Kipindi hiki kimeisha. Tafadhali piga tena.',
  },
};

/** An END screen outside any flow, in the subscriber's language (English when the language has no text). */
export function systemScreen(key: keyof typeof TEXTS, lang: Lang): Screen {
  return finalScreen('', 'end', lang, TEXTS[key][lang] ?? TEXTS[key].en!);
}

/** The flow's goodbye (its own text, else the engine's built-in one) as an END screen. */
export function goodbyeScreen(flow: Flow, lang: Lang): Screen {
  return finalScreen('', 'end', lang, systemText(flow, 'goodbye', lang));
}
