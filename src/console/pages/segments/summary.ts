import type { SegmentFilter } from '../../../campaigns/segment-filter';
import type { Lang } from '../../i18n';
import { fieldLabel } from '../subscribers/profile-fields';

// A segment's filter in a line of words, for the list and the segment's page.

const KEYS: Record<string, Record<Lang, string>> = {
  region: { en: 'region', sw: 'eneo' },
  crop: { en: 'main crop', sw: 'zao kuu' },
  language: { en: 'language', sw: 'lugha' },
  operator: { en: 'operator', sw: 'mtandao' },
  ageMin: { en: 'age at least', sw: 'umri angalau' },
  ageMax: { en: 'age at most', sw: 'umri usiozidi' },
  subscriptionState: { en: 'subscription', sw: 'usajili' },
  service: { en: 'service', sw: 'huduma' },
  lastSeenWithinDays: { en: 'heard from within days', sw: 'aliwasiliana ndani ya siku' },
  notSeenForDays: { en: 'silent for days', sw: 'kimya kwa siku' },
  neverSeen: { en: 'never heard from', sw: 'hajawahi kuwasiliana' },
  content: { en: 'content', sw: 'maudhui' },
  crmFlags: { en: 'CRM flags', sw: 'alama za CRM' },
  tier: { en: 'value tier', sw: 'kiwango cha thamani' },
  bestChannel: { en: 'best channel', sw: 'njia bora' },
  poll: { en: 'poll', sw: 'kura ya maoni' },
  includeOptedOut: { en: 'including opted out', sw: 'pamoja na waliojiondoa' },
};
const EVERYONE: Record<Lang, string> = { en: 'everyone who has not opted out', sw: 'kila mtu ambaye hajajiondoa' };

const show = (v: unknown): string =>
  Array.isArray(v) ? v.join(', ') : v && typeof v === 'object' ? Object.entries(v).map(([k, x]) => `${k} ${show(x)}`).join(', ') : String(v);

/** The filter in words ("region: Nakuru, Kisumu · CRM flags: stuck"). */
export function filterSummary(lang: Lang, f: SegmentFilter): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(f)) {
    if (value === undefined) continue;
    if (key === 'profile') {
      for (const [n, x] of Object.entries(value as Record<string, unknown>)) parts.push(`${fieldLabel(lang, n)}: ${show(x)}`);
      continue;
    }
    parts.push(`${KEYS[key]?.[lang] ?? key}: ${show(value)}`);
  }
  return parts.length > 0 ? parts.join(' · ') : EVERYONE[lang];
}
