import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';

/**
 * Where each node of a flow file is written: warnings and menu recommendations name the line a content
 * team opens in their editor. One small module so every reader of node lines agrees.
 */

/** The 1-based line of each node's key under `nodes:` in a flow file's text (nodes not found are absent). */
export function nodeLines(source: string): Map<string, number> {
  const out = new Map<string, number>();
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc, uniqueKeys: false });
  const nodes = isMap(doc.contents) ? doc.contents.get('nodes', true) : null;
  if (!isMap(nodes)) return out;
  for (const pair of nodes.items) {
    if (isScalar(pair.key) && pair.key.range) out.set(String(pair.key.value), lc.linePos(pair.key.range[0]).line);
  }
  return out;
}

const cache = new Map<string, Map<string, number>>();

/** The line of node `nodeId` in `flowFile` (read once and cached), or null when it cannot be found. */
export function lineOf(flowFile: string, nodeId: string): number | null {
  let lines = cache.get(flowFile);
  if (!lines) {
    try {
      lines = nodeLines(readFileSync(flowFile, 'utf8'));
    } catch {
      lines = new Map();
    }
    cache.set(flowFile, lines);
  }
  return lines.get(nodeId) ?? null;
}
