import type { Core } from '../../../core';
import { SEGMENT_TIERS, SUBSCRIPTION_STATES, type SegmentFilter } from '../../../campaigns/segment-filter';
import type { ConsoleContext } from '../../context';
import { html, raw, type Html } from '../../html';
import { texts } from '../../i18n';
import { field } from '../../ui/field';
import { allowedText, fieldLabel } from '../subscribers/profile-fields';

// The segment builder: a form whose fields are the segment filter's keys (src/campaigns/segment-filter.ts),
// read back into the same filter object the API takes. Keys the form has no field for (a poll, a flow's
// content) are carried through a hidden field so editing a segment made through the API keeps them.

/** The builder's fields as submitted: one text per field, lists for the checkboxes. */
export type FormValues = Record<string, string | string[]>;

const CRM_FLAGS = ['stuck', 'passive', 'lapsing', 'churned'] as const;
const MAX_DAYS = 3650;

const T = texts(
  {
    name: 'Name',
    who: 'Who is in it',
    whoHelp: 'Every field you fill must hold; several values in one field (separated by commas) mean any of them.',
    region: 'Region',
    crop: 'Main crop',
    language: 'Language',
    operator: 'Operator',
    several: 'Separate several with commas.',
    any: 'Any',
    min: (l: string) => `${l}: at least`,
    max: (l: string) => `${l}: at most`,
    from: (l: string) => `${l}: from`,
    to: (l: string) => `${l}: to`,
    ageMin: 'Age: at least',
    ageMax: 'Age: at most',
    subscriptions: 'Subscriptions',
    subscriptionState: 'Subscription state',
    service: 'Service',
    anyService: 'Any service',
    activity: 'Activity',
    lastSeenWithinDays: 'Heard from within the last … days',
    notSeenForDays: 'Not heard from for at least … days',
    neverSeen: 'Never heard from',
    neverOnly: 'Only those never heard from',
    neverNot: 'Leave them out',
    content: 'Reached content',
    reached: 'Reached content',
    notReached: 'Did not reach content',
    contentWithinDays: 'Content: within the last … days',
    crm: 'CRM flags',
    crmHelp: 'Subscribers with any of the ticked flags open.',
    tier: 'Value tier',
    tierHelp: 'Subscribers in any of the ticked tiers (core: the top share by residual value).',
    includeOptedOut: 'Include subscribers who opted out (they receive no promotions)',
    kept: 'This segment also filters on:',
    required: 'Give the segment a name (at most 200 characters).',
    notNumber: 'Type a number.',
    days: `Type a number of days above 0 and at most ${MAX_DAYS}.`,
    age: 'Type a whole number of years from 0 to 150.',
    minMax: 'The lowest value is above the highest.',
    fromTo: 'The first date is after the last.',
    seenBoth: 'Must be fewer days than “heard from within”, or nobody can match both.',
    tooLong: 'Each value may have at most 200 characters.',
    notAllowed: (v: string, allowed: string) => `“${v}” is not allowed: ${allowed}.`,
  },
  {
    name: 'Jina',
    who: 'Nani yumo',
    whoHelp: 'Kila sehemu utakayojaza lazima itimie; thamani kadhaa katika sehemu moja (zikitenganishwa kwa koma) humaanisha yoyote kati yake.',
    region: 'Eneo',
    crop: 'Zao kuu',
    language: 'Lugha',
    operator: 'Mtandao',
    several: 'Tenganisha kadhaa kwa koma.',
    any: 'Yoyote',
    min: (l: string) => `${l}: angalau`,
    max: (l: string) => `${l}: isiyozidi`,
    from: (l: string) => `${l}: kuanzia`,
    to: (l: string) => `${l}: hadi`,
    ageMin: 'Umri: angalau',
    ageMax: 'Umri: usiozidi',
    subscriptions: 'Usajili',
    subscriptionState: 'Hali ya usajili',
    service: 'Huduma',
    anyService: 'Huduma yoyote',
    activity: 'Shughuli',
    lastSeenWithinDays: 'Aliwasiliana ndani ya siku … zilizopita',
    notSeenForDays: 'Hajawasiliana kwa angalau siku …',
    neverSeen: 'Hajawahi kuwasiliana',
    neverOnly: 'Wale ambao hawajawahi kuwasiliana tu',
    neverNot: 'Waache nje',
    content: 'Alifikia maudhui',
    reached: 'Alifikia maudhui',
    notReached: 'Hakufikia maudhui',
    contentWithinDays: 'Maudhui: ndani ya siku … zilizopita',
    crm: 'Alama za CRM',
    crmHelp: 'Wateja wenye alama yoyote kati ya zilizochaguliwa ikiwa wazi.',
    tier: 'Kiwango cha thamani',
    tierHelp: 'Wateja walio katika kiwango chochote kilichochaguliwa (core: wa juu kwa thamani iliyobaki).',
    includeOptedOut: 'Jumuisha waliojiondoa (hawapokei matangazo)',
    kept: 'Kundi hili pia linachuja kwa:',
    required: 'Lipe kundi jina (herufi 200 au chache).',
    notNumber: 'Andika nambari.',
    days: `Andika idadi ya siku zaidi ya 0 na isiyozidi ${MAX_DAYS}.`,
    age: 'Andika idadi kamili ya miaka kuanzia 0 hadi 150.',
    minMax: 'Thamani ya chini iko juu ya ile ya juu.',
    fromTo: 'Tarehe ya kwanza iko baada ya ya mwisho.',
    seenBoth: 'Lazima iwe siku chache kuliko “aliwasiliana ndani ya”, la sivyo hakuna atakayetimiza zote mbili.',
    tooLong: 'Kila thamani isizidi herufi 200.',
    notAllowed: (v: string, allowed: string) => `“${v}” hairuhusiwi: ${allowed}.`,
  },
);

const one = (v: FormValues[string] | undefined): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')).trim();
const many = (v: FormValues[string] | undefined): string[] => (Array.isArray(v) ? v : v ? [v] : []).map((x) => x.trim()).filter(Boolean);
const split = (s: string): string[] => s.split(/[,;]/).map((x) => x.trim()).filter(Boolean);
const oneOrMany = (xs: string[]): string | string[] => (xs.length === 1 ? xs[0]! : xs);
const joined = (v: unknown): string => (v === undefined || v === null ? '' : Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean));
/** The profile fields the builder offers beside region and language (which are filter keys of their own). */
const profileFields = (core: Core) => core.subscribers.profile.names().filter((n) => n !== 'region' && n !== 'language');

/** Reads the builder's values into a segment filter, with an inline error (reader's language) for each field that cannot be one. */
export function filterFrom(c: ConsoleContext, core: Core, v: FormValues): { name: string; filter: Record<string, unknown>; errors: Record<string, string> } {
  const t = T(c.lang);
  const errors: Record<string, string> = {};
  const filter: Record<string, unknown> = {};
  const name = one(v.name);
  if (name === '' || name.length > 200) errors.name = t.required;
  const texts = (key: string, values?: readonly string[]) => {
    const xs = split(one(v[key]));
    if (xs.length === 0) return undefined;
    if (xs.some((x) => x.length > 200)) errors[key] = t.tooLong;
    const wrong = values && xs.find((x) => !values.some((a) => a.toLowerCase() === x.toLowerCase()));
    if (wrong) errors[key] = t.notAllowed(wrong, allowedText(c.lang, { type: 'enum', values: [...values!] }));
    return oneOrMany(xs);
  };
  const number = (key: string, check?: (n: number) => string | null): number | undefined => {
    const s = one(v[key]);
    if (s === '') return undefined;
    const n = Number(s.replace(',', '.'));
    if (!/^-?\d+([.,]\d+)?$/.test(s) || !Number.isFinite(n)) {
      errors[key] = t.notNumber;
      return undefined;
    }
    const problem = check?.(n);
    if (problem) errors[key] = problem;
    return n;
  };
  const days = (n: number) => (n > 0 && n <= MAX_DAYS ? null : t.days);
  const age = (n: number) => (Number.isInteger(n) && n >= 0 && n <= 150 ? null : t.age);

  for (const key of ['region', 'crop', 'operator'] as const) {
    const x = texts(key);
    if (x !== undefined) filter[key] = x;
  }
  const lang = texts('language', core.subscribers.profile.field('language')?.values);
  if (lang !== undefined) filter.language = lang;

  const profile: Record<string, unknown> = {};
  for (const n of profileFields(core)) {
    const f = core.subscribers.profile.field(n)!;
    if (f.type === 'integer' || f.type === 'number') {
      const min = number(`p.${n}.min`);
      const max = number(`p.${n}.max`);
      if (min !== undefined && max !== undefined && min > max) errors[`p.${n}.max`] = t.minMax;
      if (min !== undefined || max !== undefined) profile[n] = { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
    } else if (f.type === 'date') {
      const from = one(v[`p.${n}.from`]);
      const to = one(v[`p.${n}.to`]);
      if (from && to && from > to) errors[`p.${n}.to`] = t.fromTo;
      if (from || to) profile[n] = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
    } else {
      const x = texts(`p.${n}`, f.values);
      if (x !== undefined) profile[n] = x;
    }
  }
  if (Object.keys(profile).length > 0) filter.profile = profile;

  const ageMin = number('ageMin', age);
  const ageMax = number('ageMax', age);
  if (ageMin !== undefined) filter.ageMin = ageMin;
  if (ageMax !== undefined) filter.ageMax = ageMax;
  if (ageMin !== undefined && ageMax !== undefined && ageMin > ageMax) errors.ageMax = t.minMax;

  const state = one(v.subscriptionState);
  if (state) filter.subscriptionState = state;
  const service = one(v.service);
  if (service) filter.service = service;
  const within = number('lastSeenWithinDays', days);
  const notFor = number('notSeenForDays', days);
  if (within !== undefined) filter.lastSeenWithinDays = within;
  if (notFor !== undefined) filter.notSeenForDays = notFor;
  if (within !== undefined && notFor !== undefined && notFor >= within && !errors.notSeenForDays) errors.notSeenForDays = t.seenBoth;
  const never = one(v.neverSeen);
  if (never === 'true' || never === 'false') filter.neverSeen = never === 'true';

  let kept: Record<string, unknown> = {};
  try {
    const k: unknown = JSON.parse(one(v._keep) || '{}');
    if (k && typeof k === 'object' && !Array.isArray(k)) kept = k as Record<string, unknown>;
  } catch {
    // a hand-edited hidden field: nothing kept
  }
  const content = one(v.content);
  const contentDays = number('contentWithinDays', days);
  const keptContent = kept.content && typeof kept.content === 'object' ? (kept.content as Record<string, unknown>) : {};
  if (content === 'reached' || content === 'not') filter.content = { ...keptContent, reached: content === 'reached', ...(contentDays !== undefined ? { withinDays: contentDays } : {}) };
  const flags = many(v.crmFlags).filter((f) => (CRM_FLAGS as readonly string[]).includes(f));
  if (flags.length > 0) filter.crmFlags = oneOrMany(flags);
  const tiers = many(v.tier).filter((x) => (SEGMENT_TIERS as readonly string[]).includes(x));
  if (tiers.length > 0) filter.tier = oneOrMany(tiers);
  if (one(v.includeOptedOut) === 'true') filter.includeOptedOut = true;
  if (kept.poll !== undefined) filter.poll = kept.poll;
  return { name, filter, errors };
}

/** The builder's values for a saved filter (the segment's edit form). */
export function valuesOf(core: Core, name: string, f: SegmentFilter): FormValues {
  const v: FormValues = { name };
  for (const key of ['region', 'crop', 'operator', 'language'] as const) if (f[key] !== undefined) v[key] = joined(f[key]);
  for (const [n, value] of Object.entries(f.profile ?? {})) {
    if (value && typeof value === 'object' && !Array.isArray(value)) for (const [b, x] of Object.entries(value)) v[`p.${n}.${b}`] = String(x);
    else v[`p.${n}`] = joined(value);
  }
  if (f.ageMin !== undefined) v.ageMin = String(f.ageMin);
  if (f.ageMax !== undefined) v.ageMax = String(f.ageMax);
  if (f.subscriptionState !== undefined) v.subscriptionState = Array.isArray(f.subscriptionState) ? (f.subscriptionState[0] ?? '') : f.subscriptionState;
  if (f.service !== undefined) v.service = f.service;
  if (f.lastSeenWithinDays !== undefined) v.lastSeenWithinDays = String(f.lastSeenWithinDays);
  if (f.notSeenForDays !== undefined) v.notSeenForDays = String(f.notSeenForDays);
  if (f.neverSeen !== undefined) v.neverSeen = String(f.neverSeen);
  if (f.content) {
    v.content = f.content.reached ? 'reached' : 'not';
    if (f.content.withinDays !== undefined) v.contentWithinDays = String(f.content.withinDays);
  }
  if (f.crmFlags !== undefined) v.crmFlags = Array.isArray(f.crmFlags) ? f.crmFlags : [f.crmFlags];
  if (f.tier !== undefined) v.tier = Array.isArray(f.tier) ? f.tier : [f.tier];
  if (f.includeOptedOut) v.includeOptedOut = 'true';
  const keep: Record<string, unknown> = {};
  if (f.poll) keep.poll = f.poll;
  if (f.content && (f.content.flowId || f.content.nodeId)) keep.content = { ...(f.content.flowId ? { flowId: f.content.flowId } : {}), ...(f.content.nodeId ? { nodeId: f.content.nodeId } : {}) };
  if (Object.keys(keep).length > 0) v._keep = JSON.stringify(keep);
  return v;
}

function keysOf(json: string): string[] {
  try {
    const k: unknown = JSON.parse(json || '{}');
    return k && typeof k === 'object' && !Array.isArray(k) ? Object.keys(k) : [];
  } catch {
    return [];
  }
}

/** Which builder field a service error about `filter.<path>` belongs to, if any. */
export function fieldOfPath(message: string): string | null {
  const m = /^filter\.([A-Za-z]+)(?:\.([A-Za-z0-9_]+))?/.exec(message);
  if (!m) return null;
  const [, key, sub] = m;
  if (key === 'profile' && sub) return `p.${sub}`;
  if (key === 'content') return 'content';
  return key === 'poll' ? null : (key ?? null);
}

/** The builder's fields (name, who, subscriptions, activity, CRM), each labelled, with its inline error. */
export function builderFields(c: ConsoleContext, core: Core, v: FormValues, errors: Record<string, string>): Html {
  const t = T(c.lang);
  const f = (name: string, label: string, extra: Partial<Parameters<typeof field>[0]> = {}) =>
    html`<div>${field({ name, label, value: one(v[name]), error: errors[name] ?? null, id: `seg-${name.replace(/\./g, '-')}`, ...extra })}</div>`;
  const select = (name: string, label: string, options: { value: string; label: string }[]) => f(name, label, { type: 'select', options: [{ value: '', label: t.any }, ...options] });
  const opts = (xs: readonly string[]) => xs.map((x) => ({ value: x, label: x }));
  const dayAttrs = 'inputmode="decimal"';

  const schema = core.subscribers.profile;
  const langValues = schema.field('language')?.values;
  const operators = core.config.operators.map((o) => o.id);
  const profile = profileFields(core).map((n) => {
    const spec = schema.field(n)!;
    const label = fieldLabel(c.lang, n);
    if (spec.type === 'integer' || spec.type === 'number')
      return html`${f(`p.${n}.min`, t.min(label), { attrs: dayAttrs })}${f(`p.${n}.max`, t.max(label), { attrs: dayAttrs })}`;
    if (spec.type === 'date') return html`${f(`p.${n}.from`, t.from(label), { type: 'date' })}${f(`p.${n}.to`, t.to(label), { type: 'date' })}`;
    if (spec.type === 'enum' && spec.values) return select(`p.${n}`, label, opts(spec.values));
    return f(`p.${n}`, label, { help: t.several });
  });
  const flags = many(v.crmFlags);
  const tiers = many(v.tier);
  const kept = one(v._keep);
  const keptKeys = keysOf(kept);
  // The name is not `required`: htmx validates a form before each live count and would hold it back until a name is typed.
  return html`${f('name', t.name, { attrs: 'maxlength="200" aria-required="true"' })}
<fieldset><legend>${t.who}</legend><p><small>${t.whoHelp}</small></p>
<div class="grid-fields">${f('region', t.region, { help: t.several })}
${f('crop', t.crop, { help: t.several })}
${langValues ? select('language', t.language, opts(langValues)) : f('language', t.language, { help: t.several })}
${operators.length > 0 ? select('operator', t.operator, opts(operators)) : f('operator', t.operator, { help: t.several })}
${profile}
${schema.field('birthYear')?.type === 'integer' ? html`${f('ageMin', t.ageMin, { attrs: 'inputmode="numeric"' })}${f('ageMax', t.ageMax, { attrs: 'inputmode="numeric"' })}` : null}
</div></fieldset>
<fieldset><legend>${t.subscriptions}</legend><div class="grid-fields">
${select('subscriptionState', t.subscriptionState, opts(SUBSCRIPTION_STATES))}
${f('service', t.service, { type: 'select', options: [{ value: '', label: t.anyService }, ...core.config.services.map((s) => ({ value: s.id, label: s.name }))] })}
</div></fieldset>
<fieldset><legend>${t.activity}</legend><div class="grid-fields">
${f('lastSeenWithinDays', t.lastSeenWithinDays, { attrs: dayAttrs })}
${f('notSeenForDays', t.notSeenForDays, { attrs: dayAttrs })}
${select('neverSeen', t.neverSeen, [{ value: 'true', label: t.neverOnly }, { value: 'false', label: t.neverNot }])}
${select('content', t.content, [{ value: 'reached', label: t.reached }, { value: 'not', label: t.notReached }])}
${f('contentWithinDays', t.contentWithinDays, { attrs: dayAttrs })}
</div></fieldset>
<fieldset><legend>${t.crm}</legend><p><small>${t.crmHelp}</small></p>
${CRM_FLAGS.map((flag) => html`<label><input type="checkbox" name="crmFlags" value="${flag}"${flags.includes(flag) ? raw(' checked') : ''}> ${flag}</label>`)}
${errors.crmFlags ? html`<small class="field-error">${errors.crmFlags}</small>` : null}
</fieldset>
<fieldset><legend>${t.tier}</legend><p><small>${t.tierHelp}</small></p>
${SEGMENT_TIERS.map((tier) => html`<label><input type="checkbox" name="tier" value="${tier}"${tiers.includes(tier) ? raw(' checked') : ''}> ${tier}</label>`)}
${errors.tier ? html`<small class="field-error">${errors.tier}</small>` : null}
</fieldset>
<label><input type="checkbox" name="includeOptedOut" value="true"${one(v.includeOptedOut) === 'true' ? raw(' checked') : ''}> ${t.includeOptedOut}</label>
${keptKeys.length > 0 ? html`<input type="hidden" name="_keep" value="${kept}"><p><small>${t.kept} ${keptKeys.join(', ')}</small></p>` : null}`;
}
