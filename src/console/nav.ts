import type { Role } from './auth/account-repo';
import type { Lang } from './i18n';

/** One page in the console's navigation. */
export interface NavEntry {
  /** The page's path under /console ('' is the overview). */
  path: string;
  label: Record<Lang, string>;
  /** The least role that sees the page in the navigation (and may open it). */
  role: Role;
}

/** A group of pages in the navigation. */
export interface NavSection {
  label: Record<Lang, string>;
  pages: NavEntry[];
}

/** Every page of the console, grouped as the navigation shows them (the benchmark times each of them too). */
export const NAV: NavSection[] = [
  {
    label: { en: 'Insight', sw: 'Uchambuzi' },
    pages: [
      { path: '', label: { en: 'Overview', sw: 'Muhtasari' }, role: 'viewer' },
      { path: '/flows', label: { en: 'Flows', sw: 'Menyu' }, role: 'viewer' },
      { path: '/discovery', label: { en: 'Discovery', sw: 'Ugunduzi' }, role: 'viewer' },
      { path: '/stuck', label: { en: 'Stuck subscribers', sw: 'Waliokwama' }, role: 'viewer' },
      { path: '/paying-vs-using', label: { en: 'Paying vs using', sw: 'Wanaolipa dhidi ya wanaotumia' }, role: 'viewer' },
      { path: '/retention', label: { en: 'Retention', sw: 'Kubaki' }, role: 'viewer' },
      { path: '/risk', label: { en: 'Risk', sw: 'Hatari' }, role: 'viewer' },
      { path: '/interventions', label: { en: 'Interventions and experiments', sw: 'Hatua na majaribio' }, role: 'viewer' },
      { path: '/demography', label: { en: 'Demography vs usage', sw: 'Demografia na matumizi' }, role: 'viewer' },
    ],
  },
  {
    label: { en: 'Retention journeys', sw: 'Kuwabakiza wateja' },
    pages: [
      { path: '/onboarding', label: { en: 'Onboarding', sw: 'Kukaribisha wapya' }, role: 'viewer' },
      { path: '/exit-reasons', label: { en: 'Exit reasons', sw: 'Sababu za kuondoka' }, role: 'viewer' },
      { path: '/tiers', label: { en: 'Value tiers', sw: 'Viwango vya thamani' }, role: 'viewer' },
      { path: '/package-fit', label: { en: 'Package fit', sw: 'Kifurushi kinachofaa' }, role: 'viewer' },
      { path: '/context', label: { en: 'Advice in context', sw: 'Ushauri kwa muktadha' }, role: 'viewer' },
      { path: '/menu-recommendations', label: { en: 'Menu recommendations', sw: 'Mapendekezo ya menyu' }, role: 'viewer' },
    ],
  },
  {
    label: { en: 'Audience', sw: 'Wateja' },
    pages: [
      { path: '/subscribers', label: { en: 'Subscribers', sw: 'Wateja' }, role: 'viewer' },
      { path: '/subscribers/import', label: { en: 'Import', sw: 'Ingiza' }, role: 'editor' },
      { path: '/segments', label: { en: 'Segments', sw: 'Makundi' }, role: 'viewer' },
    ],
  },
  {
    label: { en: 'Outreach', sw: 'Mawasiliano' },
    pages: [
      { path: '/polls', label: { en: 'Polls', sw: 'Kura za maoni' }, role: 'viewer' },
      { path: '/campaigns', label: { en: 'Campaigns', sw: 'Kampeni' }, role: 'viewer' },
    ],
  },
  {
    label: { en: 'System', sw: 'Mfumo' },
    pages: [
      { path: '/operations', label: { en: 'Operations', sw: 'Uendeshaji' }, role: 'viewer' },
      { path: '/accounts', label: { en: 'Accounts', sw: 'Akaunti' }, role: 'admin' },
      { path: '/audit', label: { en: 'Audit log', sw: 'Kumbukumbu za mabadiliko' }, role: 'admin' },
    ],
  },
];
