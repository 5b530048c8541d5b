import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors';
import { ROLES, type AccountRow, type Role } from '../auth/account-repo';
import { ACCOUNT_NAME } from '../auth/accounts';
import { passwordProblem } from '../auth/password';
import { ctx, requireRole, seeOther, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { when } from '../format';
import { html, type Html } from '../html';
import { LANGS, LANG_NAMES, texts, type Lang } from '../i18n';
import { csrfField, page, roleName } from '../layout';
import { field } from '../ui/field';
import { table } from '../ui/table';

// Accounts (admins only): who may use the console and with which role. Every change is audited, and the
// console never loses its last admin who can log in (the service refuses; the page says why).

const T = texts(
  {
    title: 'Accounts',
    lead: 'Who may use the console, and what each person may do.',
    list: 'Everyone with an account',
    name: 'Name',
    role: 'Role',
    language: 'Language',
    consoleLanguage: 'Console language',
    state: 'State',
    actions: 'Actions',
    you: '(you)',
    active: 'Active',
    disabled: 'Disabled',
    lockedUntil: (until: string) => `Locked until ${until}`,
    unlock: 'Unlock',
    unlockName: (name: string) => `Unlock ${name}`,
    add: 'Add an account',
    password: 'Password',
    passwordHelp: 'At least 10 characters. Give it to the person privately; they can log in at once.',
    roleHelp: 'A viewer reads every page; an editor also changes segments, polls, campaigns and flow texts; an admin also manages accounts.',
    addButton: 'Add account',
    manage: (name: string) => `Account ${name}`,
    manageLead: 'Change the role, set a new password, unlock or disable this account.',
    back: 'All accounts',
    newRole: 'New role',
    changeRole: 'Change role',
    newPassword: 'New password',
    setPassword: 'Set password',
    passwordSection: 'Password',
    passwordNote: 'A new password, a new role or disabling logs the account out everywhere.',
    lockSection: 'Lock',
    notLocked: 'This account is not locked.',
    lockedNote: (until: string) => `Too many wrong passwords: locked until ${until}.`,
    accessSection: 'Access',
    disableNote: 'A disabled account cannot log in; its history stays in the audit log.',
    enableNote: 'This account is disabled and cannot log in.',
    disable: 'Disable account',
    enable: 'Enable account',
    created: 'Created',
    nameInvalid: 'A name is 2 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit.',
    nameTaken: (name: string) => `There is already an account named ${name}.`,
    roleInvalid: 'Choose viewer, editor or admin.',
    passwordShort: 'A password has at least 10 characters.',
    passwordLong: 'A password has at most 200 characters.',
    lastAdmin: (name: string) => `${name} is the last admin who can log in; make another account an admin first.`,
    notFound: (name: string) => `There is no account named ${name}.`,
    fix: 'Nothing was saved: please correct the fields marked below.',
    n_added: 'The account was added.',
    n_role: 'The role was changed.',
    n_password: 'The password was set; the account was logged out everywhere.',
    n_unlocked: 'The account was unlocked.',
    n_disabled: 'The account was disabled.',
    n_enabled: 'The account was enabled.',
  },
  {
    title: 'Akaunti',
    lead: 'Nani anaweza kutumia dashibodi, na kila mmoja anaruhusiwa kufanya nini.',
    list: 'Wote wenye akaunti',
    name: 'Jina',
    role: 'Jukumu',
    language: 'Lugha',
    consoleLanguage: 'Lugha ya dashibodi',
    state: 'Hali',
    actions: 'Vitendo',
    you: '(wewe)',
    active: 'Inatumika',
    disabled: 'Imezimwa',
    lockedUntil: (until: string) => `Imefungwa hadi ${until}`,
    unlock: 'Fungua',
    unlockName: (name: string) => `Fungua ${name}`,
    add: 'Ongeza akaunti',
    password: 'Nenosiri',
    passwordHelp: 'Angalau herufi 10. Mpe mhusika kwa faragha; anaweza kuingia mara moja.',
    roleHelp: 'Mtazamaji husoma kila ukurasa; mhariri pia hubadilisha makundi, kura za maoni, kampeni na maandishi ya menyu; msimamizi pia husimamia akaunti.',
    addButton: 'Ongeza akaunti',
    manage: (name: string) => `Akaunti ya ${name}`,
    manageLead: 'Badilisha jukumu, weka nenosiri jipya, fungua au zima akaunti hii.',
    back: 'Akaunti zote',
    newRole: 'Jukumu jipya',
    changeRole: 'Badilisha jukumu',
    newPassword: 'Nenosiri jipya',
    setPassword: 'Weka nenosiri',
    passwordSection: 'Nenosiri',
    passwordNote: 'Nenosiri jipya, jukumu jipya au kuzima huitoa akaunti kwenye vipindi vyake vyote.',
    lockSection: 'Kufungwa',
    notLocked: 'Akaunti hii haijafungwa.',
    lockedNote: (until: string) => `Nenosiri zisizo sahihi mara nyingi mno: imefungwa hadi ${until}.`,
    accessSection: 'Ruhusa ya kuingia',
    disableNote: 'Akaunti iliyozimwa haiwezi kuingia; historia yake inabaki kwenye kumbukumbu za mabadiliko.',
    enableNote: 'Akaunti hii imezimwa na haiwezi kuingia.',
    disable: 'Zima akaunti',
    enable: 'Washa akaunti',
    created: 'Iliundwa',
    nameInvalid: 'Jina lina herufi au tarakimu 2 hadi 64, nukta, vistari, mistari ya chini au @, na huanza kwa herufi au tarakimu.',
    nameTaken: (name: string) => `Tayari kuna akaunti yenye jina ${name}.`,
    roleInvalid: 'Chagua mtazamaji, mhariri au msimamizi.',
    passwordShort: 'Nenosiri lina angalau herufi 10.',
    passwordLong: 'Nenosiri lina herufi 200 au chache zaidi.',
    lastAdmin: (name: string) => `${name} ndiye msimamizi wa mwisho anayeweza kuingia; mfanye mtu mwingine kuwa msimamizi kwanza.`,
    notFound: (name: string) => `Hakuna akaunti yenye jina ${name}.`,
    fix: 'Hakuna kilichohifadhiwa: tafadhali sahihisha sehemu zilizowekwa alama hapa chini.',
    n_added: 'Akaunti imeongezwa.',
    n_role: 'Jukumu limebadilishwa.',
    n_password: 'Nenosiri limewekwa; akaunti imetolewa kwenye vipindi vyake vyote.',
    n_unlocked: 'Akaunti imefunguliwa.',
    n_disabled: 'Akaunti imezimwa.',
    n_enabled: 'Akaunti imewashwa.',
  },
);

type Texts = ReturnType<typeof T>;
type Errors = Partial<Record<'name' | 'role' | 'password', string>>;
const NOTICES = ['added', 'role', 'password', 'unlocked', 'disabled', 'enabled'] as const;

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const bodyOf = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;
const accountPath = (name: string) => `/console/accounts/${encodeURIComponent(name)}`;

function noticeOf(t: Texts, query: unknown): string | null {
  const n = (query as Record<string, unknown> | undefined)?.notice;
  return NOTICES.find((k) => k === n) ? t[`n_${n as (typeof NOTICES)[number]}`] : null;
}

function roleOptions(lang: Lang) {
  return ROLES.map((r) => ({ value: r, label: roleName(lang, r) }));
}

function passwordError(t: Texts, password: string): string | undefined {
  const problem = passwordProblem(password);
  return problem === 'too_short' ? t.passwordShort : problem === 'too_long' ? t.passwordLong : undefined;
}

/** The service's refusal for a field, in the reader's language (a race the page's own checks could not see). */
function fieldOfError(t: Texts, e: AppError, name: string): Errors | null {
  switch (e.code) {
    case 'NAME_INVALID':
      return { name: t.nameInvalid };
    case 'NAME_TAKEN':
      return { name: t.nameTaken(name) };
    case 'ROLE_INVALID':
      return { role: t.roleInvalid };
    case 'PASSWORD_TOO_SHORT':
      return { password: t.passwordShort };
    case 'PASSWORD_TOO_LONG':
      return { password: t.passwordLong };
    default:
      return null;
  }
}

function lockedUntil(a: AccountRow, now: number): number | null {
  return a.lockedUntil !== null && a.lockedUntil > now ? a.lockedUntil : null;
}

function stateBadge(c: ConsoleContext, t: Texts, a: AccountRow, now: number): Html {
  const until = lockedUntil(a, now);
  if (a.disabled) return html`<span class="badge bad">${t.disabled}</span>`;
  if (until !== null) return html`<span class="badge warn">${t.lockedUntil(when(c.lang, until, c.timeZone))}</span>`;
  return html`<span class="badge good">${t.active}</span>`;
}

function unlockForm(c: ConsoleContext, t: Texts, a: AccountRow, fromList = false): Html {
  return html`<form method="post" action="${accountPath(a.name)}/unlock" class="inline-form">${csrfField(c)}${fromList ? html`<input type="hidden" name="back" value="list">` : null}<button type="submit" class="secondary" aria-label="${t.unlockName(a.name)}">${t.unlock}</button></form>`;
}

async function listPage(c: ConsoleContext, deps: ConsoleDeps, opts: { form?: Record<string, string>; errors?: Errors; notice?: string | null; error?: string | null } = {}): Promise<Html> {
  const t = T(c.lang);
  const now = deps.core.clock.now();
  const rows = (await deps.accounts.accounts.all()).map((a) => [
    html`<a href="${accountPath(a.name)}">${a.name}</a>${a.id === c.account.id ? html` ${t.you}` : null}`,
    roleName(c.lang, a.role),
    LANG_NAMES[a.language === 'sw' ? 'sw' : 'en'],
    stateBadge(c, t, a, now),
    lockedUntil(a, now) !== null ? unlockForm(c, t, a, true) : null,
  ]);
  const f = opts.form ?? {};
  const e = opts.errors ?? {};
  const body = html`<section aria-labelledby="accounts-list"><h2 id="accounts-list">${t.list}</h2>
${table({ columns: [t.name, t.role, t.language, t.state, t.actions], rows })}
</section>
<section aria-labelledby="accounts-add"><h2 id="accounts-add">${t.add}</h2>
<form method="post" action="/console/accounts" novalidate>${csrfField(c)}
<div class="grid">
<div>${field({ name: 'name', label: t.name, value: f.name ?? '', error: e.name, required: true, attrs: 'autocomplete="off" autocapitalize="none"' })}</div>
<div>${field({ name: 'role', label: t.role, type: 'select', value: f.role ?? 'viewer', options: roleOptions(c.lang), error: e.role, help: t.roleHelp })}</div>
</div>
<div class="grid">
<div>${field({ name: 'language', label: t.consoleLanguage, type: 'select', value: f.language ?? c.lang, options: LANGS.map((l) => ({ value: l, label: LANG_NAMES[l] })) })}</div>
<div>${field({ name: 'password', label: t.password, type: 'password', error: e.password, required: true, help: t.passwordHelp, attrs: 'autocomplete="new-password" minlength="10"' })}</div>
</div>
<button type="submit">${t.addButton}</button>
</form></section>`;
  return page(c, { title: t.title, lead: t.lead, body, notice: opts.notice ?? null, error: opts.error ?? (Object.keys(e).length ? t.fix : null) });
}

function accountPage(c: ConsoleContext, deps: ConsoleDeps, a: AccountRow, opts: { errors?: Errors; notice?: string | null; error?: string | null; role?: string } = {}): Html {
  const t = T(c.lang);
  const now = deps.core.clock.now();
  const until = lockedUntil(a, now);
  const e = opts.errors ?? {};
  const body = html`<p><a href="/console/accounts">${t.back}</a></p>
<p>${stateBadge(c, t, a, now)} · ${roleName(c.lang, a.role)} · ${LANG_NAMES[a.language === 'sw' ? 'sw' : 'en']} · ${t.created} ${when(c.lang, a.createdAt, c.timeZone)}</p>
<section aria-labelledby="account-role"><h2 id="account-role">${t.role}</h2>
<form method="post" action="${accountPath(a.name)}/role" novalidate>${csrfField(c)}
${field({ name: 'role', label: t.newRole, type: 'select', value: opts.role ?? a.role, options: roleOptions(c.lang), error: e.role, help: t.roleHelp })}
<button type="submit">${t.changeRole}</button>
</form></section>
<section aria-labelledby="account-password"><h2 id="account-password">${t.passwordSection}</h2>
<form method="post" action="${accountPath(a.name)}/password" novalidate>${csrfField(c)}
${field({ name: 'password', label: t.newPassword, type: 'password', error: e.password, required: true, help: t.passwordHelp, attrs: 'autocomplete="new-password" minlength="10"' })}
<button type="submit">${t.setPassword}</button>
</form><p><small>${t.passwordNote}</small></p></section>
<section aria-labelledby="account-lock"><h2 id="account-lock">${t.lockSection}</h2>
${until !== null ? html`<p>${t.lockedNote(when(c.lang, until, c.timeZone))}</p>${unlockForm(c, t, a)}` : html`<p>${t.notLocked}</p>`}
</section>
<section aria-labelledby="account-access"><h2 id="account-access">${t.accessSection}</h2>
<p>${a.disabled ? t.enableNote : t.disableNote}</p>
<form method="post" action="${accountPath(a.name)}/${a.disabled ? 'enable' : 'disable'}">${csrfField(c)}
<button type="submit" class="${a.disabled ? 'secondary' : 'contrast'}">${a.disabled ? t.enable : t.disable}</button>
</form></section>`;
  return page(c, { title: t.manage(a.name), lead: t.manageLead, body, notice: opts.notice ?? null, error: opts.error ?? (Object.keys(e).length ? t.fix : null) });
}

/** The account named in the path, or a 404 page in the reader's language. */
async function accountOf(req: FastifyRequest, deps: ConsoleDeps): Promise<AccountRow> {
  const name = (req.params as { name: string }).name;
  const a = await deps.accounts.accounts.byName(name);
  if (!a) throw new AppError(404, 'ACCOUNT_NOT_FOUND', T(ctx(req).lang).notFound(name));
  return a;
}

/** Applies one change to an account, audits it, and answers: back to its page, or the page again with why not. */
async function changeAccount(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: ConsoleDeps,
  change: (a: AccountRow, t: Texts) => { apply?: Parameters<ConsoleDeps['accounts']['change']>[1]; errors?: Errors; action: string; notice: (typeof NOTICES)[number]; detail?: Record<string, unknown>; role?: string },
): Promise<FastifyReply> {
  const c = requireRole(req, 'admin');
  const t = T(c.lang);
  const a = await accountOf(req, deps);
  const plan = change(a, t);
  if (plan.errors && Object.keys(plan.errors).length) return sendHtml(reply, accountPage(c, deps, a, { errors: plan.errors, role: plan.role }), 400);
  try {
    // The change and its audit entry are one unit.
    await deps.accounts.change(a.name, plan.apply ?? {}, { name: c.account.name, action: plan.action, detail: plan.detail });
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    const errors = fieldOfError(t, e, a.name);
    const message = e.code === 'LAST_ADMIN' ? t.lastAdmin(a.name) : e.message;
    return sendHtml(reply, accountPage(c, deps, a, errors ? { errors, role: plan.role } : { error: message, role: plan.role }), e.status);
  }
  // Unlocking from the list goes back to the list (where the lock was seen).
  return seeOther(reply, bodyOf(req).back === 'list' ? '/console/accounts' : accountPath(a.name), plan.notice);
}

/** /console/accounts: the accounts, adding one, and each account's role, password, lock and access. */
export function accountsPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/accounts', async (req, reply) => {
    const c = requireRole(req, 'admin');
    return sendHtml(reply, await listPage(c, deps, { notice: noticeOf(T(c.lang), req.query) }));
  });

  app.post('/accounts', async (req, reply) => {
    const c = requireRole(req, 'admin');
    const t = T(c.lang);
    const b = bodyOf(req);
    const form = { name: str(b.name).trim(), role: str(b.role), language: str(b.language) };
    const password = str(b.password);
    const errors: Errors = {};
    if (!ACCOUNT_NAME.test(form.name)) errors.name = t.nameInvalid;
    else if (await deps.accounts.accounts.byName(form.name)) errors.name = t.nameTaken(form.name);
    if (!ROLES.includes(form.role as Role)) errors.role = t.roleInvalid;
    const pw = passwordError(t, password);
    if (pw) errors.password = pw;
    if (Object.keys(errors).length) return sendHtml(reply, await listPage(c, deps, { form, errors }), 400);
    const language: Lang = form.language === 'sw' ? 'sw' : 'en';
    try {
      await deps.accounts.add(form.name, form.role, password, language, c.account.name);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      const fieldErrors = fieldOfError(t, e, form.name);
      return sendHtml(reply, await listPage(c, deps, fieldErrors ? { form, errors: fieldErrors } : { form, error: e.message }), e.status);
    }
    return seeOther(reply, '/console/accounts', 'added');
  });

  app.get('/accounts/:name', async (req, reply) => {
    const c = requireRole(req, 'admin');
    return sendHtml(reply, accountPage(c, deps, await accountOf(req, deps), { notice: noticeOf(T(c.lang), req.query) }));
  });

  app.post('/accounts/:name/role', async (req, reply) =>
    changeAccount(req, reply, deps, (a, t) => {
      const role = str(bodyOf(req).role);
      if (!ROLES.includes(role as Role)) return { errors: { role: t.roleInvalid }, action: '', notice: 'role', role };
      return { apply: { role }, action: 'account.role', notice: 'role', detail: { from: a.role, to: role }, role };
    }),
  );

  app.post('/accounts/:name/password', async (req, reply) =>
    changeAccount(req, reply, deps, (_a, t) => {
      const password = str(bodyOf(req).password);
      const error = passwordError(t, password);
      // The password itself never reaches the audit log.
      return error ? { errors: { password: error }, action: '', notice: 'password' } : { apply: { password }, action: 'account.password', notice: 'password' };
    }),
  );

  app.post('/accounts/:name/unlock', async (req, reply) =>
    changeAccount(req, reply, deps, (a) => ({ apply: { unlock: true }, action: 'account.unlock', notice: 'unlocked', detail: { wasLockedUntil: a.lockedUntil } })),
  );

  app.post('/accounts/:name/disable', async (req, reply) => changeAccount(req, reply, deps, () => ({ apply: { disabled: true }, action: 'account.disable', notice: 'disabled' })));

  app.post('/accounts/:name/enable', async (req, reply) => changeAccount(req, reply, deps, () => ({ apply: { disabled: false }, action: 'account.enable', notice: 'enabled' })));
}
