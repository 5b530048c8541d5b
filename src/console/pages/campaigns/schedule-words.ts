import cronstrue from 'cronstrue/i18n';
import { LOCALES, type Lang } from '../../i18n';
import { scheduleFieldsOf } from './schedule-form';

// A campaign's schedule in plain words, in the reader's language: "Every Monday and Thursday at 09:00,
// Nairobi time". The shapes the console's form makes are written out here; any other cron expression
// (set through the API) is described by cronstrue, which has a Kiswahili locale.

const DAYS: Record<Lang, string[]> = {
  en: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
  sw: ['Jumapili', 'Jumatatu', 'Jumanne', 'Jumatano', 'Alhamisi', 'Ijumaa', 'Jumamosi'],
};

const AND: Record<Lang, string> = { en: 'and', sw: 'na' };

/** "a, b and c" in the language. */
function joined(lang: Lang, items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${AND[lang]} ${items[items.length - 1]}`;
}

/** A time zone as people say it: Africa/Nairobi -> Nairobi, UTC stays UTC. */
export function zoneName(tz: string): string {
  return (tz.split('/').pop() ?? tz).replace(/_/g, ' ');
}

/** The schedule of a campaign in a sentence of the reader's language. */
export function scheduleInWords(lang: Lang, s: { scheduleAt: number | null; cron: string | null; timezone: string }): string {
  const f = scheduleFieldsOf(s);
  const zone = zoneName(s.timezone);
  const tail = lang === 'sw' ? `, saa za ${zone}` : `, ${zone} time`;
  const at = lang === 'sw' ? `saa ${f.time}` : `at ${f.time}`;
  if (f.when === 'once') {
    if (s.scheduleAt === null) return lang === 'sw' ? 'Bila ratiba' : 'Not scheduled';
    const day = new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'full', timeZone: s.timezone }).format(new Date(s.scheduleAt));
    return lang === 'sw' ? `Mara moja: ${day} ${at}${tail}` : `Once, on ${day} ${at}${tail}`;
  }
  switch (f.repeat) {
    case 'daily':
      return lang === 'sw' ? `Kila siku ${at}${tail}` : `Every day ${at}${tail}`;
    case 'weekly': {
      if (f.weekdays.length === 7) return lang === 'sw' ? `Kila siku ${at}${tail}` : `Every day ${at}${tail}`;
      const days = joined(lang, f.weekdays.map((d) => DAYS[lang][d]!));
      return lang === 'sw' ? `Kila ${days} ${at}${tail}` : `Every ${days} ${at}${tail}`;
    }
    case 'monthly':
      return lang === 'sw' ? `Kila mwezi tarehe ${f.monthDay} ${at}${tail}` : `Every month on day ${f.monthDay} ${at}${tail}`;
    case 'cron': {
      const words = cronstrue.toString(f.cron, { locale: lang, use24HourTimeFormat: true, verbose: false });
      // cronstrue's Kiswahili opens a time with "Kwa" ("for"); a time of day is "saa".
      return `${lang === 'sw' ? words.replace(/^Kwa (?=\d)/, 'Saa ') : words}${tail}`;
    }
  }
}
