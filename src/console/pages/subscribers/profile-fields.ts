import type { ProfileField } from '../../../subscribers/profile-schema';
import type { Lang } from '../../i18n';
import { texts } from '../../i18n';

// The configured profile fields as the console names them and says what each takes (profile editing and
// the segment builder share these), in the reader's language.

const LABELS: Record<string, Record<Lang, string>> = {
  gender: { en: 'Gender', sw: 'Jinsia' },
  birthYear: { en: 'Year of birth', sw: 'Mwaka wa kuzaliwa' },
  region: { en: 'Region', sw: 'Eneo' },
  district: { en: 'District', sw: 'Wilaya' },
  language: { en: 'Language', sw: 'Lugha' },
  crops: { en: 'Crops', sw: 'Mazao' },
  crop: { en: 'Main crop', sw: 'Zao kuu' },
  farmSize: { en: 'Farm size (acres)', sw: 'Ukubwa wa shamba (ekari)' },
  operator: { en: 'Operator', sw: 'Mtandao' },
};

const T = texts(
  {
    oneOf: (values: string) => `one of ${values}`,
    listOf: (values: string) => `one or more of ${values}, separated by ;`,
    list: 'one or more texts, separated by ;',
    whole: 'a whole number',
    number: 'a number',
    fromTo: (kind: string, min: string, max: string) => `${kind} from ${min} to ${max}`,
    atLeast: (kind: string, min: string) => `${kind} of at least ${min}`,
    atMost: (kind: string, max: string) => `${kind} of at most ${max}`,
    date: 'a date (YYYY-MM-DD)',
    text: 'a text of at most 200 characters',
    mustBe: (label: string, allowed: string) => `${label} must be ${allowed}.`,
  },
  {
    oneOf: (values: string) => `moja kati ya ${values}`,
    listOf: (values: string) => `moja au zaidi kati ya ${values}, zikitenganishwa kwa ;`,
    list: 'maandishi moja au zaidi, yakitenganishwa kwa ;',
    whole: 'nambari kamili',
    number: 'nambari',
    fromTo: (kind: string, min: string, max: string) => `${kind} kuanzia ${min} hadi ${max}`,
    atLeast: (kind: string, min: string) => `${kind} isiyopungua ${min}`,
    atMost: (kind: string, max: string) => `${kind} isiyozidi ${max}`,
    date: 'tarehe (YYYY-MM-DD)',
    text: 'maandishi ya herufi 200 au chache',
    mustBe: (label: string, allowed: string) => `${label} lazima iwe ${allowed}.`,
  },
);

/** A profile field's name as the reader knows it (the configured name when the console has none). */
export function fieldLabel(lang: Lang, name: string): string {
  return LABELS[name]?.[lang] ?? name;
}

/** What a field accepts, in words. */
export function allowedText(lang: Lang, f: Pick<ProfileField, 'type' | 'values' | 'min' | 'max'>): string {
  const t = T(lang);
  switch (f.type) {
    case 'enum':
      return t.oneOf((f.values ?? []).join(', '));
    case 'list':
      return f.values ? t.listOf(f.values.join(', ')) : t.list;
    case 'integer':
    case 'number': {
      const kind = f.type === 'integer' ? t.whole : t.number;
      if (f.min !== undefined && f.max !== undefined) return t.fromTo(kind, String(f.min), String(f.max));
      if (f.min !== undefined) return t.atLeast(kind, String(f.min));
      if (f.max !== undefined) return t.atMost(kind, String(f.max));
      return kind;
    }
    case 'date':
      return t.date;
    case 'string':
      return t.text;
  }
}

/** The inline error of a value a field refused. */
export function refusal(lang: Lang, name: string, f: Pick<ProfileField, 'type' | 'values' | 'min' | 'max'>): string {
  return T(lang).mustBe(fieldLabel(lang, name), allowedText(lang, f));
}

/** A stored profile value as a form shows it (lists joined with "; "). */
export function formValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.join('; ');
  return typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean);
}
