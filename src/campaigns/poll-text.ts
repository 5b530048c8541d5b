import type { Poll } from './poll-repo';

/** Per-language texts of the campaigns config section. */
export interface PollTexts {
  choiceHint: Record<string, string>;
  npsHint: Record<string, string>;
  thanks: Record<string, string>;
  alreadyAnswered: Record<string, string>;
  clarify: Record<string, string>;
  npsClarify: Record<string, string>;
}

/** The text in `lang`, else in the default language, else the first one given. */
export function pick(texts: Record<string, string>, lang: string | null | undefined, fallback: string): string {
  return (lang ? texts[lang] : undefined) ?? texts[fallback] ?? Object.values(texts)[0] ?? '';
}

/** The poll as one SMS: the question, numbered answers (choice) and how to reply. */
export function pollSms(poll: Poll, lang: string | null, fallback: string, texts: PollTexts): string {
  const question = pick(poll.question, lang, fallback);
  if (poll.type === 'nps') return `${question}\n${pick(texts.npsHint, lang, fallback)}`;
  const answers = poll.answers.map((a, i) => `${i + 1}. ${pick(a, lang, fallback)}`);
  return [question, ...answers, pick(texts.choiceHint, lang, fallback)].join('\n');
}

/** A config text with {name} placeholders filled in. */
export function fill(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** Upper case, punctuation dropped, spaces collapsed: how replies and labels are compared. */
export function normalizeReply(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * The answer a reply stands for, or null. Choice polls accept the answer's number (1-based), its label
 * in any of the poll's languages, or one of its keywords; NPS polls accept a whole number 0-10.
 */
export function parseReply(poll: Poll, text: string): number | null {
  const reply = normalizeReply(text);
  if (reply === '') return null;
  if (/^\d{1,3}$/.test(reply)) {
    const n = Number(reply);
    if (poll.type === 'nps') return n <= 10 ? n : null;
    return n >= 1 && n <= poll.answers.length ? n - 1 : null;
  }
  if (poll.type === 'nps') return null;
  for (let i = 0; i < poll.answers.length; i++) {
    const words = [...Object.values(poll.answers[i]!), ...(poll.keywords[i] ?? [])].map(normalizeReply);
    if (words.includes(reply)) return i;
  }
  return null;
}
