import { encodeSms } from '../../messaging/encoding';

/** How many SMS parts a text takes (GSM-7 when it can, UCS-2 otherwise). */
export function smsParts(text: string): number {
  return encodeSms(text).parts.length;
}

/**
 * The welcome text (`fill` renders it with a `{shortcuts}` value) with as many of `lines` (best first, at most `max`) in `{shortcuts}` as fit: a shortcut
 * beyond the second is kept only when it adds no SMS part, so a long region name or a Kiswahili label drops
 * the third shortcut rather than sending a longer, dearer message.
 */
export function fitShortcuts(fill: (shortcuts: string) => string, lines: readonly string[], max: number, none: string): string {
  const render = (k: number) => fill(lines.slice(0, k).join(', ') || none);
  const upTo = Math.min(max, lines.length);
  const floor = Math.min(2, upTo);
  const budget = smsParts(render(floor));
  let best = floor;
  for (let k = floor + 1; k <= upTo; k++) if (smsParts(render(k)) <= budget) best = k;
  return render(best);
}
