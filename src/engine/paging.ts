import { isGsm7, lengthIn, ucs2Limit } from './gsm';

/**
 * Splitting one USSD screen into pages. A screen is a head (title or body text, may span pages at word
 * boundaries), option lines (never split), a `98. More` line closing every page but the last, and a
 * navigation footer on the last page. Every page fits the limit of the screen's encoding; nothing is
 * dropped or cut mid-word.
 */
export interface ScreenSpec {
  head: string;
  /** Option lines as shown, e.g. "1. Maize". */
  items: string[];
  /** Navigation line on the last page ("0 Back 00 Home"), null for none. */
  footer: string | null;
  /** The line that closes a non-last page ("98. More"). */
  more: string;
}

export interface Page {
  text: string;
  /** Length in the layout's encoding (septets or UCS-2 units). */
  len: number;
  /** Index of the page's first token, to find the same place in another layout of the same screen. */
  start: number;
}

export interface Layout {
  pages: Page[];
  ucs2: boolean;
  /** Characters per page in the layout's encoding, before any room kept for a notice. */
  limit: number;
}

export interface PaginateOptions {
  maxChars: number;
  /** A notice line that must fit above every page (room is kept for it), or null. */
  reserve?: string | null;
  /** Never fail: overlong words are cut and an unfittable rest is shown whole (used at run time only). */
  force?: boolean;
}

export type PaginateResult = { ok: true; layout: Layout } | { ok: false; error: string };

interface Token {
  text: string;
  sep: '' | ' ' | '\n';
  len: number;
}

function tokenize(spec: ScreenSpec, ucs2: boolean): Token[] {
  const tokens: Token[] = [];
  const lines = spec.head.split('\n');
  for (const line of lines) {
    const words = line.trim().split(/\s+/).filter((w) => w.length > 0);
    words.forEach((w, k) => {
      tokens.push({ text: w, sep: tokens.length === 0 ? '' : k === 0 ? '\n' : ' ', len: lengthIn(w, ucs2) });
    });
  }
  for (const item of spec.items) {
    tokens.push({ text: item, sep: tokens.length === 0 ? '' : '\n', len: lengthIn(item, ucs2) });
  }
  return tokens;
}

function shorten(text: string): string {
  return text.length > 24 ? `${text.slice(0, 24)}...` : text;
}

// Cuts tokens longer than `max` into pieces (forced layouts only; the validator rejects such flows).
function cutLong(tokens: Token[], max: number, ucs2: boolean): Token[] {
  if (max < 1) return tokens;
  const out: Token[] = [];
  for (const t of tokens) {
    if (t.len <= max) {
      out.push(t);
      continue;
    }
    let piece = '';
    let sep = t.sep;
    for (const ch of t.text) {
      if (lengthIn(piece + ch, ucs2) > max) {
        out.push({ text: piece, sep, len: lengthIn(piece, ucs2) });
        piece = '';
        sep = '';
      }
      piece += ch;
    }
    if (piece) out.push({ text: piece, sep, len: lengthIn(piece, ucs2) });
  }
  return out;
}

/** Lays a screen out in pages within `maxChars` (GSM-7) or the matching UCS-2 limit; Infinity = one page. */
export function paginate(spec: ScreenSpec, opts: PaginateOptions): PaginateResult {
  const reserve = opts.reserve ?? null;
  const all = [spec.head, ...spec.items, spec.footer ?? '', spec.more, reserve ?? ''].join('\n');
  const ucs2 = !isGsm7(all);
  const limit = ucs2 ? ucs2Limit(opts.maxChars) : opts.maxChars;
  const len = (s: string) => lengthIn(s, ucs2);
  const avail = limit - (reserve ? len(reserve) + 1 : 0);
  const moreCost = 1 + len(spec.more);
  const footerLen = spec.footer ? len(spec.footer) : 0;

  let tokens = tokenize(spec, ucs2);
  if (opts.force) tokens = cutLong(tokens, avail - moreCost, ucs2);
  const n = tokens.length;
  const prefix = [0];
  for (const t of tokens) prefix.push(prefix[prefix.length - 1]! + t.len + t.sep.length);
  const runLen = (i: number, j: number) => (j > i ? prefix[j]! - prefix[i]! - tokens[i]!.sep.length : 0);
  const withFooter = (i: number, j: number) => runLen(i, j) + (spec.footer ? (j > i ? 1 : 0) + footerLen : 0);

  const pages: Page[] = [];
  const push = (i: number, j: number, last: boolean) => {
    let text = '';
    for (let k = i; k < j; k++) text += (k > i ? tokens[k]!.sep : '') + tokens[k]!.text;
    const tail = last ? spec.footer : spec.more;
    if (tail) text += (text ? '\n' : '') + tail;
    pages.push({ text, len: len(text), start: i });
  };

  if (!Number.isFinite(limit) || withFooter(0, n) <= avail || (n === 0 && opts.force)) {
    push(0, n, true);
    return { ok: true, layout: { pages, ucs2, limit } };
  }
  if (n === 0) return { ok: false, error: `the navigation line "${shorten(spec.footer ?? '')}" does not fit` };

  let i = 0;
  while (i < n) {
    if (withFooter(i, n) <= avail) {
      push(i, n, true);
      break;
    }
    const budget = avail - moreCost;
    let j = i;
    while (j < n && runLen(i, j + 1) <= budget) j++;
    // Everything left fits with "98. More" but not with the footer: keep the last token for the last page.
    if (j === n) j = n - 1;
    if (j === i) {
      if (opts.force) {
        push(i, n, true);
        break;
      }
      const t = tokens[i]!;
      const error =
        i === n - 1 && t.len <= budget
          ? `"${shorten(t.text)}" and the navigation line do not fit on one page`
          : spec.items.includes(t.text)
            ? `option "${shorten(t.text)}" (${t.len} characters) does not fit on a page with "${spec.more}"`
            : `the word "${shorten(t.text)}" (${t.len} characters) does not fit on a page`;
      return { ok: false, error };
    }
    push(i, j, false);
    i = j;
  }
  return { ok: true, layout: { pages, ucs2, limit } };
}
