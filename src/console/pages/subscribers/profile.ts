import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../../../lib/errors';
import type { Core } from '../../../core';
import type { Subscriber } from '../../../subscribers/subscriber-service';
import { subscriberView } from '../../../subscribers/subscriber-views';
import { TimelineStore } from '../../../subscribers/timeline-store';
import { ctx, requireRole, seeOther, sendHtml, type ConsoleContext, type ConsoleDeps } from '../../context';
import { num, pct, when } from '../../format';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { csrfField, page } from '../../layout';
import { field } from '../../ui/field';
import { table } from '../../ui/table';
import { allowedText, fieldLabel, formValue, refusal } from './profile-fields';
import { profileHref, subscriberOf } from './profile-href';
import { bestChannelBlock } from './best-channel-block';
import { timelineSection } from './timeline';

const TIMELINE_ENTRIES = 50;

const T = texts(
  {
    title: (n: string) => `Subscriber ${n}`,
    lead: 'Profile, subscriptions, what the CRM found and everything that happened, newest first.',
    saved: 'Profile saved.',
    fixBelow: 'Nothing was saved: correct the fields marked below.',
    profile: 'Profile',
    colField: 'Field',
    colValue: 'Value',
    number: 'Number',
    operator: 'Operator',
    crop: 'Main crop',
    optedOut: 'Opted out of promotions',
    yes: 'yes',
    no: 'no',
    firstSeen: 'First seen',
    lastSeen: 'Last heard from',
    subscriptions: 'Subscriptions',
    noSubscriptions: 'No subscriptions.',
    colService: 'Service',
    colState: 'State',
    colSince: 'Since',
    colRenewals: 'Renewals',
    colNext: 'Next renewal',
    colRevenue: 'Paid so far',
    crm: 'CRM',
    flags: 'Open flags',
    noFlags: 'No open flags.',
    colFlag: 'Flag',
    colReason: 'Reason',
    colStatus: 'Status',
    colDetected: 'Found',
    activity: 'Activity',
    noActivity: 'The CRM has not seen this subscriber use a service yet.',
    activeDays: 'Days active',
    sessions: 'Sessions',
    contentSessions: 'Sessions that reached content',
    stuckSessions: 'Sessions stuck',
    lastActive: 'Last active day',
    pAlive: 'Chance still active',
    expected30: 'Expected active days in the next 30',
    risks: 'Risk per subscription',
    colRenew: 'Chance of renewing',
    colLapse: 'Lapse risk',
    colDisengage: 'Disengagement risk',
    colValueAtRisk: 'Value at risk',
    tier: 'Value tier',
    noTier: 'No value tier: no live subscription, or not scored yet.',
    tierRank: 'Rank by residual value',
    tierResidual: 'Residual value',
    tierTenure: 'Tenure (days)',
    tierSince: 'In this tier since',
    edit: 'Edit profile',
    editHelp: 'Leave a field empty to clear it.',
    save: 'Save profile',
  },
  {
    title: (n: string) => `Mteja ${n}`,
    lead: 'Wasifu, usajili, alichogundua CRM na yote yaliyotokea, ya karibuni kwanza.',
    saved: 'Wasifu umehifadhiwa.',
    fixBelow: 'Hakuna kilichohifadhiwa: rekebisha sehemu zilizowekwa alama hapa chini.',
    profile: 'Wasifu',
    colField: 'Sehemu',
    colValue: 'Thamani',
    number: 'Nambari',
    operator: 'Mtandao',
    crop: 'Zao kuu',
    optedOut: 'Amejiondoa kwenye matangazo',
    yes: 'ndiyo',
    no: 'hapana',
    firstSeen: 'Alionekana kwanza',
    lastSeen: 'Aliwasiliana mwisho',
    subscriptions: 'Usajili',
    noSubscriptions: 'Hana usajili wowote.',
    colService: 'Huduma',
    colState: 'Hali',
    colSince: 'Tangu',
    colRenewals: 'Marudio ya malipo',
    colNext: 'Malipo yajayo',
    colRevenue: 'Amelipa hadi sasa',
    crm: 'CRM',
    flags: 'Alama zilizo wazi',
    noFlags: 'Hakuna alama zilizo wazi.',
    colFlag: 'Alama',
    colReason: 'Sababu',
    colStatus: 'Hali',
    colDetected: 'Iligunduliwa',
    activity: 'Shughuli',
    noActivity: 'CRM bado haijaona mteja huyu akitumia huduma.',
    activeDays: 'Siku za shughuli',
    sessions: 'Vipindi',
    contentSessions: 'Vipindi vilivyofikia maudhui',
    stuckSessions: 'Vipindi vilivyokwama',
    lastActive: 'Siku ya mwisho ya shughuli',
    pAlive: 'Uwezekano bado anatumia',
    expected30: 'Siku za shughuli zinazotarajiwa katika 30 zijazo',
    risks: 'Hatari kwa kila usajili',
    colRenew: 'Uwezekano wa kulipia tena',
    colLapse: 'Hatari ya kuacha kulipa',
    colDisengage: 'Hatari ya kuacha kutumia',
    colValueAtRisk: 'Thamani iliyo hatarini',
    tier: 'Kiwango cha thamani',
    noTier: 'Hana kiwango cha thamani: hana usajili hai, au bado hajapimwa.',
    tierRank: 'Nafasi kwa thamani iliyobaki',
    tierResidual: 'Thamani iliyobaki',
    tierTenure: 'Muda wa uanachama (siku)',
    tierSince: 'Katika kiwango hiki tangu',
    edit: 'Hariri wasifu',
    editHelp: 'Acha sehemu tupu ili kuifuta.',
    save: 'Hifadhi wasifu',
  },
);

type View = Record<string, unknown>;
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);
const str = (v: unknown): string => (v === null || v === undefined ? '–' : typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean));
const numOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const isoOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The subscriber as GET /api/v1/subscribers/:msisdn shows it (the profile and what each domain adds). */
function viewOf(core: Core, s: Subscriber): Promise<View> {
  return subscriberView(core.subscribers.toJson(s), core.subscriberViews, s);
}

/** The current value of each editable field, as the form shows it. */
function currentValues(core: Core, s: Subscriber): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of core.subscribers.profile.names()) out[name] = formValue(name === 'region' || name === 'language' ? s[name] : s.profile[name]);
  return out;
}

function profileSection(c: ConsoleContext, core: Core, v: View): Html {
  const t = T(c.lang);
  const p = obj(v.profile);
  const rows: [string, string][] = [
    [t.number, c.msisdn(String(v.msisdn))],
    ...core.subscribers.profile.names().map((n): [string, string] => [fieldLabel(c.lang, n), formValue(n === 'region' || n === 'language' ? v[n] : p[n]) || '–']),
    [t.crop, str(v.crop)],
    [t.operator, str(v.operator)],
    [t.optedOut, v.optedOut ? t.yes : t.no],
    [t.firstSeen, when(c.lang, isoOrNull(v.firstSeenAt), c.timeZone)],
    [t.lastSeen, when(c.lang, isoOrNull(v.lastSeenAt), c.timeZone)],
  ];
  return html`<section aria-labelledby="profile-h"><h2 id="profile-h">${t.profile}</h2>
${table({ columns: [t.colField, t.colValue], rows, id: 'profile' })}</section>`;
}

function subscriptionsSection(c: ConsoleContext, v: View): Html {
  const t = T(c.lang);
  const rows = arr(v.subscriptions).map((s) => {
    const revenue = obj(s.revenue);
    return [
      str(s.serviceName ?? s.serviceId),
      str(s.state),
      when(c.lang, isoOrNull(s.stateSince), c.timeZone),
      num(c.lang, numOrNull(s.renewals)),
      when(c.lang, isoOrNull(s.nextRenewalAt), c.timeZone),
      `${num(c.lang, numOrNull(revenue.amount), 2)} ${str(revenue.currency)}`,
    ];
  });
  return html`<section aria-labelledby="subs-h"><h2 id="subs-h">${t.subscriptions}</h2>
${table({ columns: [t.colService, t.colState, t.colSince, { label: t.colRenewals, numeric: true }, t.colNext, { label: t.colRevenue, numeric: true }], rows, empty: t.noSubscriptions, id: 'subscriptions' })}</section>`;
}

function crmSection(c: ConsoleContext, v: View): Html | null {
  if (!('crm' in v)) return null;
  const t = T(c.lang);
  const crm = obj(v.crm);
  const flags = arr(crm.flags).map((f) => [str(f.kind), str(f.reason), str(f.status), when(c.lang, isoOrNull(f.detectedAt), c.timeZone)]);
  const a = crm.activity ? obj(crm.activity) : null;
  const scores = crm.scores ? obj(crm.scores) : null;
  const activityRows: [string, string][] = a
    ? [
        [t.activeDays, num(c.lang, numOrNull(a.activeDays))],
        [t.sessions, num(c.lang, numOrNull(a.sessions))],
        [t.contentSessions, num(c.lang, numOrNull(a.contentSessions))],
        [t.stuckSessions, num(c.lang, numOrNull(a.stuckSessions))],
        [t.lastActive, str(a.lastActiveDay)],
        ...(scores ? ([[t.pAlive, pct(c.lang, numOrNull(scores.pAlive))], [t.expected30, num(c.lang, numOrNull(scores.expectedActiveDays30), 1)]] as [string, string][]) : []),
      ]
    : [];
  const risks = arr(crm.subscriptions)
    .filter((s) => s.risk !== undefined)
    .map((s) => [str(s.serviceId), pct(c.lang, numOrNull(s.renewProbability)), pct(c.lang, numOrNull(obj(s.lapse).risk)), pct(c.lang, numOrNull(obj(s.disengagement).risk)), num(c.lang, numOrNull(s.valueAtRisk), 2)]);
  const tier = crm.tier ? obj(crm.tier) : null;
  const tierRows: [string, string][] = tier
    ? [
        [t.tier, str(tier.tier)],
        [t.tierRank, num(c.lang, numOrNull(tier.rank))],
        [t.tierResidual, num(c.lang, numOrNull(tier.residualValue), 2)],
        [t.tierTenure, num(c.lang, numOrNull(tier.tenureDays))],
        [t.tierSince, when(c.lang, isoOrNull(tier.since), c.timeZone)],
      ]
    : [];
  return html`<section aria-labelledby="crm-h"><h2 id="crm-h">${t.crm}</h2>
<h3>${t.tier}</h3>
${tier ? table({ columns: [t.colField, { label: t.colValue, numeric: true }], rows: tierRows, id: 'crm-tier' }) : html`<p class="empty">${t.noTier}</p>`}
<h3>${t.flags}</h3>
${table({ columns: [t.colFlag, t.colReason, t.colStatus, t.colDetected], rows: flags, empty: t.noFlags, id: 'crm-flags' })}
<h3>${t.activity}</h3>
${a ? table({ columns: [t.colField, { label: t.colValue, numeric: true }], rows: activityRows, id: 'crm-activity' }) : html`<p class="empty">${t.noActivity}</p>`}
${risks.length > 0
  ? html`<h3>${t.risks}</h3>${table({ columns: [t.colService, { label: t.colRenew, numeric: true }, { label: t.colLapse, numeric: true }, { label: t.colDisengage, numeric: true }, { label: t.colValueAtRisk, numeric: true }], rows: risks, id: 'crm-risks' })}`
  : null}
${bestChannelBlock(c, crm)}
</section>`;
}

function editSection(c: ConsoleContext, core: Core, s: Subscriber, values: Record<string, string>, errors: Record<string, string>): Html {
  const t = T(c.lang);
  const schema = core.subscribers.profile;
  const fields = schema.names().map((name) => {
    const f = schema.field(name)!;
    const common = { name, label: fieldLabel(c.lang, name), value: values[name] ?? '', error: errors[name] ?? null, help: allowedText(c.lang, f), id: `edit-${name}` };
    if (f.type === 'enum') return field({ ...common, type: 'select', options: [{ value: '', label: '–' }, ...(f.values ?? []).map((x) => ({ value: x, label: x }))] });
    if (f.type === 'integer' || f.type === 'number') return field({ ...common, attrs: 'inputmode="decimal"' });
    if (f.type === 'date') return field({ ...common, type: 'date' });
    return field(common);
  });
  const open = Object.keys(errors).length > 0;
  return html`<section aria-labelledby="edit-h"><details${open ? html` open` : ''}><summary id="edit-h" role="button" class="secondary">${t.edit}</summary>
<form method="post" action="${profileHref(s.id)}">${csrfField(c)}
<p>${t.editHelp}</p>
<div class="grid-fields">${fields}</div>
<button type="submit">${t.save}</button>
</form></details></section>`;
}

async function render(reply: FastifyReply, c: ConsoleContext, core: Core, s: Subscriber, opts: { notice?: string | null; values?: Record<string, string>; errors?: Record<string, string>; error?: string | null; status?: number }) {
  const t = T(c.lang);
  const [v, timeline] = await Promise.all([viewOf(core, s), TimelineStore.of(core.database).recent(s.id, TIMELINE_ENTRIES)]);
  const errors = opts.errors ?? {};
  const body = html`${c.can('editor') ? editSection(c, core, s, opts.values ?? currentValues(core, s), errors) : null}
${profileSection(c, core, v)}
${subscriptionsSection(c, v)}
${crmSection(c, v)}
${timelineSection(c, timeline)}`;
  return sendHtml(reply, page(c, { title: t.title(c.msisdn(s.msisdn)), lead: t.lead, body, notice: opts.notice ?? null, error: opts.error ?? null }), opts.status ?? 200);
}

/** GET /console/subscribers/:msisdn (profile, CRM, timeline) and POST (editors change typed profile fields). */
export function subscriberProfilePages(app: FastifyInstance, deps: ConsoleDeps): void {
  const { core, accounts } = deps;

  app.get<{ Params: { msisdn: string } }>('/subscribers/:msisdn', async (req, reply) => {
    const c = ctx(req);
    const s = await subscriberOf(core, req.params.msisdn);
    const notice = (req.query as Record<string, unknown>).notice === 'saved' ? T(c.lang).saved : null;
    return render(reply, c, core, s, { notice });
  });

  app.post<{ Params: { msisdn: string } }>('/subscribers/:msisdn', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const s = await subscriberOf(core, req.params.msisdn);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const current = currentValues(core, s);
    const values: Record<string, string> = {};
    const patch: Record<string, unknown> = {};
    const errors: Record<string, string> = {};
    for (const name of core.subscribers.profile.names()) {
      const raw = body[name];
      const value = typeof raw === 'string' ? raw.trim() : (current[name] ?? '');
      values[name] = value;
      if (value === (current[name] ?? '')) continue;
      const next = value === '' ? null : value;
      // Each field is checked on its own so every refused one is marked, not only the first.
      try {
        core.subscribers.validateProfile({ [name]: next });
        patch[name] = next;
      } catch (e) {
        if (!(e instanceof AppError) || e.status !== 400) throw e;
        errors[name] = refusal(c.lang, name, core.subscribers.profile.field(name)!);
      }
    }
    if (Object.keys(errors).length > 0) return render(reply, c, core, s, { values, errors, error: T(c.lang).fixBelow, status: 400 });
    if (Object.keys(patch).length > 0) {
      const valid = core.subscribers.validateProfile(patch);
      // The profile and its audit entry are one unit.
      await core.commits.unit(async (tx) => {
        await core.subscribers.applyProfileIn(tx, s.id, valid);
        await accounts.auditIn(tx, c.account.name, 'subscriber.update', s.msisdn, { fields: Object.keys(patch) });
      });
    }
    return seeOther(reply, profileHref(s.id), 'saved');
  });
}
