import { html, raw, type Html, type Part } from '../html';

/** A form field with its label, help and (inline, announced) error. */
export interface FieldSpec {
  name: string;
  label: string;
  type?: 'text' | 'password' | 'number' | 'date' | 'time' | 'datetime-local' | 'email' | 'textarea' | 'select' | 'file' | 'search';
  value?: string | number | null;
  error?: string | null;
  help?: string;
  required?: boolean;
  /** For selects: value and label. */
  options?: { value: string; label: string }[];
  /** Extra attributes we write ourselves (never user input), e.g. `min="0" step="1"` or htmx attributes. */
  attrs?: string;
  id?: string;
}

/** One labelled field; the error, when there is one, is tied to the input with aria-describedby. */
export function field(f: FieldSpec): Html {
  const id = f.id ?? `f-${f.name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const described = [f.error ? `${id}-error` : null, f.help ? `${id}-help` : null].filter(Boolean).join(' ');
  const common = html`id="${id}" name="${f.name}"${f.required ? raw(' required') : ''}${f.error ? raw(' aria-invalid="true"') : ''}${described ? html` aria-describedby="${described}"` : ''}${f.attrs ? raw(` ${f.attrs}`) : ''}`;
  const value = f.value === null || f.value === undefined ? '' : String(f.value);
  let input: Part;
  if (f.type === 'textarea') input = html`<textarea ${common}>${value}</textarea>`;
  else if (f.type === 'select')
    input = html`<select ${common}>${(f.options ?? []).map((o) => html`<option value="${o.value}"${o.value === value ? raw(' selected') : ''}>${o.label}</option>`)}</select>`;
  else input = html`<input type="${f.type ?? 'text'}" ${common}${f.type === 'password' || f.type === 'file' ? '' : html` value="${value}"`}>`;
  return html`<label for="${id}">${f.label}</label>
${input}
${f.help ? html`<small id="${id}-help">${f.help}</small>` : null}
${f.error ? html`<small id="${id}-error" class="field-error">${f.error}</small>` : null}`;
}
