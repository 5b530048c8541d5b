import type { ConsoleContext } from '../../context';
import { html, raw, type Html } from '../../html';
import { texts } from '../../i18n';
import { field } from '../../ui/field';
import { scheduleProblems, type ScheduleFields, type ScheduleProblem } from './schedule-form';

// The schedule part of the campaign form: once (date + time) or repeating (daily, weekly on ticked days,
// monthly on a day, or a cron expression), and the zone. CSS (:has) shows only the chosen kind's fields;
// without it every field shows and the radio decides.

const T = texts(
  {
    whenLegend: 'When',
    once: 'Once',
    repeating: 'Repeating',
    date: 'Date',
    time: 'Time',
    repeats: 'Repeats',
    daily: 'Every day',
    weekly: 'Every week, on the days below',
    monthly: 'Every month, on the day below',
    cronOpt: 'Cron expression (advanced)',
    days: 'Days of the week',
    dayNames: 'Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday',
    monthDay: 'Day of the month',
    monthDayHelp: 'A day missing in a month (e.g. 31) is skipped that month.',
    cron: 'Cron expression',
    cronHelp: 'Five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * 1" for Mondays at 06:00.',
    zone: 'Zone',
    zoneHelp: 'The time zone the date and time are read in (IANA name, e.g. Africa/Nairobi).',
    date_required: 'Choose the date.',
    date_invalid: 'Write the date as YYYY-MM-DD.',
    time_required: 'Choose the time.',
    time_invalid: 'Write the time as HH:MM (24 hours).',
    weekdays_required: 'Tick at least one day.',
    weekdays_invalid: 'Tick at least one day.',
    monthDay_required: 'Give the day of the month.',
    monthDay_invalid: 'A day from 1 to 31.',
    cron_required: 'Write the cron expression.',
    cron_invalid: 'This is not a cron expression of five fields, e.g. "0 6 * * 1".',
    timezone_required: 'Give the time zone.',
    timezone_invalid: 'Not a known time zone: use a name such as Africa/Nairobi or UTC.',
    dateHelp: 'A date and time already past starts the campaign at once.',
  },
  {
    whenLegend: 'Lini',
    once: 'Mara moja',
    repeating: 'Kurudia',
    date: 'Tarehe',
    time: 'Saa',
    repeats: 'Inarudiwa',
    daily: 'Kila siku',
    weekly: 'Kila wiki, siku zilizochaguliwa hapa chini',
    monthly: 'Kila mwezi, tarehe iliyo hapa chini',
    cronOpt: 'Usemi wa cron (wa hali ya juu)',
    days: 'Siku za wiki',
    dayNames: 'Jumapili|Jumatatu|Jumanne|Jumatano|Alhamisi|Ijumaa|Jumamosi',
    monthDay: 'Tarehe ya mwezi',
    monthDayHelp: 'Tarehe isiyokuwepo katika mwezi (k.m. 31) huachwa mwezi huo.',
    cron: 'Usemi wa cron',
    cronHelp: 'Sehemu tano: dakika saa tarehe mwezi siku-ya-wiki, k.m. "0 6 * * 1" kwa kila Jumatatu saa 06:00.',
    zone: 'Saa za eneo',
    zoneHelp: 'Eneo la saa ambalo tarehe na saa husomwa (jina la IANA, k.m. Africa/Nairobi).',
    date_required: 'Chagua tarehe.',
    date_invalid: 'Andika tarehe kama YYYY-MM-DD.',
    time_required: 'Chagua saa.',
    time_invalid: 'Andika saa kama HH:MM (saa 24).',
    weekdays_required: 'Chagua angalau siku moja.',
    weekdays_invalid: 'Chagua angalau siku moja.',
    monthDay_required: 'Toa tarehe ya mwezi.',
    monthDay_invalid: 'Tarehe kutoka 1 hadi 31.',
    cron_required: 'Andika usemi wa cron.',
    cron_invalid: 'Huu si usemi wa cron wenye sehemu tano, k.m. "0 6 * * 1".',
    timezone_required: 'Toa eneo la saa.',
    timezone_invalid: 'Eneo la saa halijulikani: tumia jina kama Africa/Nairobi au UTC.',
    dateHelp: 'Tarehe na saa zilizokwisha pita huanzisha kampeni mara moja.',
  },
);

/** Each schedule field's problem as a sentence of the reader's language. */
export function scheduleErrors(c: ConsoleContext, f: ScheduleFields): Partial<Record<ScheduleProblem, string>> {
  const t = T(c.lang);
  const out: Partial<Record<ScheduleProblem, string>> = {};
  for (const [k, v] of Object.entries(scheduleProblems(f)) as [ScheduleProblem, 'required' | 'invalid'][]) out[k] = t[`${k}_${v}`];
  return out;
}

const checked = (on: boolean) => (on ? raw(' checked') : '');

/** The schedule fieldset, with each field's error beside it. */
export function scheduleFieldset(c: ConsoleContext, s: ScheduleFields, errors: Partial<Record<ScheduleProblem, string>>): Html {
  const t = T(c.lang);
  const names = t.dayNames.split('|');
  const dayError = errors.weekdays;
  return html`<fieldset class="schedule">
<legend>${t.whenLegend}</legend>
<label for="when-once"><input type="radio" id="when-once" name="when" value="once"${checked(s.when === 'once')}> ${t.once}</label>
<label for="when-repeating"><input type="radio" id="when-repeating" name="when" value="repeating"${checked(s.when === 'repeating')}> ${t.repeating}</label>
<div class="grid">
<div class="once-only">${field({ name: 'date', label: t.date, type: 'date', value: s.date, error: errors.date, help: t.dateHelp })}</div>
<div class="repeating-only">${field({
    name: 'repeat',
    label: t.repeats,
    type: 'select',
    value: s.repeat,
    options: [
      { value: 'daily', label: t.daily },
      { value: 'weekly', label: t.weekly },
      { value: 'monthly', label: t.monthly },
      { value: 'cron', label: t.cronOpt },
    ],
  })}</div>
<div class="not-cron">${field({ name: 'time', label: t.time, type: 'time', value: s.time, error: errors.time })}</div>
</div>
<fieldset class="repeating-only weekly-only"${dayError ? raw(' aria-describedby="weekdays-error" aria-invalid="true"') : ''}>
<legend>${t.days}</legend>
${names.map((n, i) => html`<label for="day-${i}"><input type="checkbox" id="day-${i}" name="weekdays" value="${i}"${checked(s.weekdays.includes(i))}> ${n}</label> `)}
${dayError ? html`<small id="weekdays-error" class="field-error">${dayError}</small>` : null}
</fieldset>
<div class="repeating-only monthly-only">${field({ name: 'monthDay', label: t.monthDay, type: 'number', value: s.monthDay, error: errors.monthDay, help: t.monthDayHelp, attrs: 'min="1" max="31" step="1" inputmode="numeric"' })}</div>
<div class="repeating-only cron-only">${field({ name: 'cron', label: t.cron, value: s.cron, error: errors.cron, help: t.cronHelp, attrs: 'autocapitalize="none" spellcheck="false"' })}</div>
${field({ name: 'timezone', label: t.zone, value: s.timezone, error: errors.timezone, help: t.zoneHelp, attrs: 'autocapitalize="none" spellcheck="false"' })}
</fieldset>`;
}
