import { closeSync, openSync, readSync, statSync, unwatchFile, watchFile } from 'node:fs';

/** One MO a person asked for: from a number, to a short code, the text. */
export interface MoLine {
  from: string;
  to: string;
  text: string;
}

/**
 * Reads `from|to|text` or `from to text` (text may hold spaces and `|`); null for blank lines and
 * `#` comments; a sentence in `error` when the line is not an MO.
 */
export function parseMoLine(line: string): MoLine | { error: string } | null {
  const l = line.trim();
  if (!l || l.startsWith('#')) return null;
  let parts: string[];
  if (l.includes('|')) {
    const [from, to, ...rest] = l.split('|');
    parts = [from ?? '', to ?? '', rest.join('|')];
  } else {
    const m = /^(\S+)\s+(\S+)\s+([\s\S]*)$/.exec(l);
    parts = m ? [m[1]!, m[2]!, m[3]!] : [];
  }
  const [from, to, text] = parts.map((p) => p.trim());
  if (!from || !to || !text) return { error: `"${l.slice(0, 60)}" is not an MO: write FROM TO TEXT or FROM|TO|TEXT` };
  if (!/^\+?[0-9A-Za-z]{1,20}$/.test(from)) return { error: `"${from}" is not a sender address (digits, optionally with a leading +)` };
  if (!/^[0-9A-Za-z]{1,20}$/.test(to)) return { error: `"${to}" is not a destination address (a short code or number)` };
  return { from, to, text };
}

/**
 * Follows a file like `tail -f`: every whole line already in it, then each line appended later (checked
 * every `intervalMs`). A file cut shorter is read again from the start. Returns a stop function.
 */
export function tailLines(path: string, onLine: (line: string, lineNo: number) => void, intervalMs = 200): () => void {
  let offset = 0;
  let carry = '';
  let lineNo = 0;
  const read = () => {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return; // gone for now; appended lines are read once it is back
    }
    if (size < offset) {
      offset = 0;
      carry = '';
    }
    if (size === offset) return;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      const n = readSync(fd, buf, 0, buf.length, offset);
      offset += n;
      const text = carry + buf.subarray(0, n).toString('utf8');
      const lines = text.split(/\r?\n/);
      carry = lines.pop() ?? '';
      for (const l of lines) onLine(l, ++lineNo);
    } finally {
      closeSync(fd);
    }
  };
  read();
  const listener = () => read();
  watchFile(path, { interval: intervalMs, persistent: true }, listener);
  return () => unwatchFile(path, listener);
}
