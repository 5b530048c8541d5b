import { start, step } from '../../../engine/engine';
import { isGsm7, septets, ucs2Limit } from '../../../engine/gsm';
import type { Effect, EndReason, Flow, Screen, StepContext } from '../../../engine/types';
import type { ConsoleContext } from '../../context';
import { html, raw, type Html } from '../../html';
import { texts } from '../../i18n';
import { csrfField } from '../../layout';
import { field } from '../../ui/field';

// The flow page's phone: the menu engine the USSD channel's sessions run (start/step, the same
// StepContext from config.ussd), replayed from the replies so far on every hop. It runs in memory only:
// no subscriber, no session row, no usage event and no effect is applied, so nothing is sent, charged or
// counted in the reports; the effects a real session would apply are listed under the screen instead.

/** Replies kept per simulated session, and characters per reply (a handset's USSD reply is short). */
export const SIM_MAX_REPLIES = 60;
export const SIM_MAX_REPLY_CHARS = 40;
/** The language choice meaning "a first-time subscriber": the engine asks for a language. */
export const ASK_LANGUAGE = 'ask';

const T = texts(
  {
    title: 'USSD simulator',
    intro: 'Runs the real menu engine as a handset sees it. Nothing is sent, charged or counted in the figures.',
    screen: 'Phone screen',
    reply: 'Your reply',
    send: 'Send',
    restart: 'Start again',
    language: 'Phone language',
    ask: 'Ask, as for a first-time subscriber',
    switchLanguage: 'Start in this language',
    sessionEnded: (reason: string) => `Session ended: ${reason}.`,
    length: (used: number, limit: number, ucs2: boolean) => `${used} of ${limit} characters${ucs2 ? ' (UCS-2)' : ''}`,
    notDone: 'A real session would also have done this (not done here):',
    setProfile: (f: string, v: string) => `save ${f} = ${v} in the subscriber's profile`,
    subscribe: (s: string) => `ask billing to subscribe to ${s}`,
    unsubscribe: (s: string) => `ask billing to unsubscribe from ${s}`,
    sendSms: (text: string) => `send this SMS: ${text}`,
    pollAnswer: (poll: string, n: number) => `record answer ${n} to poll ${poll}`,
    tooLong: (n: number) => `A reply has at most ${n} characters.`,
    tooMany: (n: number) => `A simulated session takes at most ${n} replies. Start again.`,
    completed: 'completed',
    user_exit: 'the subscriber left',
    timeout: 'timed out',
    dropped: 'dropped',
    error: 'error',
    max_invalid: 'too many invalid replies',
  },
  {
    title: 'Kiigaji cha USSD',
    intro: 'Kinaendesha injini halisi ya menyu jinsi simu inavyoonyesha. Hakuna kinachotumwa, kutozwa wala kuhesabiwa kwenye takwimu.',
    screen: 'Skrini ya simu',
    reply: 'Jibu lako',
    send: 'Tuma',
    restart: 'Anza upya',
    language: 'Lugha ya simu',
    ask: 'Uliza, kama kwa mteja mpya',
    switchLanguage: 'Anza kwa lugha hii',
    sessionEnded: (reason: string) => `Kipindi kimeisha: ${reason}.`,
    length: (used: number, limit: number, ucs2: boolean) => `Herufi ${used} kati ya ${limit}${ucs2 ? ' (UCS-2)' : ''}`,
    notDone: 'Kipindi halisi kingefanya pia haya (hayajafanyika hapa):',
    setProfile: (f: string, v: string) => `kuhifadhi ${f} = ${v} kwenye wasifu wa mteja`,
    subscribe: (s: string) => `kuomba malipo ya usajili wa ${s}`,
    unsubscribe: (s: string) => `kuomba kusitisha usajili wa ${s}`,
    sendSms: (text: string) => `kutuma SMS hii: ${text}`,
    pollAnswer: (poll: string, n: number) => `kurekodi jibu ${n} la kura ${poll}`,
    tooLong: (n: number) => `Jibu lina herufi zisizozidi ${n}.`,
    tooMany: (n: number) => `Kipindi cha majaribio kinapokea majibu yasiyozidi ${n}. Anza upya.`,
    completed: 'kimekamilika',
    user_exit: 'mteja ametoka',
    timeout: 'muda umeisha',
    dropped: 'kimekatika',
    error: 'hitilafu',
    max_invalid: 'majibu batili mengi mno',
  },
);

/** Where a simulated session stands after replaying its replies. */
export interface SimRun {
  screen: Screen;
  /** The replies the engine consumed (a reply after the session ended is dropped). */
  history: string[];
  /** What the last hop would have done in a real session. */
  effects: Effect[];
  end: EndReason | null;
  /** The language choice: one of the flow's languages, or ASK_LANGUAGE. */
  language: string;
}

/** The language choice from a form or query value: a language of the flow, "ask", else the reader's or the flow's default. */
export function simLanguage(flow: Flow, value: unknown, readerLang: string): string {
  if (typeof value === 'string' && (value === ASK_LANGUAGE || flow.languages.includes(value))) return value;
  return flow.languages.includes(readerLang) ? readerLang : flow.defaultLanguage;
}

/** The replies from a form or query value (one value or a list), as the engine will get them. */
export function simHistory(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (typeof v === 'string' ? v : String(v)));
}

/** Checks the replies; returns the error to show next to the reply field, or null. */
export function simInputError(lang: 'en' | 'sw', history: string[]): string | null {
  const t = T(lang);
  if (history.some((h) => h.length > SIM_MAX_REPLY_CHARS)) return t.tooLong(SIM_MAX_REPLY_CHARS);
  if (history.length > SIM_MAX_REPLIES) return t.tooMany(SIM_MAX_REPLIES);
  return null;
}

/** The replies a simulated session keeps when some were refused: those within the limits. */
export function acceptedReplies(history: string[]): string[] {
  return history.filter((h) => h.length <= SIM_MAX_REPLY_CHARS).slice(0, SIM_MAX_REPLIES);
}

/** Replays a simulated session: the engine's start, then one step per reply, as the USSD session service runs them. */
export function runSimulation(flow: Flow, replies: string[], language: string, limits: { maxChars: number; maxInvalid: number }): SimRun {
  const ctx: StepContext = { language: language === ASK_LANGUAGE ? null : language, maxChars: limits.maxChars, maxInvalid: limits.maxInvalid };
  let r = start(flow, ctx);
  const history: string[] = [];
  for (const reply of replies) {
    if (r.screen.end) break;
    r = step(flow, r.state, reply, ctx);
    history.push(reply);
  }
  return { screen: r.screen, history, effects: r.effects, end: r.end, language };
}

function effectText(t: ReturnType<typeof T>, e: Effect): string {
  switch (e.kind) {
    case 'set_profile':
      return t.setProfile(e.field, e.value);
    case 'subscribe':
      return t.subscribe(e.service);
    case 'unsubscribe':
      return t.unsubscribe(e.service);
    case 'send_sms':
      return t.sendSms(e.text);
    case 'poll_answer':
      return t.pollAnswer(e.poll, e.answer + 1);
  }
}

/** The hidden fields carrying the session: the language and every reply so far. */
function sessionFields(run: SimRun, keepReplies: boolean): Html {
  return html`<input type="hidden" name="lang" value="${run.language}">${keepReplies ? run.history.map((h) => html`<input type="hidden" name="h" value="${h}">`) : null}`;
}

/** The simulator (`focus`: after a hop htmx swapped in, the reply field takes the focus again): the screen, what the hop would have done, the reply form, start again and the language switch. */
export function simulatorSection(c: ConsoleContext, flow: Flow, run: SimRun, opts: { maxChars: number; error?: string | null; range?: Record<string, string | undefined>; focus?: boolean }): Html {
  const t = T(c.lang);
  const action = `/console/flows/${encodeURIComponent(flow.id)}/simulate`;
  const hx = raw(`hx-post="${action}" hx-target="#simulator" hx-swap="outerHTML"`);
  const gsm = isGsm7(run.screen.text);
  const used = gsm ? septets(run.screen.text) : run.screen.text.length;
  const limit = gsm ? opts.maxChars : ucs2Limit(opts.maxChars);
  const rangeFields = Object.entries(opts.range ?? {}).map(([k, v]) => (v ? html`<input type="hidden" name="${k}" value="${v}">` : null));
  const languages = [
    ...flow.languages.map((l) => ({ value: l, label: flow.languageNames[l] ?? l })),
    ...(flow.languages.length > 1 ? [{ value: ASK_LANGUAGE, label: t.ask }] : []),
  ];
  return html`<section id="simulator" class="simulator" aria-labelledby="simulator-title">
<h2 id="simulator-title">${t.title}</h2>
<p><small>${t.intro}</small></p>
<figure class="phone" aria-label="${t.screen}">
<div class="phone-screen" role="status" aria-live="polite"><pre class="ussd-text">${run.screen.text}</pre></div>
<figcaption><span class="badge">${run.screen.end ? 'END' : 'CON'}</span> ${t.length(used, limit, !gsm)}</figcaption>
</figure>
${run.end ? html`<p class="sim-ended">${t.sessionEnded(t[run.end])}</p>` : null}
${run.effects.length ? html`<div class="sim-effects"><p>${t.notDone}</p><ul>${run.effects.map((e) => html`<li>${effectText(t, e)}</li>`)}</ul></div>` : null}
${run.screen.end
  ? null
  : html`<form method="post" action="${action}" ${hx} class="sim-reply">${csrfField(c)}${rangeFields}${sessionFields(run, true)}
${field({ name: 'h', id: 'sim-reply', label: t.reply, error: opts.error ?? null, attrs: `maxlength="${SIM_MAX_REPLY_CHARS}" autocomplete="off"${opts.focus ? ' autofocus' : ''}` })}
<button type="submit">${t.send}</button>
</form>`}
<div class="sim-controls">
<form method="post" action="${action}" ${hx}>${csrfField(c)}${rangeFields}${sessionFields(run, false)}<button type="submit" class="secondary">${t.restart}</button></form>
${languages.length > 1
  ? html`<form method="post" action="${action}" ${hx}>${csrfField(c)}${rangeFields}
<label for="sim-lang">${t.language}</label>
<select id="sim-lang" name="lang">${languages.map((l) => html`<option value="${l.value}"${l.value === run.language ? raw(' selected') : ''}>${l.label}</option>`)}</select>
<button type="submit" class="secondary">${t.switchLanguage}</button></form>`
  : null}
</div>
</section>`;
}
