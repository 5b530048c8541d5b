import { statSync, readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';

/**
 * Where each node of a flow file starts (1-based line of its key under `nodes:`), so reports can say
 * "crop-advice.yaml line 42". Read from the file itself, cached until the file changes.
 */

const cache = new Map<string, { mtimeMs: number; size: number; lines: Map<string, number> }>();

/** Node id -> line of its key under `nodes:` in a flow file's text (empty when it is not a flow). */
export function nodeLines(source: string): Map<string, number> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, uniqueKeys: false });
  const out = new Map<string, number>();
  const nodes = isMap(doc.contents) ? doc.contents.get('nodes', true) : null;
  if (!isMap(nodes)) return out;
  for (const pair of nodes.items) {
    const key = pair.key;
    if (isScalar(key) && key.range) out.set(String(key.value), lineCounter.linePos(key.range[0]).line);
  }
  return out;
}

/** The line of node `nodeId` in flow file `file`, or null when the file cannot be read or has no such node. */
export function lineOf(file: string, nodeId: string): number | null {
  let st;
  try {
    st = statSync(file);
  } catch {
    return null;
  }
  let c = cache.get(file);
  if (!c || c.mtimeMs !== st.mtimeMs || c.size !== st.size) {
    let lines: Map<string, number>;
    try {
      lines = nodeLines(readFileSync(file, 'utf8'));
    } catch {
      lines = new Map();
    }
    c = { mtimeMs: st.mtimeMs, size: st.size, lines };
    cache.set(file, c);
  }
  return c.lines.get(nodeId) ?? null;
}
