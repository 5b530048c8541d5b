import type { CampaignInput } from '../../../campaigns/campaign-service';
import type { Campaign } from '../../../campaigns/campaign-types';
import type { CampaignArm, CampaignGoal } from '../../../db/schema/campaigns';
import type { Core } from '../../../core';
import type { ConsoleContext } from '../../context';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { field } from '../../ui/field';

// The "offers tested" part of the new-campaign form: a fixed number of arm slots (works without
// JavaScript; an empty slot is ignored), the holdout share, the goal and its window. Arms here are SMS
// arms (text per language, optionally a package and price offered); call arms are set through the API.

export const ARM_SLOTS = 4;
const GOALS = ['subscribed', 'reached_content', 'renewed', 'answered'] as const;

const T = texts(
  {
    legend: 'Offers tested (optional)',
    lead: 'Give two or more arms to compare messages or offers. Each recipient gets one arm at random; the holdout gets nothing, so the gain of each arm can be measured. Leave the arms empty for a plain campaign.',
    arm: (n: string) => `Arm ${n}`,
    armName: (n: string) => `Arm ${n}: short title`,
    en: (n: string) => `Arm ${n}: text in English`,
    sw: (n: string) => `Arm ${n}: text in Kiswahili`,
    service: (n: string) => `Arm ${n}: package offered`,
    noService: 'No package',
    price: (n: string) => `Arm ${n}: price as told (e.g. KES 10 a week)`,
    share: (n: string) => `Arm ${n}: share (weight, default 1)`,
    holdout: 'Holdout: % of recipients sent nothing',
    holdoutHelp: 'From 0 to 90. 10 to 20 is usual; without a holdout there is no uplift to measure.',
    goal: 'Goal',
    goals: 'Subscribed to a package|Reached content|Renewed|Answered the poll',
    goalService: 'Package (for subscribed / renewed; empty = any)',
    anyService: 'Any package',
    goalNode: 'Content node (for reached content; empty = any content)',
    windowDays: 'Window (days after sending)',
    windowHelp: 'A conversion counts when it happens within this many days of the message.',
    nameNeeded: 'Give this arm a name (letters, digits, space, - . _).',
    nameTaken: 'Two arms have this name.',
    nameHoldout: '"holdout" is the name of the group sent nothing; choose another.',
    textNeeded: 'Write this arm\'s message in English, Kiswahili or both.',
    shareInvalid: 'A number above 0 and at most 100, or empty.',
    holdoutInvalid: 'A whole number from 0 to 90.',
    windowInvalid: 'A whole number of days from 1 to 365.',
    goalPoll: 'The goal "answered the poll" needs a poll campaign.',
    nodeUnknown: 'No content node by this name in the flows.',
    needsSms: 'Arms in the console are SMS arms; choose SMS as the channel.',
    fixed: (arms: string, holdout: string, goal: string) => `Arms: ${arms}. Holdout ${holdout}. Goal: ${goal}. Arms, holdout and goal stay fixed once the campaign has run, so the comparison holds.`,
    goalWords: (type: string, days: string) => `${type} within ${days} days`,
  },
  {
    legend: 'Ofa zinazojaribiwa (si lazima)',
    lead: 'Weka vikundi viwili au zaidi ili kulinganisha jumbe au ofa. Kila mpokeaji hupata kikundi kimoja kwa bahati nasibu; kundi la kulinganisha halipokei chochote, ili faida ya kila kikundi ipimwe. Acha vikundi vitupu kwa kampeni ya kawaida.',
    arm: (n: string) => `Kikundi ${n}`,
    armName: (n: string) => `Kikundi ${n}: jina fupi`,
    en: (n: string) => `Kikundi ${n}: maandishi kwa Kiingereza`,
    sw: (n: string) => `Kikundi ${n}: maandishi kwa Kiswahili`,
    service: (n: string) => `Kikundi ${n}: kifurushi kinachotolewa`,
    noService: 'Bila kifurushi',
    price: (n: string) => `Kikundi ${n}: bei kama ilivyoelezwa (mf. KES 10 kwa wiki)`,
    share: (n: string) => `Kikundi ${n}: sehemu (uzito, kawaida 1)`,
    holdout: 'Kundi la kulinganisha: % ya wapokeaji wasiotumiwa kitu',
    holdoutHelp: 'Kuanzia 0 hadi 90. 10 hadi 20 ni kawaida; bila kundi la kulinganisha hakuna faida ya kupima.',
    goal: 'Lengo',
    goals: 'Amejiunga na kifurushi|Amefikia maudhui|Amelipia upya|Amejibu kura',
    goalService: 'Kifurushi (kwa kujiunga / kulipia upya; tupu = chochote)',
    anyService: 'Kifurushi chochote',
    goalNode: 'Sehemu ya maudhui (kwa kufikia maudhui; tupu = maudhui yoyote)',
    windowDays: 'Muda (siku baada ya kutuma)',
    windowHelp: 'Mafanikio huhesabiwa yakitokea ndani ya siku hizi baada ya ujumbe.',
    nameNeeded: 'Kipe kikundi hiki jina (herufi, tarakimu, nafasi, - . _).',
    nameTaken: 'Vikundi viwili vina jina hili.',
    nameHoldout: '"holdout" ni jina la kundi lisilotumiwa kitu; chagua jingine.',
    textNeeded: 'Andika ujumbe wa kikundi hiki kwa Kiingereza, Kiswahili au zote mbili.',
    shareInvalid: 'Namba zaidi ya 0 na isiyozidi 100, au acha tupu.',
    holdoutInvalid: 'Namba kamili kutoka 0 hadi 90.',
    windowInvalid: 'Idadi kamili ya siku kutoka 1 hadi 365.',
    goalPoll: 'Lengo "amejibu kura" linahitaji kampeni ya kura.',
    nodeUnknown: 'Hakuna sehemu ya maudhui yenye jina hili kwenye menyu.',
    needsSms: 'Vikundi kwenye dashibodi ni vya SMS; chagua SMS kama njia.',
    fixed: (arms: string, holdout: string, goal: string) => `Vikundi: ${arms}. Kundi la kulinganisha ${holdout}. Lengo: ${goal}. Vikundi, kundi la kulinganisha na lengo havibadiliki kampeni ikishatumwa, ili ulinganisho ubaki sahihi.`,
    goalWords: (type: string, days: string) => `${type} ndani ya siku ${days}`,
  },
);

/** One arm slot as submitted. */
export interface ArmSlot {
  name: string;
  en: string;
  sw: string;
  serviceId: string;
  price: string;
  share: string;
}

/** The arms part of the form as submitted. */
export interface ArmsFields {
  slots: ArmSlot[];
  holdout: string;
  goal: string;
  goalService: string;
  goalNode: string;
  windowDays: string;
}

export type ArmsErrors = Record<string, string>;

const str = (v: unknown): string => (typeof v === 'string' ? v.replace(/\r\n/g, '\n').trim() : '');
const emptySlot = (): ArmSlot => ({ name: '', en: '', sw: '', serviceId: '', price: '', share: '' });
const used = (s: ArmSlot) => Object.values(s).some((v) => v !== '');

/** The arms fields from a submitted form body. */
export function readArmsFields(body: Record<string, unknown>): ArmsFields {
  const slots = [...Array(ARM_SLOTS).keys()].map((i) => ({
    name: str(body[`arm${i}Name`]),
    en: str(body[`arm${i}En`]),
    sw: str(body[`arm${i}Sw`]),
    serviceId: str(body[`arm${i}Service`]),
    price: str(body[`arm${i}Price`]),
    share: str(body[`arm${i}Share`]),
  }));
  return { slots, holdout: str(body.holdoutPercent), goal: str(body.goal), goalService: str(body.goalService), goalNode: str(body.goalNode), windowDays: str(body.windowDays) };
}

/** Blank arms fields (the usual holdout and window filled in). */
export function blankArms(): ArmsFields {
  return { slots: [...Array(ARM_SLOTS).keys()].map(emptySlot), holdout: '10', goal: 'subscribed', goalService: '', goalNode: '', windowDays: '7' };
}

/**
 * Checks the arms part; with no arm filled in, nothing (a plain campaign). Otherwise the arms, holdout and
 * goal for the campaign service (which checks them again and names any field it refuses).
 */
export function checkArmsFields(core: Core, c: ConsoleContext, f: ArmsFields, campaign: { channel: 'sms' | 'call' | 'best'; pollId: string }): { errors: ArmsErrors; value: Pick<CampaignInput, 'arms' | 'holdoutPercent' | 'goal'> } {
  const t = T(c.lang);
  const errors: ArmsErrors = {};
  const filled = f.slots.map((s, i) => ({ s, i })).filter((x) => used(x.s));
  if (filled.length === 0) return { errors, value: {} };
  if (campaign.channel !== 'sms') errors.channel = t.needsSms;
  const names = new Set<string>();
  const arms: CampaignArm[] = filled.map(({ s, i }) => {
    const key = s.name.toLowerCase();
    if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$/.test(s.name)) errors[`arm${i}Name`] = t.nameNeeded;
    else if (key === 'holdout') errors[`arm${i}Name`] = t.nameHoldout;
    else if (names.has(key)) errors[`arm${i}Name`] = t.nameTaken;
    names.add(key);
    if (!s.en && !s.sw && !campaign.pollId) errors[`arm${i}En`] = t.textNeeded;
    if (s.share && !(Number(s.share) > 0 && Number(s.share) <= 100)) errors[`arm${i}Share`] = t.shareInvalid;
    const text: Record<string, string> = {};
    if (s.en) text.en = s.en;
    if (s.sw) text.sw = s.sw;
    return {
      name: s.name,
      ...(Object.keys(text).length ? { text } : {}),
      ...(s.serviceId ? { serviceId: s.serviceId } : {}),
      ...(s.price ? { price: s.price.slice(0, 60) } : {}),
      ...(s.share ? { share: Number(s.share) } : {}),
    };
  });
  if (!/^\d{1,2}$/.test(f.holdout) || Number(f.holdout) > 90) errors.holdoutPercent = t.holdoutInvalid;
  if (!/^\d{1,3}$/.test(f.windowDays) || Number(f.windowDays) < 1 || Number(f.windowDays) > 365) errors.windowDays = t.windowInvalid;
  const type = (GOALS as readonly string[]).includes(f.goal) ? (f.goal as CampaignGoal['type']) : 'subscribed';
  if (type === 'answered' && !campaign.pollId) errors.goal = t.goalPoll;
  const goal: CampaignGoal = { type, windowDays: Number(f.windowDays) };
  if ((type === 'subscribed' || type === 'renewed') && f.goalService) goal.serviceId = f.goalService;
  if (type === 'reached_content' && f.goalNode) {
    const flow = core.flows.all().find((fl) => fl.nodes[f.goalNode]);
    if (!flow) errors.goalNode = t.nodeUnknown;
    else Object.assign(goal, { flowId: flow.id, nodeId: f.goalNode });
  }
  return { errors, value: { arms, holdoutPercent: Number(f.holdout), goal } };
}

/** The arms fieldset of the new-campaign form. */
export function armsFieldset(core: Core, c: ConsoleContext, f: ArmsFields, errors: ArmsErrors): Html {
  const t = T(c.lang);
  const services = core.config.services.map((s) => ({ value: s.id, label: s.name }));
  const goalNames = t.goals.split('|');
  return html`<fieldset class="arms-fieldset">
<legend>${t.legend}</legend>
<p><small>${t.lead}</small></p>
${f.slots.map(
  (s, i) => html`<details${i < 2 || used(s) ? html` open` : ''}><summary>${t.arm(String(i + 1))}</summary>
<div class="grid">
<div>${field({ name: `arm${i}Name`, label: t.armName(String(i + 1)), value: s.name, error: errors[`arm${i}Name`], attrs: 'maxlength="40"' })}</div>
<div>${field({ name: `arm${i}Share`, label: t.share(String(i + 1)), type: 'number', value: s.share, error: errors[`arm${i}Share`], attrs: 'min="0" max="100" step="any"' })}</div>
</div>
<div class="grid">
<div>${field({ name: `arm${i}En`, label: t.en(String(i + 1)), type: 'textarea', value: s.en, error: errors[`arm${i}En`], attrs: 'rows="2" lang="en"' })}</div>
<div>${field({ name: `arm${i}Sw`, label: t.sw(String(i + 1)), type: 'textarea', value: s.sw, attrs: 'rows="2" lang="sw"' })}</div>
</div>
<div class="grid">
<div>${field({ name: `arm${i}Service`, label: t.service(String(i + 1)), type: 'select', value: s.serviceId, options: [{ value: '', label: t.noService }, ...services] })}</div>
<div>${field({ name: `arm${i}Price`, label: t.price(String(i + 1)), value: s.price, attrs: 'maxlength="60"' })}</div>
</div>
</details>`,
)}
<div class="grid">
<div>${field({ name: 'holdoutPercent', label: t.holdout, type: 'number', value: f.holdout, error: errors.holdoutPercent, help: t.holdoutHelp, attrs: 'min="0" max="90" step="1" inputmode="numeric"' })}</div>
<div>${field({ name: 'windowDays', label: t.windowDays, type: 'number', value: f.windowDays, error: errors.windowDays, help: t.windowHelp, attrs: 'min="1" max="365" step="1" inputmode="numeric"' })}</div>
</div>
<div class="grid">
<div>${field({ name: 'goal', label: t.goal, type: 'select', value: f.goal, error: errors.goal, options: GOALS.map((g, i) => ({ value: g, label: goalNames[i] ?? g })) })}</div>
<div>${field({ name: 'goalService', label: t.goalService, type: 'select', value: f.goalService, options: [{ value: '', label: t.anyService }, ...services] })}</div>
</div>
${field({ name: 'goalNode', label: t.goalNode, value: f.goalNode, error: errors.goalNode, attrs: 'maxlength="100"' })}
</fieldset>`;
}

/** A stored campaign's arms, holdout and goal in words (they cannot be edited once set). */
export function armsInWords(c: ConsoleContext, stored: Campaign): string | null {
  if (!stored.arms || stored.arms.length === 0) return null;
  const t = T(c.lang);
  const goalNames = t.goals.split('|');
  const goal = stored.goal ? t.goalWords(goalNames[GOALS.indexOf(stored.goal.type)] ?? stored.goal.type, String(stored.goal.windowDays)) : '–';
  return t.fixed(stored.arms.map((a) => a.name).join(', '), `${stored.holdoutPercent ?? 0}%`, goal);
}

/** The goal in words, for the results section. */
export function goalInWords(c: ConsoleContext, goal: CampaignGoal | null): string {
  if (!goal) return '–';
  const t = T(c.lang);
  const goalNames = t.goals.split('|');
  const what = [goalNames[GOALS.indexOf(goal.type)] ?? goal.type, goal.serviceId, goal.nodeId].filter(Boolean).join(' · ');
  return t.goalWords(what, String(goal.windowDays));
}
