import { beforeAll, describe, expect, it } from 'vitest';
import type { FakeSmsc } from '../fakes/smsc';
import { eventually, stopAfterAll, type TestGateway } from '../helpers/gateway';
import { apiGet, crmGateway, ussdSession } from '../helpers/crm';

let gw: TestGateway;
let smsc: FakeSmsc;

/** An SMS keyword from the farmer over SMPP, once its answer has gone out. */
async function keyword(from: string, text: string): Promise<void> {
  const n = smsc.messages().length;
  smsc.sendMo({ from: from.replace('+', ''), to: '20123', text });
  await eventually(() => smsc.messages().slice(n).find((m) => m.to === from.replace('+', '')), { what: `the answer to ${text}` });
}

// H gets lost in the maize menu on USSD, then texts MAIZE 5 minutes later; I texts BEANS and nothing else.
beforeAll(async () => {
  ({ gw, smsc } = await crmGateway({ crm: { holdoutPercent: 0, act: false }, messaging: { quietHours: null } }, '2026-11-20T07:00:00Z'));
  await ussdSession(gw, '+254768000001', ['1', '1', '1']);
  gw.clock.advance(200_000);
  await gw.core.sessions.sweep();
  gw.clock.advance(5 * 60_000);
  await keyword('+254768000001', 'MAIZE');
  await keyword('+254768000002', 'BEANS');
  gw.clock.advance(3_600_000);
  // Background writers (dispatch, call status) may have a group commit open: the pass must not run inside it.
  await gw.core.groupCommit?.idle();
  await gw.core.crm.runPass();
});
stopAfterAll(() => [gw, smsc]);

describe('first-go discovery with SMS keywords', () => {
  it('content sent by SMS ends an episode; an SMS keyword alone is an SMS episode found at the first go', async () => {
    const r = await apiGet(gw, '/reports/discovery?from=2026-11-20&to=2026-11-20&by=channel');
    const s = r.body.soughtContent as { groups: Record<string, unknown>[] } & Record<string, unknown>;
    expect(s).toMatchObject({ episodes: 2, foundFirstGo: 1, foundAfterRetries: 1, notFound: 0 });
    expect(s.groups.find((g) => g.value === 'ussd')).toMatchObject({ episodes: 1, foundAfterRetries: 1, sessionsPerEpisode: 2 });
    expect(s.groups.find((g) => g.value === 'sms')).toMatchObject({ episodes: 1, foundFirstGo: 1 });
    const nodes = (await apiGet(gw, '/reports/discovery?from=2026-11-20&to=2026-11-20&by=node')).body.soughtContent as { groups: Record<string, unknown>[] };
    expect(nodes.groups.map((g) => [g.nodeId, g.foundFirstGo, g.episodes])).toEqual([
      ['maize-planting', 0, 1],
      ['beans-planting', 1, 1],
    ]);
  });
});
