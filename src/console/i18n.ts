// The console's languages. Each page declares its texts in English and Kiswahili side by side; the
// compiler checks that both have the same keys (and the same parameters for texts that take some).

/** A language the console's own text is written in. */
export type Lang = 'en' | 'sw';
export const LANGS: readonly Lang[] = ['en', 'sw'];
export const LANG_NAMES: Record<Lang, string> = { en: 'English', sw: 'Kiswahili' };

type Text = string | ((...args: never[]) => string);

/** A set of texts as pages use it: strings, and functions of their parameters returning strings. */
export type TextSet<T> = { [K in keyof T]: T[K] extends (...a: infer A) => string ? (...a: A) => string : string };

/** Texts in both languages; `texts(en, sw)(lang)` gives the set for one. */
export function texts<T extends Record<string, Text>>(en: T, sw: TextSet<T>): (lang: Lang) => TextSet<T> {
  return (lang) => (lang === 'sw' ? sw : (en as unknown as TextSet<T>));
}

/** A known language, or English. */
export function asLang(value: unknown): Lang {
  return value === 'sw' ? 'sw' : 'en';
}

/** BCP-47 locale for numbers and dates in each language. */
export const LOCALES: Record<Lang, string> = { en: 'en-GB', sw: 'sw-KE' };
