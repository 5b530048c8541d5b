// HTML built from tagged templates: every interpolated value is escaped unless it is already Html.

/** Markup that is safe to insert as it is (built by `html` or trusted with `raw`). */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text escaped for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** A value an `html` template accepts: text (escaped), numbers, Html, nothing, or a list of these. */
export type Part = string | number | Html | null | undefined | false | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/** The tag: `html\`<p>${text}</p>\`` escapes `text`; lists are joined; null, undefined and false render nothing. */
export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0] as string;
  for (let i = 0; i < parts.length; i++) out += render(parts[i] as Part) + (strings[i + 1] as string);
  return new Html(out);
}

/** Markup we built ourselves and trust (never user input). */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** JSON for a `<script type="application/json">` element: `<` is escaped so no text can close the element. */
export function jsonScript(id: string | null, value: unknown, cls?: string): Html {
  const json = JSON.stringify(value).replace(/</g, '\\u003c');
  return raw(`<script type="application/json"${id ? ` id="${escapeHtml(id)}"` : ''}${cls ? ` class="${escapeHtml(cls)}"` : ''}>${json}</script>`);
}
