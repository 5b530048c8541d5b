import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { ArmsRepo } from '../../src/campaigns/arms-repo';
import { campaignAssignments, campaigns, subscribers } from '../../src/db/schema';
import { eachBackend } from '../helpers/backends';

// Arms on both engines: the fan-out records each recipient's arm in its batch's unit (the first
// assignment wins: a later run keeps the subscriber in their arm; nothing sent is settled at once), and
// the per-arm sums count assigned, reached, converted, cost and the goal windows still open.
const T = Date.parse('2026-11-02T09:00:00Z');
const DAY = 86_400_000;

eachBackend((get) => {
  let repo: ArmsRepo;
  beforeAll(async () => {
    const b = get();
    repo = new ArmsRepo(b.database);
    await b.plant(subscribers, [1, 2, 3, 4, 5].map((id) => ({ id, msisdn: `+25475500000${id}`, firstSeenAt: 0, updatedAt: 0 })));
    await b.plant(campaigns, [{ id: 'c1', name: 'c1', kind: 'sms', channel: 'sms', segmentId: 's', timezone: 'Africa/Nairobi', status: 'running', createdAt: T, updatedAt: T }]);
  });

  it('records arms in the batch unit; the first assignment wins; nothing sent is settled', async () => {
    const b = get();
    await b.units.unit((tx) =>
      repo.assign(
        'c1',
        1,
        [
          { subscriberId: 1, arm: 'weekly', channel: 'sms', ref: 'm1', assignedAt: T },
          { subscriberId: 2, arm: 'weekly', channel: 'sms', ref: 'm2', assignedAt: T },
          { subscriberId: 3, arm: 'daily', channel: 'call', ref: 'k3', assignedAt: T },
          { subscriberId: 4, arm: '(holdout)', channel: 'none', ref: null, assignedAt: T },
        ],
        tx,
      ),
    );
    // Run 2 meets subscriber 1 again (another arm would be drawn for a changed campaign): the first stays.
    await b.units.unit((tx) =>
      repo.assign(
        'c1',
        2,
        [
          { subscriberId: 1, arm: 'daily', channel: 'call', ref: 'k1', assignedAt: T + DAY },
          { subscriberId: 5, arm: 'daily', channel: 'sms', ref: null, assignedAt: T + DAY },
        ],
        tx,
      ),
    );
    const a = campaignAssignments;
    const rows = await b.database.all<{ subscriberId: number; arm: string; runId: number; ref: string | null; settled: unknown }>(
      sql`SELECT ${a.subscriberId} AS "subscriberId", ${a.arm} AS "arm", ${a.runId} AS "runId", ${a.ref} AS "ref", ${a.settled} AS "settled" FROM ${a} ORDER BY 1`,
    );
    expect(rows.map((r) => [r.subscriberId, r.arm, r.runId, r.ref, r.settled === true || r.settled === 1])).toEqual([
      [1, 'weekly', 1, 'm1', false],
      [2, 'weekly', 1, 'm2', false],
      [3, 'daily', 1, 'k3', false],
      [4, '(holdout)', 1, null, true],
      [5, 'daily', 2, null, true],
    ]);
  });

  it('a batch whose unit fails records no arm', async () => {
    const b = get();
    await expect(
      b.units.unit(async (tx) => {
        await repo.assign('c1', 3, [{ subscriberId: 5, arm: 'weekly', channel: 'sms', ref: 'm5', assignedAt: T }], tx);
        throw new Error('the outbox refused');
      }),
    ).rejects.toThrow('the outbox refused');
    expect((await repo.sums('c1', 7 * DAY, T)).find((s) => s.arm === 'daily')?.assigned).toBe(2);
  });

  it('sums per arm: reached, converted, cost and the windows still open', async () => {
    const b = get();
    const a = campaignAssignments;
    // What the CRM pass copies onto the rows: subscriber 1 reached and converted, 3 reached, costs in minor units.
    await b.units.unit(async (tx) => {
      await tx.run(sql`UPDATE ${a} SET ${sql.identifier(a.reachedAt.name)} = ${T + 1000}, ${sql.identifier(a.convertedAt.name)} = ${T + 2000}, ${sql.identifier(a.costMinor.name)} = 150 WHERE ${a.subscriberId} = 1`);
      await tx.run(sql`UPDATE ${a} SET ${sql.identifier(a.reachedAt.name)} = ${T + 1000}, ${sql.identifier(a.costMinor.name)} = 400 WHERE ${a.subscriberId} = 3`);
    });
    const sums = await repo.sums('c1', 7 * DAY, T + 2 * DAY);
    expect(sums).toEqual([
      { arm: '(holdout)', assigned: 1, reached: 0, costMinor: 0, conversions: 0, open: 1, lastOpenUntil: T + 7 * DAY },
      { arm: 'daily', assigned: 2, reached: 1, costMinor: 400, conversions: 0, open: 2, lastOpenUntil: T + 8 * DAY },
      { arm: 'weekly', assigned: 2, reached: 1, costMinor: 150, conversions: 1, open: 1, lastOpenUntil: T + 7 * DAY },
    ]);
    // Past every window: nothing open.
    expect((await repo.sums('c1', 7 * DAY, T + 9 * DAY)).map((s) => [s.arm, s.open, s.lastOpenUntil])).toEqual([
      ['(holdout)', 0, null],
      ['daily', 0, null],
      ['weekly', 0, null],
    ]);
  });
});
