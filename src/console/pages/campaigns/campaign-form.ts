import type { Campaign } from '../../../campaigns/campaign-types';
import type { Poll } from '../../../campaigns/poll-repo';
import type { CampaignInput, CampaignPatch } from '../../../campaigns/campaign-service';
import type { Core } from '../../../core';
import type { ConsoleContext } from '../../context';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { csrfField } from '../../layout';
import { field } from '../../ui/field';
import { blankSchedule, readScheduleFields, scheduleFieldsOf, toScheduleInput, type ScheduleFields, type ScheduleProblem } from './schedule-form';
import { scheduleErrors, scheduleFieldset } from './schedule-fieldset';
import { zoneName } from './schedule-words';
import { armsFieldset, armsInWords, blankArms, checkArmsFields, readArmsFields, type ArmsFields } from './arms-form';

// The campaign form (create and edit). What is sent follows from the fields: a poll chosen makes a poll
// campaign (by SMS, or by call into a flow with the poll's node); no poll makes an SMS with the message,
// or a call into the chosen flow. Each mistake shows beside its field; what only the campaign service
// knows (a flow without the poll's node, a run in progress) shows above the form.

const T = texts(
  {
    name: 'Name',
    segment: 'Segment',
    segmentHelp: 'Who receives it: a saved segment, evaluated when each run starts.',
    chooseSegment: 'Choose a segment',
    poll: 'Poll',
    noPoll: 'No poll: send the message below',
    pollHelp: 'With a poll, the message is an optional greeting before the question.',
    messageEn: 'Message (English)',
    messageSw: 'Message (Kiswahili)',
    channel: 'Channel',
    sms: 'SMS',
    call: 'Voice call',
    best: "Each subscriber's best channel",
    fallback: 'If the best is not known yet',
    fallbackHelp: 'Best channel: SMS for those who answer texts or use the menu after one, a call into the flow for those who pick up calls.',
    flow: 'Flow (voice calls)',
    noFlow: 'No flow',
    flowHelp: 'A call plays this flow; a poll by call needs a flow with the poll\'s question in it.',
    rate: 'Messages or calls per second (optional)',
    rateHelp: 'Spread sending evenly; empty = as fast as the gateway can.',
    quiet: (start: string, end: string, zone: string) => `Quiet hours: from ${start} to ${end}, ${zone} time. Messages that fall in them wait and go when they end, at this rate.`,
    noQuiet: 'No quiet hours are configured: messages go at any hour.',
    submit: 'Schedule campaign',
    draft: 'Save as draft',
    save: 'Save changes',
    preview: 'Preview recipients',
    required: 'Fill this in.',
    tooLong: (max: number) => `At most ${max} characters.`,
    segmentMissing: 'Choose one of the saved segments.',
    pollMissing: 'Choose one of the open polls.',
    messageNeeded: 'Write the message, in English, Kiswahili or both.',
    messageForCall: 'A call plays its flow and sends no message; empty the message fields or choose SMS.',
    messageKept: 'A greeting once set cannot be removed; write one in at least one language.',
    flowNeeded: 'Choose the flow the call plays.',
    flowForSms: 'Flows are for voice calls; choose "No flow" for SMS.',
    flowMissing: 'Choose one of the flows.',
    rateInvalid: 'A whole number from 1 to 100000, or empty.',
    fixed: (what: string) => `Sends: ${what}. To send something else, create a new campaign.`,
    aPoll: (q: string, channel: string) => `the poll "${q}" by ${channel}`,
    aMessage: 'a message by SMS',
    aCall: (flow: string) => `a voice call into the flow "${flow}"`,
    byBest: (what: string, flow: string) => `${what}, by each subscriber's best channel (a voice call into the flow "${flow}" for those who pick up calls)`,
  },
  {
    name: 'Jina',
    segment: 'Kundi',
    segmentHelp: 'Nani anapokea: kundi lililohifadhiwa, linalohesabiwa kila awamu inapoanza.',
    chooseSegment: 'Chagua kundi',
    poll: 'Kura ya maoni',
    noPoll: 'Bila kura: tuma ujumbe ulio hapa chini',
    pollHelp: 'Ikiwa na kura, ujumbe ni salamu ya hiari kabla ya swali.',
    messageEn: 'Ujumbe (Kiingereza)',
    messageSw: 'Ujumbe (Kiswahili)',
    channel: 'Njia',
    sms: 'SMS',
    call: 'Simu ya sauti',
    best: 'Njia bora ya kila mteja',
    fallback: 'Bora isipojulikana bado',
    fallbackHelp: 'Njia bora: SMS kwa wanaojibu jumbe au kutumia menyu baada ya ujumbe, simu kwenye menyu kwa wanaopokea simu.',
    flow: 'Menyu (simu za sauti)',
    noFlow: 'Bila menyu',
    flowHelp: 'Simu hucheza menyu hii; kura kwa simu inahitaji menyu yenye swali la kura hiyo.',
    rate: 'Jumbe au simu kwa sekunde (si lazima)',
    rateHelp: 'Tuma kwa mwendo sawa; tupu = haraka kadiri lango linavyoweza.',
    quiet: (start: string, end: string, zone: string) => `Saa za utulivu: kuanzia ${start} hadi ${end}, saa za ${zone}. Jumbe zinazoangukia humo husubiri na kutumwa zinapoisha, kwa mwendo huu.`,
    noQuiet: 'Hakuna saa za utulivu zilizowekwa: jumbe hutumwa saa yoyote.',
    submit: 'Panga kampeni',
    draft: 'Hifadhi kama rasimu',
    save: 'Hifadhi mabadiliko',
    preview: 'Onyesha wapokeaji',
    required: 'Jaza hapa.',
    tooLong: (max: number) => `Herufi ${max} zisizidi.`,
    segmentMissing: 'Chagua mojawapo ya makundi yaliyohifadhiwa.',
    pollMissing: 'Chagua mojawapo ya kura zilizo wazi.',
    messageNeeded: 'Andika ujumbe, kwa Kiingereza, Kiswahili au zote mbili.',
    messageForCall: 'Simu hucheza menyu yake na haitumi ujumbe; futa ujumbe au chagua SMS.',
    messageKept: 'Salamu ikishawekwa haiwezi kuondolewa; andika moja kwa angalau lugha moja.',
    flowNeeded: 'Chagua menyu ambayo simu itacheza.',
    flowForSms: 'Menyu ni za simu za sauti; chagua "Bila menyu" kwa SMS.',
    flowMissing: 'Chagua mojawapo ya menyu.',
    rateInvalid: 'Namba kamili kutoka 1 hadi 100000, au acha tupu.',
    fixed: (what: string) => `Inatuma: ${what}. Kutuma kitu kingine, unda kampeni mpya.`,
    aPoll: (q: string, channel: string) => `kura ya maoni "${q}" kwa ${channel}`,
    aMessage: 'ujumbe kwa SMS',
    aCall: (flow: string) => `simu ya sauti kwenye menyu "${flow}"`,
    byBest: (what: string, flow: string) => `${what}, kwa njia bora ya kila mteja (simu ya sauti kwenye menyu "${flow}" kwa wanaopokea simu)`,
  },
);

/** The campaign form's fields as submitted. */
export interface CampaignFields {
  name: string;
  segmentId: string;
  pollId: string;
  messageEn: string;
  messageSw: string;
  channel: 'sms' | 'call' | 'best';
  /** Channel best: how to reach those whose best channel is unknown. */
  fallbackChannel: 'sms' | 'call';
  flowId: string;
  rate: string;
  schedule: ScheduleFields;
  /** Offers tested (arms-form.ts): arm slots, holdout, goal. */
  arms: ArmsFields;
}

type FieldName = Exclude<keyof CampaignFields, 'schedule' | 'arms'> | ScheduleProblem;
/** Errors by field name (the arms' fields are named arm0Name, holdoutPercent, ...). */
export type CampaignErrors = Partial<Record<FieldName, string>> & { [armField: string]: string | undefined };

const str = (v: unknown): string => (typeof v === 'string' ? v.replace(/\r\n/g, '\n').trim() : '');

/** The fields from a submitted form body. */
export function readCampaignFields(body: Record<string, unknown>, defaultTz: string): CampaignFields {
  return {
    name: str(body.name),
    segmentId: str(body.segmentId),
    pollId: str(body.pollId),
    messageEn: str(body.messageEn),
    messageSw: str(body.messageSw),
    channel: str(body.channel) === 'call' ? 'call' : str(body.channel) === 'best' ? 'best' : 'sms',
    fallbackChannel: str(body.fallbackChannel) === 'call' ? 'call' : 'sms',
    flowId: str(body.flowId),
    rate: str(body.rate),
    schedule: readScheduleFields(body, defaultTz),
    arms: readArmsFields(body),
  };
}

/** Blank fields for a new campaign (a poll chosen beforehand when given). */
export function blankCampaign(timezone: string, pollId = ''): CampaignFields {
  return { name: '', segmentId: '', pollId, messageEn: '', messageSw: '', channel: 'sms', fallbackChannel: 'sms', flowId: '', rate: '', schedule: blankSchedule(timezone), arms: blankArms() };
}

/** The fields showing a stored campaign. */
export function campaignFieldsOf(c: Campaign): CampaignFields {
  return {
    name: c.name,
    segmentId: c.segmentId,
    pollId: c.pollId ?? '',
    messageEn: c.text?.en ?? '',
    messageSw: c.text?.sw ?? '',
    channel: c.channel,
    fallbackChannel: c.fallbackChannel ?? 'sms',
    flowId: c.flowId ?? '',
    rate: c.ratePerSecond === null ? '' : String(c.ratePerSecond),
    schedule: scheduleFieldsOf(c),
    arms: blankArms(),
  };
}

function textOf(f: CampaignFields): Record<string, string> | undefined {
  const t: Record<string, string> = {};
  if (f.messageEn) t.en = f.messageEn;
  if (f.messageSw) t.sw = f.messageSw;
  return Object.keys(t).length > 0 ? t : undefined;
}

/** Checks the fields of a new campaign; with no errors, the campaign service's input. */
export async function checkNewCampaign(core: Core, c: ConsoleContext, f: CampaignFields, draft: boolean): Promise<{ errors: CampaignErrors; input: CampaignInput | null }> {
  const t = T(c.lang);
  const errors = await commonErrors(core, c, f);
  const kind: CampaignInput['kind'] = f.pollId ? 'poll' : f.channel === 'call' ? 'call' : 'sms';
  if (f.pollId) {
    const poll = await core.pollReads.find(f.pollId);
    if (!poll || poll.status !== 'open') errors.pollId = t.pollMissing;
  }
  const text = textOf(f);
  const armed = checkArmsFields(core, c, f.arms, { channel: f.channel, pollId: f.pollId });
  Object.assign(errors, armed.errors);
  if (kind === 'sms' && !text && !armed.value.arms) errors.messageEn = t.messageNeeded;
  if (kind === 'call' && text) errors.messageEn = t.messageForCall;
  if (f.channel !== 'sms' && !f.flowId) errors.flowId = t.flowNeeded;
  if (f.channel === 'sms' && f.flowId) errors.flowId = t.flowForSms;
  if (Object.keys(errors).length > 0) return { errors, input: null };
  const channel = f.channel === 'best' ? { channel: 'best' as const, fallbackChannel: f.fallbackChannel } : f.pollId ? { channel: f.channel } : {};
  return {
    errors,
    input: {
      name: f.name,
      kind,
      segmentId: f.segmentId,
      ...(text ? { text } : {}),
      ...(f.pollId ? { pollId: f.pollId } : {}),
      ...channel,
      ...(f.flowId ? { flowId: f.flowId } : {}),
      schedule: toScheduleInput(f.schedule),
      ...(f.rate ? { ratePerSecond: Number(f.rate) } : {}),
      ...(draft ? { draft: true } : {}),
      ...armed.value,
    },
  };
}

/** Checks an edit of a stored campaign; with no errors, the patch of what changed. */
export async function checkCampaignEdit(core: Core, c: ConsoleContext, stored: Campaign, f: CampaignFields): Promise<{ errors: CampaignErrors; patch: CampaignPatch | null }> {
  const t = T(c.lang);
  const errors = await commonErrors(core, c, f);
  const text = textOf(f);
  if (stored.kind === 'sms' && !text && !stored.arms) errors.messageEn = t.messageNeeded;
  if (stored.kind === 'poll' && stored.text && !text) errors.messageEn = t.messageKept;
  if (stored.channel !== 'sms' && !f.flowId) errors.flowId = t.flowNeeded;
  if (Object.keys(errors).length > 0) return { errors, patch: null };
  const before = campaignFieldsOf(stored);
  const patch: CampaignPatch = { name: f.name };
  if (f.segmentId !== stored.segmentId) patch.segmentId = f.segmentId;
  if (text && JSON.stringify(text) !== JSON.stringify(stored.text ?? {})) patch.text = text;
  if (stored.channel !== 'sms' && f.flowId !== stored.flowId) patch.flowId = f.flowId;
  if (f.rate !== before.rate) patch.ratePerSecond = f.rate ? Number(f.rate) : null;
  const schedule = toScheduleInput(f.schedule);
  if (JSON.stringify(schedule) !== JSON.stringify(toScheduleInput(before.schedule))) patch.schedule = schedule;
  return { errors, patch };
}

async function commonErrors(core: Core, c: ConsoleContext, f: CampaignFields): Promise<CampaignErrors> {
  const t = T(c.lang);
  const errors: CampaignErrors = {};
  if (!f.name) errors.name = t.required;
  else if (f.name.length > 200) errors.name = t.tooLong(200);
  if (!f.segmentId || !(await core.segmentReads.find(f.segmentId))) errors.segmentId = t.segmentMissing;
  if (f.messageEn.length > 1000) errors.messageEn = t.tooLong(1000);
  if (f.messageSw.length > 1000) errors.messageSw = t.tooLong(1000);
  if (f.flowId && !core.flows.byId(f.flowId)) errors.flowId = t.flowMissing;
  if (f.rate && (!/^\d{1,6}$/.test(f.rate) || Number(f.rate) < 1 || Number(f.rate) > 100_000)) errors.rate = t.rateInvalid;
  Object.assign(errors, scheduleErrors(c, f.schedule));
  return errors;
}

/** The polls the campaigns ask, by id, read once for a page (a deleted poll is absent). */
export async function pollsOf(core: Core, campaigns: readonly Campaign[]): Promise<Map<string, Poll>> {
  const ids = [...new Set(campaigns.flatMap((x) => (x.pollId ? [x.pollId] : [])))];
  const found = await Promise.all(ids.map((id) => core.pollReads.find(id)));
  return new Map(found.flatMap((p) => (p ? [[p.id, p] as const] : [])));
}

/** What a stored campaign sends, in words (the parts an edit cannot change); `polls` from {@link pollsOf}. */
export function contentInWords(c: ConsoleContext, core: Core, stored: Campaign, polls: ReadonlyMap<string, Poll>): string {
  const t = T(c.lang);
  if (stored.channel === 'best') {
    const flow = stored.flowId ? core.flows.byId(stored.flowId) : undefined;
    const what = contentInWords(c, core, { ...stored, channel: 'sms' }, polls);
    return t.byBest(what, flow?.title?.[c.lang] ?? flow?.title?.en ?? stored.flowId ?? '–');
  }
  if (stored.pollId) {
    const poll = polls.get(stored.pollId);
    const question = poll ? (poll.question[c.lang] ?? poll.question.en ?? Object.values(poll.question)[0] ?? poll.id) : stored.pollId;
    return t.aPoll(question, stored.channel === 'call' ? t.call.toLowerCase() : t.sms);
  }
  if (stored.kind === 'call') {
    const flow = stored.flowId ? core.flows.byId(stored.flowId) : undefined;
    return t.aCall(flow?.title?.[c.lang] ?? flow?.title?.en ?? stored.flowId ?? '–');
  }
  return t.aMessage;
}

/** The form: for a new campaign, or to edit `stored` (carrying its updatedAt, so a stale form is refused). */
export async function campaignForm(core: Core, c: ConsoleContext, f: CampaignFields, errors: CampaignErrors, opts: { stored?: Campaign; preview?: Html | null } = {}): Promise<Html> {
  const t = T(c.lang);
  const stored = opts.stored;
  const segments = (await core.segmentReads.list(500)).map((s) => ({ value: s.id, label: s.name }));
  const polls = (await core.pollReads.list(200))
    .filter((p) => p.status === 'open')
    .map((p) => ({ value: p.id, label: p.question[c.lang] ?? p.question.en ?? Object.values(p.question)[0] ?? p.id }));
  const storedPolls = stored ? await pollsOf(core, [stored]) : new Map<string, Poll>();
  const flows = core.flows.all().map((fl) => ({ value: fl.id, label: fl.title?.[c.lang] ?? fl.title?.en ?? fl.id }));
  const quiet = core.config.messaging.quietHours;
  const action = stored ? `/console/campaigns/${encodeURIComponent(stored.id)}/edit` : '/console/campaigns/new';
  const previewAttrs = 'hx-get="/console/campaigns/preview" hx-trigger="change" hx-target="#recipients-preview" hx-swap="innerHTML"';
  return html`<form method="post" action="${action}" novalidate class="campaign-form">
${csrfField(c)}
${stored ? html`<input type="hidden" name="updatedAt" value="${String(stored.updatedAt)}">` : null}
${field({ name: 'name', label: t.name, value: f.name, error: errors.name, required: true, attrs: 'maxlength="200"' })}
${field({ name: 'segmentId', label: t.segment, type: 'select', value: f.segmentId, error: errors.segmentId, help: t.segmentHelp, required: true, options: [{ value: '', label: t.chooseSegment }, ...segments], attrs: previewAttrs })}
<div id="recipients-preview" aria-live="polite">${opts.preview ?? null}</div>
${stored ? null : html`<button type="submit" name="preview" value="1" class="secondary">${t.preview}</button>`}
${stored
  ? html`<p>${t.fixed(contentInWords(c, core, stored, storedPolls))}</p>${armsInWords(c, stored) ? html`<p id="arms-fixed">${armsInWords(c, stored)}</p>` : null}`
  : html`${field({ name: 'pollId', label: t.poll, type: 'select', value: f.pollId, error: errors.pollId, help: t.pollHelp, options: [{ value: '', label: t.noPoll }, ...polls] })}
${field({ name: 'channel', label: t.channel, type: 'select', value: f.channel, error: errors.channel, options: [{ value: 'sms', label: t.sms }, { value: 'call', label: t.call }, { value: 'best', label: t.best }] })}
${field({ name: 'fallbackChannel', label: t.fallback, type: 'select', value: f.fallbackChannel, help: t.fallbackHelp, options: [{ value: 'sms', label: t.sms }, { value: 'call', label: t.call }] })}`}
${stored && stored.kind === 'call' && !stored.pollId
  ? null
  : html`<div class="grid">
<div>${field({ name: 'messageEn', label: t.messageEn, type: 'textarea', value: f.messageEn, error: errors.messageEn, attrs: 'rows="3" lang="en"' })}</div>
<div>${field({ name: 'messageSw', label: t.messageSw, type: 'textarea', value: f.messageSw, error: errors.messageSw, attrs: 'rows="3" lang="sw"' })}</div>
</div>`}
${stored && stored.channel === 'sms' ? null : field({ name: 'flowId', label: t.flow, type: 'select', value: f.flowId, error: errors.flowId, help: t.flowHelp, options: [{ value: '', label: t.noFlow }, ...flows] })}
${stored ? null : armsFieldset(core, c, f.arms, errors as Record<string, string>)}
${scheduleFieldset(c, f.schedule, errors)}
${field({ name: 'rate', label: t.rate, type: 'number', value: f.rate, error: errors.rate, help: t.rateHelp, attrs: 'min="1" max="100000" step="1" inputmode="numeric"' })}
<p><small>${quiet ? t.quiet(quiet.start, quiet.end, zoneName(core.config.messaging.timezone)) : t.noQuiet}</small></p>
<div class="actions">
${stored ? html`<button type="submit">${t.save}</button>` : html`<button type="submit">${t.submit}</button><button type="submit" name="draft" value="1" class="secondary">${t.draft}</button>`}
</div>
</form>`;
}
