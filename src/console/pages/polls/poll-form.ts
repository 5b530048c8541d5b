import type { Poll } from '../../../campaigns/poll-repo';
import type { PollInput, PollPatch } from '../../../campaigns/poll-service';
import type { ConsoleContext } from '../../context';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { csrfField } from '../../layout';
import { field } from '../../ui/field';

// The poll form (create and edit): question and answers in English and Kiswahili, answers one per
// line, optional reply words per answer. Checked here field by field so each mistake shows beside its
// field; what only the poll service knows (a reserved keyword, a taken key) shows above the form.

const MAX_ANSWERS = 9;

const T = texts(
  {
    type: 'Type',
    choice: 'Multiple choice (2 to 9 answers)',
    nps: 'Score from 0 to 10 (NPS: would they recommend us?)',
    questionEn: 'Question (English)',
    questionSw: 'Question (Kiswahili)',
    answersEn: 'Answers (English)',
    answersSw: 'Answers (Kiswahili)',
    answersHelp: 'One answer per line, in order: subscribers reply 1 for the first line, 2 for the second. Leave empty for a 0-10 score.',
    keywords: 'Reply words (optional)',
    keywordsHelp: 'One line per answer, words separated by commas, e.g. "YES, NDIO" on the first line. A reply may be the word instead of the number.',
    create: 'Create poll',
    save: 'Save changes',
    required: 'Write this text.',
    tooLong: (max: number) => `At most ${max} characters.`,
    countWrong: (n: number) => `A multiple-choice poll needs 2 to ${MAX_ANSWERS} answers, one per line; there are ${n}.`,
    mismatch: (en: number, sw: number) => `Give as many Kiswahili answers as English ones: ${en} in English, ${sw} here.`,
    npsNoAnswers: 'A 0-10 score poll has no answers: subscribers reply with a number. Empty this field or choose multiple choice.',
    tooManyKeywordLines: (n: number) => `There are more lines than answers (${n}); write one line per answer.`,
    keywordDigits: 'Reply words need letters (numbers already choose answers).',
    changed: 'This poll was changed by someone else since you opened it; here is the current version. Make your change again.',
  },
  {
    type: 'Aina',
    choice: 'Chaguo nyingi (majibu 2 hadi 9)',
    nps: 'Alama kutoka 0 hadi 10 (NPS: je, wangetupendekeza?)',
    questionEn: 'Swali (Kiingereza)',
    questionSw: 'Swali (Kiswahili)',
    answersEn: 'Majibu (Kiingereza)',
    answersSw: 'Majibu (Kiswahili)',
    answersHelp: 'Jibu moja kwa kila mstari, kwa mpangilio: wateja hujibu 1 kwa mstari wa kwanza, 2 kwa wa pili. Acha tupu kwa alama 0-10.',
    keywords: 'Maneno ya kujibu (si lazima)',
    keywordsHelp: 'Mstari mmoja kwa kila jibu, maneno yakitenganishwa kwa koma, k.m. "YES, NDIO" kwenye mstari wa kwanza. Jibu linaweza kuwa neno badala ya namba.',
    create: 'Unda kura ya maoni',
    save: 'Hifadhi mabadiliko',
    required: 'Andika maandishi haya.',
    tooLong: (max: number) => `Herufi ${max} zisizidi.`,
    countWrong: (n: number) => `Kura ya chaguo nyingi inahitaji majibu 2 hadi ${MAX_ANSWERS}, moja kwa kila mstari; yapo ${n}.`,
    mismatch: (en: number, sw: number) => `Toa majibu ya Kiswahili mengi kama ya Kiingereza: ${en} kwa Kiingereza, ${sw} hapa.`,
    npsNoAnswers: 'Kura ya alama 0-10 haina majibu: wateja hujibu kwa namba. Futa maandishi haya au chagua chaguo nyingi.',
    tooManyKeywordLines: (n: number) => `Kuna mistari mingi kuliko majibu (${n}); andika mstari mmoja kwa kila jibu.`,
    keywordDigits: 'Maneno ya kujibu yanahitaji herufi (namba tayari huchagua majibu).',
    changed: 'Kura hii imebadilishwa na mtu mwingine tangu ulipoifungua; hili ndilo toleo la sasa. Fanya mabadiliko yako tena.',
  },
);

/** The poll form's fields as submitted (strings, as the browser sends them). */
export interface PollFields {
  type: 'choice' | 'nps';
  questionEn: string;
  questionSw: string;
  answersEn: string;
  answersSw: string;
  keywords: string;
}

type FieldName = keyof PollFields;
export type PollErrors = Partial<Record<FieldName, string>>;

const str = (v: unknown): string => (typeof v === 'string' ? v.replace(/\r\n/g, '\n').trim() : '');
const lines = (s: string): string[] => s.split('\n').map((l) => l.trim()).filter((l) => l !== '');

/** The fields from a submitted form body. */
export function readPollFields(body: Record<string, unknown>, type?: Poll['type']): PollFields {
  return {
    type: type ?? (str(body.type) === 'nps' ? 'nps' : 'choice'),
    questionEn: str(body.questionEn),
    questionSw: str(body.questionSw),
    answersEn: str(body.answersEn),
    answersSw: str(body.answersSw),
    keywords: str(body.keywords),
  };
}

/** The fields showing a stored poll. */
export function pollFieldsOf(p: Poll): PollFields {
  return {
    type: p.type,
    questionEn: p.question.en ?? '',
    questionSw: p.question.sw ?? '',
    answersEn: p.answers.map((a) => a.en ?? '').join('\n'),
    answersSw: p.answers.map((a) => a.sw ?? '').join('\n'),
    keywords: p.keywords.map((k) => k.join(', ')).join('\n'),
  };
}

/** Blank fields for a new poll. */
export function blankPoll(): PollFields {
  return { type: 'choice', questionEn: '', questionSw: '', answersEn: '', answersSw: '', keywords: '' };
}

/** Checks the fields; with no errors, the poll service's input. */
export function checkPollFields(c: ConsoleContext, f: PollFields): { errors: PollErrors; input: PollInput | null } {
  const t = T(c.lang);
  const errors: PollErrors = {};
  for (const k of ['questionEn', 'questionSw'] as const) {
    if (!f[k]) errors[k] = t.required;
    else if (f[k].length > 500) errors[k] = t.tooLong(500);
  }
  const en = lines(f.answersEn);
  const sw = lines(f.answersSw);
  if (f.type === 'nps') {
    if (en.length > 0) errors.answersEn = t.npsNoAnswers;
    if (sw.length > 0) errors.answersSw = t.npsNoAnswers;
  } else {
    if (en.length < 2 || en.length > MAX_ANSWERS) errors.answersEn = t.countWrong(en.length);
    else if (sw.length !== en.length) errors.answersSw = t.mismatch(en.length, sw.length);
    if ([...en, ...sw].some((a) => a.length > 160)) errors.answersEn ??= t.tooLong(160);
  }
  const kwLines = f.keywords ? f.keywords.split('\n').map((l) => l.trim()) : [];
  while (kwLines.length > 0 && kwLines[kwLines.length - 1] === '') kwLines.pop();
  const keywords = kwLines.map((l) => l.split(/[,;]+/).map((w) => w.trim()).filter((w) => w !== ''));
  if (keywords.length > 0 && f.type === 'nps') errors.keywords = t.npsNoAnswers;
  else if (keywords.length > Math.max(en.length, 0) && en.length >= 2) errors.keywords = t.tooManyKeywordLines(en.length);
  else if (keywords.some((ws) => ws.some((w) => /^\d+$/.test(w) || w.length > 40))) errors.keywords = t.keywordDigits;
  if (Object.keys(errors).length > 0) return { errors, input: null };
  return {
    errors,
    input: {
      type: f.type,
      question: { en: f.questionEn, sw: f.questionSw },
      ...(f.type === 'choice' ? { answers: en.map((a, i) => ({ en: a, sw: sw[i]! })) } : {}),
      ...(keywords.length > 0 ? { keywords } : {}),
    },
  };
}

/** The patch an edit form makes (texts and reply words; the type never changes). */
export function patchOf(input: PollInput): PollPatch {
  return { question: input.question, ...(input.answers ? { answers: input.answers } : {}), keywords: input.keywords ?? [] };
}

/** The form, for a new poll (`poll` absent) or to edit one (carrying its updatedAt, so a stale form is refused). */
export function pollForm(c: ConsoleContext, f: PollFields, errors: PollErrors, poll?: Poll): Html {
  const t = T(c.lang);
  const action = poll ? `/console/polls/${encodeURIComponent(poll.id)}/edit` : '/console/polls/new';
  return html`<form method="post" action="${action}" novalidate>
${csrfField(c)}
${poll
  ? html`<input type="hidden" name="updatedAt" value="${String(poll.updatedAt)}">`
  : field({ name: 'type', label: t.type, type: 'select', value: f.type, options: [{ value: 'choice', label: t.choice }, { value: 'nps', label: t.nps }] })}
<div class="grid">
<div>${field({ name: 'questionEn', label: t.questionEn, type: 'textarea', value: f.questionEn, error: errors.questionEn, required: true, attrs: 'rows="2" lang="en"' })}</div>
<div>${field({ name: 'questionSw', label: t.questionSw, type: 'textarea', value: f.questionSw, error: errors.questionSw, required: true, attrs: 'rows="2" lang="sw"' })}</div>
</div>
${f.type === 'choice' || !poll
  ? html`<div class="grid">
<div>${field({ name: 'answersEn', label: t.answersEn, type: 'textarea', value: f.answersEn, error: errors.answersEn, help: t.answersHelp, attrs: 'rows="5" lang="en"' })}</div>
<div>${field({ name: 'answersSw', label: t.answersSw, type: 'textarea', value: f.answersSw, error: errors.answersSw, attrs: 'rows="5" lang="sw"' })}</div>
</div>
${field({ name: 'keywords', label: t.keywords, type: 'textarea', value: f.keywords, error: errors.keywords, help: t.keywordsHelp, attrs: 'rows="3"' })}`
  : null}
<button type="submit">${poll ? t.save : t.create}</button>
</form>`;
}

/** The sentence shown when a stale edit form is refused. */
export function pollChangedMessage(c: ConsoleContext): string {
  return T(c.lang).changed;
}
