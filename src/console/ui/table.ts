import { html, raw, type Html, type Part } from '../html';

/** A column: its heading and whether its cells are figures (right-aligned). */
export interface Column {
  label: string;
  numeric?: boolean;
}

/** A data table with a caption (for screen readers and the no-JavaScript reader); `empty` shows when there are no rows. */
export function table(opts: { caption?: string; columns: (Column | string)[]; rows: Part[][]; empty?: string; id?: string }): Html {
  const cols = opts.columns.map((c) => (typeof c === 'string' ? { label: c } : c));
  const cls = (i: number) => (cols[i]?.numeric ? raw(' class="num"') : '');
  if (opts.rows.length === 0 && opts.empty) return html`<p class="empty">${opts.empty}</p>`;
  return html`<div class="table-wrap" tabindex="0"${opts.id ? html` id="${opts.id}"` : ''}><table class="striped">
${opts.caption ? html`<caption>${opts.caption}</caption>` : null}
<thead><tr>${cols.map((c, i) => html`<th scope="col"${cls(i)}>${c.label}</th>`)}</tr></thead>
<tbody>${opts.rows.map((r) => html`<tr>${r.map((cell, i) => html`<td${cls(i)}>${cell}</td>`)}</tr>`)}</tbody>
</table></div>`;
}
