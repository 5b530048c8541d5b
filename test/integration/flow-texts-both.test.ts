import { sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { flowTexts } from '../../src/db/schema';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { FlowTexts } from '../../src/flow-texts/flow-texts';
import { ManualClock } from '../../src/lib/clock';
import { eachBackend, type Backend } from '../helpers/backends';

// Node texts an editor changes, on both engines: saved in one unit with what the caller adds to it (the
// console's audit entry), a second save of the same text replaces the row, a failing unit keeps neither
// the row nor the text on screen, and stored texts are laid over a fresh copy of the flows at start.
const T0 = Date.parse('2026-11-02T09:00:00Z');

eachBackend((get) => {
  const clock = new ManualClock(T0);
  const fresh = () => new FlowRegistry(loadFlowsOrThrow('flows'));
  const textsOf = (b: Backend, flows = fresh()) => ({ flows, texts: new FlowTexts({ database: b.database, units: b.units }, flows, clock, 182) });
  const rows = (b: Backend) =>
    b.database.all<{ nodeId: string; language: string; text: string; updatedBy: string }>(
      sql`SELECT ${flowTexts.nodeId} AS "nodeId", ${flowTexts.language} AS "language", ${flowTexts.text} AS "text", ${flowTexts.updatedBy} AS "updatedBy" FROM ${flowTexts} ORDER BY ${flowTexts.nodeId}, ${flowTexts.language}`,
    );

  beforeEach(async () => {
    clock.set(T0);
    await get().clear(flowTexts);
  });

  it('saves a node’s texts, replaces them on a second save, and lays them over the flows at the next start', async () => {
    const b = get();
    const { flows, texts } = textsOf(b);
    await texts.change('crop-advice', 'crops', { en: 'Pick a crop', sw: 'Chagua zao lako' }, 'esi.editor');
    clock.set(T0 + 60_000);
    await texts.change('crop-advice', 'crops', { sw: 'Chagua zao — sasa' }, 'ana.admin');
    expect(flows.byId('crop-advice')!.nodes.crops!.text).toMatchObject({ en: 'Pick a crop', sw: 'Chagua zao — sasa' });
    expect(await rows(b)).toEqual([
      { nodeId: 'crops', language: 'en', text: 'Pick a crop', updatedBy: 'esi.editor' },
      { nodeId: 'crops', language: 'sw', text: 'Chagua zao — sasa', updatedBy: 'ana.admin' },
    ]);
    const last = await texts.changes('crop-advice');
    expect(last.get('crops')).toMatchObject({ updatedBy: 'ana.admin', updatedAt: T0 + 60_000 });

    const restarted = textsOf(b);
    expect(restarted.flows.byId('crop-advice')!.nodes.crops!.text.en).not.toBe('Pick a crop');
    await restarted.texts.applyStored();
    expect(restarted.flows.byId('crop-advice')!.nodes.crops!.text).toMatchObject({ en: 'Pick a crop', sw: 'Chagua zao — sasa' });
  });

  it('keeps neither the row nor the new text when the rest of the unit fails', async () => {
    const b = get();
    const { flows, texts } = textsOf(b);
    const before = flows.byId('crop-advice')!.nodes.crops!.text.en;
    await expect(
      texts.change('crop-advice', 'crops', { en: 'Never shown' }, 'esi.editor', async () => {
        throw new Error('audit entry refused');
      }),
    ).rejects.toThrow('audit entry refused');
    expect(await rows(b)).toEqual([]);
    expect(flows.byId('crop-advice')!.nodes.crops!.text.en).toBe(before);
  });

  it('refuses a text that does not fit the screen and saves nothing', async () => {
    const b = get();
    const { texts } = textsOf(b);
    await expect(texts.change('crop-advice', 'crops', { en: 'x'.repeat(400) }, 'esi.editor')).rejects.toMatchObject({ code: 'TEXT_DOES_NOT_FIT' });
    expect(await rows(b)).toEqual([]);
  });
});
