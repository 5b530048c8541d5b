import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import type { FindingRow } from '../../src/crm/findings-repo';
import { OutcomeStore } from '../../src/crm/outcome-store';
import type { ActOutcome } from '../../src/crm/interventions';
import { calls, crmFindings, crmInterventions, messages, subscribers, usageEvents } from '../../src/db/schema';
import { eachBackend } from '../helpers/backends';
import { actStackPerTest, count, DAY, finding, idWhere, NOW, plantSubscribers } from '../helpers/crm-act';

// Acting on findings on both engines, in units of work: a due finding of each kind gets its SMS or call,
// its intervention row, its finding status and its usage event in the unit (a held-out one only the row,
// status and event); a unit that fails leaves none of them; a refused message closes its finding alone;
// and the outcome windows are read page by page and closed once with their findings.

eachBackend((get) => {
  const s = actStackPerTest(get);

  it('acts on a due finding of each kind in one unit: SMS and call rows, intervention rows, finding statuses and usage events; the held-out one gets no message', async () => {
    const b = get();
    const taken = new Set<number>();
    const ids = {
      stuck: idWhere(s.interventions, 'education_sms', false, 1, taken),
      ivr: idWhere(s.interventions, 'voice_guidance', false, 1, taken),
      passive: idWhere(s.interventions, 'nudge', false, 1, taken),
      lapsing: idWhere(s.interventions, 'save', false, 1, taken),
      churned: idWhere(s.interventions, 'winback', false, 1, taken),
      held: idWhere(s.interventions, 'nudge', true, 1, taken),
    };
    await plantSubscribers(b, Object.values(ids));
    const due = [
      finding('f-stuck', ids.stuck, 'stuck', 'repeated_invalid', { channel: 'ussd', flowId: 'crop-advice', shortcut: '*384*1*2#' }),
      finding('f-ivr', ids.ivr, 'stuck', 'repeated_invalid', { channel: 'ivr', flowId: 'crop-advice' }),
      finding('f-passive', ids.passive, 'passive', 'charged_not_using', {}),
      finding('f-lapsing', ids.lapsing, 'lapsing', 'billing_failing', {}),
      finding('f-churned', ids.churned, 'churned', 'left', {}),
      finding('f-held', ids.held, 'passive', 'charged_not_using', {}),
    ];
    await b.plant(crmFindings, due.map(({ closedAt: _c, interventionId: _i, ...f }) => f));

    const outcomes = await b.units.unit(async (tx) => {
      const out: ActOutcome[] = [];
      for (const f of due) out.push(await s.interventions.act(f, NOW, tx));
      return out;
    });
    expect(outcomes.map((o) => ('kind' in o ? [o.kind, o.arm, o.status] : o))).toEqual([
      ['education_sms', 'treatment', 'queued'],
      ['voice_guidance', 'treatment', 'queued'],
      ['nudge', 'treatment', 'queued'],
      ['save', 'treatment', 'queued'],
      ['winback', 'treatment', 'queued'],
      ['nudge', 'holdout', 'held_out'],
    ]);

    const rows = await b.database.all<{ findingId: string; kind: string; arm: string; channel: string; messageId: string | null; callId: string | null; text: string | null }>(
      sql`SELECT ${crmInterventions.findingId} AS "findingId", ${crmInterventions.kind} AS "kind", ${crmInterventions.arm} AS "arm", ${crmInterventions.channel} AS "channel",
          ${crmInterventions.messageId} AS "messageId", ${crmInterventions.callId} AS "callId", ${crmInterventions.text} AS "text" FROM ${crmInterventions} ORDER BY ${crmInterventions.findingId}`,
    );
    expect(rows.map((r) => [r.findingId, r.kind, r.arm, r.channel, r.messageId !== null, r.callId !== null])).toEqual([
      ['f-churned', 'winback', 'treatment', 'sms', true, false],
      ['f-held', 'nudge', 'holdout', 'none', false, false],
      ['f-ivr', 'voice_guidance', 'treatment', 'call', false, true],
      ['f-lapsing', 'save', 'treatment', 'sms', true, false],
      ['f-passive', 'nudge', 'treatment', 'sms', true, false],
      ['f-stuck', 'education_sms', 'treatment', 'sms', true, false],
    ]);
    // The shortcut the subscriber was after is in the education SMS.
    expect(rows.find((r) => r.findingId === 'f-stuck')!.text).toContain('*384*1*2#');

    // The outbox holds the four SMS under their intervention's id, to the right numbers; the call queue the one call.
    const sms = await b.database.all<{ id: string; msisdn: string; sourceRef: string }>(
      sql`SELECT ${messages.id} AS "id", ${messages.msisdn} AS "msisdn", ${messages.sourceRef} AS "sourceRef" FROM ${messages} WHERE ${messages.source} = 'intervention' ORDER BY ${messages.msisdn}`,
    );
    expect(sms).toHaveLength(4);
    for (const m of sms) expect(rows.find((r) => r.messageId === m.id)).toBeDefined();
    expect(sms.map((m) => m.msisdn).sort()).toEqual([ids.stuck, ids.passive, ids.lapsing, ids.churned].map((id) => `+2547110${String(id).padStart(5, '0')}`).sort());
    expect(await count(b, calls, sql`${calls.source} = 'intervention' AND ${calls.status} = 'queued'`)).toBe(1);

    const findings = await b.database.all<{ id: string; status: string; interventionId: string | null }>(
      sql`SELECT ${crmFindings.id} AS "id", ${crmFindings.status} AS "status", ${crmFindings.interventionId} AS "interventionId" FROM ${crmFindings} ORDER BY ${crmFindings.id}`,
    );
    expect(findings.map((f) => [f.id, f.status, f.interventionId !== null])).toEqual([
      ['f-churned', 'acted', true],
      ['f-held', 'holdout', true],
      ['f-ivr', 'acted', true],
      ['f-lapsing', 'acted', true],
      ['f-passive', 'acted', true],
      ['f-stuck', 'acted', true],
    ]);
    const events = await b.database.all<{ subscriberId: number; detail: unknown }>(
      sql`SELECT ${usageEvents.subscriberId} AS "subscriberId", ${usageEvents.detail} AS "detail" FROM ${usageEvents} WHERE ${usageEvents.type} = 'intervention' ORDER BY ${usageEvents.id}`,
    );
    const detail = events.map((e) => (typeof e.detail === 'string' ? JSON.parse(e.detail) : e.detail) as { kind: string; arm: string; status: string });
    expect(detail.map((d) => [d.kind, d.arm, d.status])).toEqual(outcomes.map((o) => ('kind' in o ? [o.kind, o.arm, o.status] : null)));

    // The same subscriber's next nudge waits out the cool-down: deferred, nothing sent.
    await b.units.unit((tx) => tx.run(sql`UPDATE ${crmFindings} SET closed_at = ${NOW} WHERE ${crmFindings.id} = 'f-passive'`));
    const again = finding('f-passive-2', ids.passive, 'passive', 'charged_not_using', {});
    await b.plant(crmFindings, [{ ...again, closedAt: undefined, interventionId: undefined }]);
    expect(await b.units.unit((tx) => s.interventions.act(again, NOW + DAY, tx))).toEqual({ deferred: true });
    expect(await count(b, crmInterventions)).toBe(6);
  });

  it('leaves no intervention, message, event or finding change behind when the unit fails; the finding of a subscriber who opted out is closed as ineligible', async () => {
    const b = get();
    const taken = new Set<number>();
    const id = idWhere(s.interventions, 'nudge', false, 1, taken);
    await plantSubscribers(b, [id]);
    const f = finding('f-fail', id, 'passive', 'charged_not_using', {});
    const optedOut = finding('f-opted-out', 999_999, 'passive', 'charged_not_using', {});
    await b.plant(subscribers, [{ id: 999_999, msisdn: '+254719999999', firstSeenAt: NOW, updatedAt: NOW, optedOut: true }]);
    await b.plant(crmFindings, [f, optedOut].map(({ closedAt: _c, interventionId: _i, ...x }) => x));
    await expect(
      b.units.unit(async (tx) => {
        await s.interventions.act(f, NOW, tx);
        throw new Error('the pass died');
      }),
    ).rejects.toThrow('the pass died');
    expect(await count(b, crmInterventions)).toBe(0);
    expect(await count(b, messages)).toBe(0);
    expect(await count(b, usageEvents)).toBe(0);
    expect(await count(b, crmFindings, sql`${crmFindings.status} = 'open'`)).toBe(2);

    expect(await b.units.unit((tx) => s.interventions.act(optedOut, NOW, tx))).toEqual({ ineligible: 'opted_out' });
    const closed = await b.database.get<{ status: string; closedAt: unknown; detail: unknown }>(
      sql`SELECT ${crmFindings.status} AS "status", ${crmFindings.closedAt} AS "closedAt", ${crmFindings.detail} AS "detail" FROM ${crmFindings} WHERE ${crmFindings.id} = 'f-opted-out'`,
    );
    expect(closed!.status).toBe('ineligible');
    expect(Number(closed!.closedAt)).toBe(NOW);
    expect(typeof closed!.detail === 'string' ? JSON.parse(closed!.detail) : closed!.detail).toEqual({ ineligible: 'opted_out' });
  });

  it('goes on with the batch when one finding\'s message is refused: that finding is closed as failed with nothing sent or stored', async () => {
    const b = get();
    const taken = new Set<number>();
    const good = idWhere(s.interventions, 'nudge', false, 1, taken);
    const bad = idWhere(s.interventions, 'nudge', false, 1, taken);
    await plantSubscribers(b, [good]);
    // A number messaging cannot send to (planted as an import once left it).
    const badRow = { id: bad, msisdn: 'not-a-number', firstSeenAt: NOW, updatedAt: NOW };
    await b.plant(subscribers, [badRow]);
    const due = [finding('f-bad', bad, 'passive', 'charged_not_using', {}), finding('f-good', good, 'passive', 'charged_not_using', {})];
    await b.plant(crmFindings, due.map(({ closedAt: _c, interventionId: _i, ...x }) => x));
    // What the pass's actOnDue does with each batch.
    const results = await b.units.unit(async (tx) => {
      const out: string[] = [];
      for (const f of due) {
        try {
          const r = await s.interventions.act(f, NOW, tx);
          out.push('kind' in r ? r.status : 'other');
        } catch (err) {
          await s.interventions.failed(f, String((err as { code?: unknown }).code), NOW, tx);
          out.push('failed');
        }
      }
      return out;
    });
    expect(results).toEqual(['failed', 'queued']);
    const findings = await b.database.all<{ id: string; status: string; detail: unknown }>(
      sql`SELECT ${crmFindings.id} AS "id", ${crmFindings.status} AS "status", ${crmFindings.detail} AS "detail" FROM ${crmFindings} ORDER BY ${crmFindings.id}`,
    );
    expect(findings.map((f) => [f.id, f.status, (typeof f.detail === 'string' ? JSON.parse(f.detail) : f.detail) as unknown])).toEqual([
      ['f-bad', 'ineligible', { ineligible: 'failed: INVALID_MSISDN' }],
      ['f-good', 'acted', {}],
    ]);
    expect(await count(b, crmInterventions)).toBe(1);
    expect(await count(b, messages)).toBe(1);
    expect(await count(b, usageEvents, sql`${usageEvents.type} = 'intervention'`)).toBe(1);
  });

  it('reads open outcome windows page by page, saves outcomes, and closes ended windows with their findings once', async () => {
    const b = get();
    await plantSubscribers(b, [7]);
    const store = OutcomeStore.of(b.database);
    // One open finding per kind and subscriber: the three open ones are of different kinds; int-d's is closed.
    const acted = (id: string, kind: FindingRow['kind'], closedAt?: number) => {
      const { closedAt: _c, interventionId: _i, ...f } = finding(`f-${id}`, 7, kind, 'r', {});
      return { ...f, status: 'acted', interventionId: id, ...(closedAt ? { closedAt } : {}) };
    };
    await b.plant(crmFindings, [acted('int-a', 'passive'), acted('int-b', 'stuck'), acted('int-c', 'lapsing'), acted('int-d', 'passive', NOW - DAY)]);
    const row = (id: string, windowEndsAt: number, outcomeClosed = false) => ({ id, findingId: `f-${id}`, subscriberId: 7, kind: 'nudge', findingKind: 'passive', arm: 'treatment', channel: 'sms', status: 'queued', at: NOW - 20 * DAY, windowEndsAt, outcomeClosed });
    await b.plant(crmInterventions, [row('int-a', NOW - 2 * DAY), row('int-b', NOW - 3 * DAY), row('int-c', NOW + 5 * DAY), row('int-d', NOW - 9 * DAY, true)]);

    expect((await store.openOutcomes()).map((o) => o.id).sort()).toEqual(['int-a', 'int-b', 'int-c']);
    await b.units.unit((tx) => store.saveOutcome({ id: 'int-a', reachedContentAt: NOW - 10 * DAY, returnedAt: NOW - 11 * DAY, renewedAt: null, revenueMinor: 500 }, tx));
    expect((await store.openOutcomes()).find((o) => o.id === 'int-a')).toMatchObject({ id: 'int-a', reachedContentAt: NOW - 10 * DAY, returnedAt: NOW - 11 * DAY, renewedAt: null, revenueMinor: 500 });

    expect(await b.units.unit((tx) => store.closeOutcomes(NOW - DAY, NOW, tx))).toBe(2);
    expect(await b.units.unit((tx) => store.closeOutcomes(NOW - DAY, NOW + DAY, tx))).toBe(0);
    expect((await store.openOutcomes()).map((o) => o.id)).toEqual(['int-c']);
    const closed = await b.database.all<{ id: string; closedAt: unknown }>(sql`SELECT ${crmFindings.id} AS "id", ${crmFindings.closedAt} AS "closedAt" FROM ${crmFindings} ORDER BY ${crmFindings.id}`);
    expect(closed.map((c) => [c.id, c.closedAt === null ? null : Number(c.closedAt)])).toEqual([
      ['f-int-a', NOW],
      ['f-int-b', NOW],
      ['f-int-c', null],
      ['f-int-d', NOW - DAY],
    ]);
  });

});
