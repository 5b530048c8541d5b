/** An element's content: its text, or its children by local name (repeated names become lists). */
export type XmlValue = string | XmlNode | XmlValue[];
export type XmlNode = { [name: string]: XmlValue };

/** A document that is not well-formed XML; `line` is where reading stopped. */
export class XmlError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'XmlError';
  }
}

export interface ReadXmlOptions {
  /** Element names that are always lists, even when they occur once. */
  isArray?: (localName: string) => boolean;
  /** Deepest nesting accepted (a SOAP notification needs about 6). */
  maxDepth?: number;
}

interface Frame {
  qname: string;
  local: string;
  children: XmlNode | null;
  text: string;
}

const NAME = /[A-Za-z_][\w.\-:]*/y;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const WS = new Set([' ', '\t', '\n', '\r']);

function decode(s: string, at: () => number): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&<]{0,12});?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) throw new XmlError(`"&" must start an entity such as &amp;`, at());
    if (name in ENTITIES) return ENTITIES[name]!;
    const code = /^#x[0-9a-fA-F]{1,6}$/.test(name) ? parseInt(name.slice(2), 16) : /^#\d{1,7}$/.test(name) ? Number(name.slice(1)) : NaN;
    if (!Number.isInteger(code) || code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new XmlError(`unknown entity &${name.slice(0, 12)};`, at());
    return String.fromCodePoint(code);
  });
}

/**
 * Reads a small XML document (a SOAP notification) into plain objects keyed by local element names,
 * namespace prefixes stripped, attributes ignored, text trimmed and kept as strings (ids keep their
 * leading zeros). Strict where it matters: tags must balance, there is one root, entities must be
 * known, and DOCTYPEs (entity expansion) are refused. A general parser validated the document and
 * then parsed it again, which cost ~0.6 ms a notification, twenty times the rest of the request's
 * parsing; this single pass does both.
 */
export function readXml(raw: string, opts: ReadXmlOptions = {}): XmlNode {
  const isArray = opts.isArray ?? (() => false);
  const maxDepth = opts.maxDepth ?? 64;
  let i = raw.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = raw.length;
  const line = (): number => {
    let l = 1;
    for (let k = 0; k < i && k < n; k++) if (raw.charCodeAt(k) === 10) l++;
    return l;
  };
  const fail = (msg: string): never => {
    throw new XmlError(msg, line());
  };
  const stack: Frame[] = [];
  let root: XmlNode | null = null;

  const add = (parent: Frame, local: string, value: XmlValue): void => {
    const children = (parent.children ??= {});
    const existing = children[local];
    if (isArray(local)) {
      if (existing === undefined) children[local] = [value];
      else (existing as XmlValue[]).push(value);
    } else if (existing === undefined) children[local] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else children[local] = [existing, value];
  };
  const close = (f: Frame): void => {
    let value: XmlValue;
    const text = f.text.trim();
    if (f.children) {
      value = f.children;
      if (text !== '') value['#text'] = text;
    } else value = text;
    const parent = stack[stack.length - 1];
    if (parent) add(parent, f.local, value);
    else {
      root = { [f.local]: isArray(f.local) ? [value] : value };
    }
  };

  while (i < n) {
    const lt = raw.indexOf('<', i);
    const top = stack[stack.length - 1];
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      const chunk = raw.slice(i, textEnd);
      if (top) top.text += decode(chunk, line);
      else if (chunk.trim() !== '') fail(root ? 'text after the root element' : 'text before the root element');
      i = textEnd;
      if (lt === -1) break;
    }
    // raw[i] === '<'
    if (raw.startsWith('<?', i)) {
      const end = raw.indexOf('?>', i + 2);
      if (end === -1) fail('unclosed processing instruction');
      i = end + 2;
    } else if (raw.startsWith('<!--', i)) {
      const end = raw.indexOf('-->', i + 4);
      if (end === -1) fail('unclosed comment');
      i = end + 3;
    } else if (raw.startsWith('<![CDATA[', i)) {
      if (!top) fail('CDATA outside the root element');
      const end = raw.indexOf(']]>', i + 9);
      if (end === -1) fail('unclosed CDATA section');
      top!.text += raw.slice(i + 9, end);
      i = end + 3;
    } else if (raw.startsWith('<!', i)) {
      fail('DOCTYPE and other declarations are not accepted');
    } else if (raw.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(raw);
      if (!m) fail('a closing tag without a name');
      const qname = m![0];
      let j = i + 2 + qname.length;
      while (j < n && WS.has(raw[j]!)) j++;
      if (raw[j] !== '>') fail(`closing tag </${qname.slice(0, 40)}> is not closed`);
      if (!top) fail(`closing tag </${qname.slice(0, 40)}> without an opening one`);
      if (top!.qname !== qname) fail(`expected </${top!.qname.slice(0, 40)}>, found </${qname.slice(0, 40)}>`);
      stack.pop();
      close(top!);
      i = j + 1;
    } else {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(raw);
      if (!m) fail('"<" that does not start a tag');
      if (!top && root) fail('a second root element');
      const qname = m![0];
      let j = i + 1 + qname.length;
      let selfClosing = false;
      // Attributes are checked for form and skipped: nothing in a notification is carried in them.
      for (;;) {
        const before = j;
        while (j < n && WS.has(raw[j]!)) j++;
        if (j >= n) fail(`tag <${qname.slice(0, 40)}> is not closed`);
        if (raw[j] === '>') break;
        if (raw[j] === '/' && raw[j + 1] === '>') {
          selfClosing = true;
          j++;
          break;
        }
        if (j === before) fail(`attributes of <${qname.slice(0, 40)}> must be separated by spaces`);
        NAME.lastIndex = j;
        const a = NAME.exec(raw);
        if (!a) fail(`malformed attribute in <${qname.slice(0, 40)}>`);
        j += a![0].length;
        while (j < n && WS.has(raw[j]!)) j++;
        if (raw[j] !== '=') fail(`attribute ${a![0].slice(0, 40)} has no value`);
        j++;
        while (j < n && WS.has(raw[j]!)) j++;
        const q = raw[j];
        if (q !== '"' && q !== "'") fail(`attribute ${a![0].slice(0, 40)} value is not quoted`);
        const endQ = raw.indexOf(q!, j + 1);
        if (endQ === -1 || raw.slice(j + 1, endQ).includes('<')) fail(`attribute ${a![0].slice(0, 40)} value is not closed`);
        j = endQ + 1;
      }
      const colon = qname.lastIndexOf(':');
      // Plain objects are fast; the one name that would reach their prototype is refused.
      if (qname.endsWith('__proto__')) fail('element name __proto__ is not accepted');
      const frame: Frame = { qname, local: colon === -1 ? qname : qname.slice(colon + 1), children: null, text: '' };
      i = j + 1;
      if (selfClosing) close(frame);
      else {
        if (stack.length >= maxDepth) fail(`elements nested deeper than ${maxDepth}`);
        stack.push(frame);
      }
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]!.qname.slice(0, 40)}> is not closed`);
  if (!root) fail('no root element');
  return root!;
}
