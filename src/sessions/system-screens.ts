import type { Flow, Lang, Screen } from '../engine/types';

// Screens the session service shows outside any flow node. Flows may override `goodbye`.
const TEXTS: Record<'unknownService' | 'sessionEnded' | 'goodbye', Record<string, string>> = {
  unknownService: {
    en: 'Sorry, this service code is not in use.',
    sw: 'Samahani, namba hii ya huduma haitumiki.',
  },
  sessionEnded: {
    en: 'This session has ended. Please dial again.',
    sw: 'Kipindi hiki kimeisha. Tafadhali piga tena.',
  },
  goodbye: {
    en: 'Goodbye. Call again any time.',
    sw: 'Kwaheri. Piga tena wakati wowote.',
  },
};

/** An END screen in the subscriber's language (English when the language has no text). */
export function systemScreen(key: keyof typeof TEXTS, lang: Lang, flow?: Flow): Screen {
  const own = key === 'goodbye' ? flow?.messages.goodbye?.[lang] : undefined;
  const text = own ?? TEXTS[key][lang] ?? TEXTS[key].en!;
  return {
    nodeId: '',
    kind: 'end',
    lang,
    body: text,
    voiceBody: text,
    options: [],
    text,
    end: true,
    nav: { back: false, home: false, more: false },
  };
}
