import { HLL_M, hllAdd, hllCount, hllMerge, hllNew } from './hll';

/**
 * A distinct-subscriber count that is exact while small and a HyperLogLog (~3% error) once large: a
 * group of a few dozen subscribers reads exactly, a group of a million costs 1 KB a row.
 * Stored form: up to EXACT_MAX ids as little-endian int32 (at most 1,020 bytes), else the 1,024 registers.
 */
export const EXACT_MAX = 255;

/** A sketch being filled: exact ids, or registers once past EXACT_MAX. */
export interface DistinctSketch {
  ids: Set<number> | null;
  regs: Uint8Array | null;
}

/** A fresh, empty sketch. */
export function sketchNew(): DistinctSketch {
  return { ids: new Set(), regs: null };
}

function densify(s: DistinctSketch): Uint8Array {
  if (s.regs) return s.regs;
  const regs = hllNew();
  for (const id of s.ids!) hllAdd(regs, id);
  s.ids = null;
  s.regs = regs;
  return regs;
}

/** Adds a subscriber id. */
export function sketchAdd(s: DistinctSketch, id: number): void {
  if (s.regs) return hllAdd(s.regs, id);
  s.ids!.add(id);
  if (s.ids!.size > EXACT_MAX) densify(s);
}

/** Merges a stored sketch (as written by sketchBytes) into `s`. */
export function sketchMergeBytes(s: DistinctSketch, b: Uint8Array): void {
  if (b.byteLength === HLL_M) {
    hllMerge(densify(s), b);
    return;
  }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i + 4 <= b.byteLength; i += 4) sketchAdd(s, v.getInt32(i, true));
}

/** Merges sketch `src` into `s`. */
export function sketchMerge(s: DistinctSketch, src: DistinctSketch): void {
  if (src.regs) hllMerge(densify(s), src.regs);
  else for (const id of src.ids!) sketchAdd(s, id);
}

/** The number of distinct ids: exact below EXACT_MAX, an estimate above. */
export function sketchCount(s: DistinctSketch): number {
  return s.regs ? hllCount(s.regs) : s.ids!.size;
}

/** Whether the count is exact (no HyperLogLog estimate involved). */
export function sketchExact(s: DistinctSketch): boolean {
  return s.regs === null;
}

/** The stored form. */
export function sketchBytes(s: DistinctSketch): Buffer {
  if (s.regs) return Buffer.from(s.regs);
  // Sorted, so the same subscribers always store the same bytes, whatever order passes saw them in.
  const ids = Int32Array.from(s.ids!).sort();
  const b = Buffer.alloc(4 * ids.length);
  ids.forEach((id, i) => b.writeInt32LE(id, 4 * i));
  return b;
}
