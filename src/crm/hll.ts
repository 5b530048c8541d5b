/**
 * HyperLogLog (2^10 registers, ~3% error) of subscriber ids: lets the usage report count distinct
 * subscribers over any range of days from daily rows, which plain daily counts cannot.
 */
export const HLL_P = 10;
export const HLL_M = 1 << HLL_P;

// A 32-bit integer mix (murmur3 finalizer): subscriber ids are sequential and need spreading.
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A fresh, empty sketch. */
export function hllNew(): Uint8Array {
  return new Uint8Array(HLL_M);
}

/** Adds a subscriber id. */
export function hllAdd(regs: Uint8Array, id: number): void {
  const h = mix(id ^ 0x9e3779b9);
  const idx = h >>> (32 - HLL_P);
  const rest = (h << HLL_P) >>> 0;
  const rank = rest === 0 ? 32 - HLL_P + 1 : Math.clz32(rest) + 1;
  if (rank > regs[idx]!) regs[idx] = rank;
}

/** Merges `src` into `dst` (register-wise max). */
export function hllMerge(dst: Uint8Array, src: Uint8Array): void {
  for (let i = 0; i < HLL_M; i++) if (src[i]! > dst[i]!) dst[i] = src[i]!;
}

/** The estimated number of distinct ids (with the small-range correction). */
export function hllCount(regs: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < HLL_M; i++) {
    sum += 2 ** -regs[i]!;
    if (regs[i] === 0) zeros++;
  }
  const alpha = 0.7213 / (1 + 1.079 / HLL_M);
  const est = (alpha * HLL_M * HLL_M) / sum;
  if (est <= 2.5 * HLL_M && zeros > 0) return Math.round(HLL_M * Math.log(HLL_M / zeros));
  return Math.round(est);
}
