import { html, raw, type Html, type Part } from './html';
import type { ConsoleContext } from './context';
import { LANGS, LANG_NAMES, texts, type Lang } from './i18n';
import { NAV } from './nav';

const T = texts(
  {
    product: 'VAS console',
    skip: 'Skip to content',
    menu: 'Menu',
    logout: 'Log out',
    language: 'Language',
    change: 'Change',
    roleViewer: 'viewer',
    roleEditor: 'editor',
    roleAdmin: 'admin',
    account: 'Account',
  },
  {
    product: 'Dashibodi ya VAS',
    skip: 'Ruka hadi maudhui',
    menu: 'Menyu',
    logout: 'Toka',
    language: 'Lugha',
    change: 'Badilisha',
    roleViewer: 'mtazamaji',
    roleEditor: 'mhariri',
    roleAdmin: 'msimamizi',
    account: 'Akaunti',
  },
);

/** What a page puts into the shell. */
export interface PageParts {
  title: string;
  body: Part;
  /** A short line under the title (what the page answers). */
  lead?: string;
  /** A confirmation shown above the body (after a form was handled). */
  notice?: string | null;
  /** An error shown above the body. */
  error?: string | null;
}

/** The role's name in the reader's language. */
export function roleName(lang: Lang, role: 'viewer' | 'editor' | 'admin'): string {
  const t = T(lang);
  return role === 'admin' ? t.roleAdmin : role === 'editor' ? t.roleEditor : t.roleViewer;
}

/** The `<head>` every console page shares: styles and the scripts that enhance (the page reads without them). */
export function head(lang: Lang, title: string): Html {
  return html`<!doctype html>
<html lang="${lang}" data-theme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title} · ${T(lang).product}</title>
<link rel="stylesheet" href="/console/assets/pico.min.css">
<link rel="stylesheet" href="/console/assets/console.css">
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}'>
<script src="/console/assets/htmx.min.js" defer></script>
<script src="/console/assets/chart.umd.min.js" defer></script>
<script src="/console/assets/console.js" defer></script>
</head>`;
}

/** A hidden field with the session's CSRF token; every console form includes it. */
export function csrfField(c: ConsoleContext): Html {
  return html`<input type="hidden" name="_csrf" value="${c.csrf}">`;
}

function navigation(c: ConsoleContext): Html {
  const t = T(c.lang);
  const current = c.path.replace(/^\/console/, '').replace(/\/$/, '');
  const sections = NAV.map((s) => {
    const pages = s.pages.filter((p) => c.can(p.role));
    if (pages.length === 0) return null;
    const here = pages.some((p) => p.path === current || (p.path !== '' && current.startsWith(`${p.path}/`)));
    return html`<li><details class="dropdown"><summary${here ? raw(' aria-current="true"') : ''}>${s.label[c.lang]}</summary><ul>${pages.map(
      (p) => html`<li><a href="/console${p.path}"${p.path === current ? raw(' aria-current="page"') : ''}>${p.label[c.lang]}</a></li>`,
    )}</ul></details></li>`;
  });
  const languages = LANGS.map((l) => html`<option value="${l}"${l === c.lang ? raw(' selected') : ''}>${LANG_NAMES[l]}</option>`);
  return html`<nav aria-label="${t.menu}">
<ul><li><a href="/console" class="brand"><strong>${t.product}</strong></a></li></ul>
<ul>${sections}
<li><details class="dropdown"><summary>${c.account.name} (${roleName(c.lang, c.account.role)})</summary><ul dir="rtl">
<li><form method="post" action="/console/language" class="inline-form" dir="ltr">${csrfField(c)}<label for="nav-lang">${t.language}</label>
<select id="nav-lang" name="language">${languages}</select><button type="submit" class="secondary">${t.change}</button></form></li>
<li><form method="post" action="/console/logout" dir="ltr">${csrfField(c)}<button type="submit" class="contrast">${t.logout}</button></form></li>
</ul></details></li>
</ul>
</nav>`;
}

/** A whole console page: head, navigation, title, notices and the page's body. */
export function page(c: ConsoleContext, p: PageParts): Html {
  const t = T(c.lang);
  return html`${head(c.lang, p.title)}
<body hx-headers='${JSON.stringify({ 'x-csrf-token': c.csrf })}'>
<a class="skip-link" href="#main">${t.skip}</a>
<header class="container-fluid site-header">${navigation(c)}</header>
<main id="main" class="container">
<hgroup><h1>${p.title}</h1>${p.lead ? html`<p>${p.lead}</p>` : null}</hgroup>
${p.notice ? html`<p class="notice" role="status">${p.notice}</p>` : null}
${p.error ? html`<p class="error" role="alert">${p.error}</p>` : null}
${p.body}
</main>
</body>
</html>`;
}

/** A page for someone not logged in (the login page, errors before login). */
export function barePage(lang: Lang, title: string, body: Part): Html {
  return html`${head(lang, title)}
<body>
<main id="main" class="container narrow">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}
