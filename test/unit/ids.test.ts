import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids';

// Ids name outbox rows, sessions and runs: they must carry the time they were made with and sort in the
// order they were made, including when many are made in one millisecond and when the clock moves on.
describe('newId', () => {
  it('carries its own time and sorts in creation order across a change of millisecond', () => {
    const t1 = Date.parse('2026-11-20T06:00:00Z');
    const t2 = t1 + 1;
    const ids = [newId('msg', t1), newId('msg', t1), newId('msg', t2), newId('msg', t2)];
    expect(ids.map((id) => id.slice(4, 4 + t1.toString(36).length))).toEqual([t1, t1, t2, t2].map((t) => t.toString(36)));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(4);
  });

  it('goes back to an earlier time when the clock is set back (a test clock)', () => {
    const later = Date.parse('2026-12-01T00:00:00Z');
    const earlier = Date.parse('2026-01-01T00:00:00Z');
    newId('msg', later);
    expect(newId('cmp', earlier)).toMatch(new RegExp(`^cmp_${earlier.toString(36)}[0-9a-f]{12}$`));
  });
});
