import type { Config } from '../../config';
import type { Database } from '../../db/database';
import { iso } from '../../lib/clock';
import { CrmState } from '../crm-state-store';
import { BestChannelStore } from './best-channel-store';
import { storedTotals } from './best-channel-tracker';
import { BEST_CHANNELS, baseRate, countsOf, emptyRow, shrunkRate, type BestChannel, type Channel } from './evidence';

const r3 = (v: number) => Math.round(v * 1000) / 1000;

/** One channel's evidence as the profile shows it. */
export interface ChannelEvidence {
  attempts: number;
  responses: number;
  /** responses / attempts, null before any attempt. */
  rate: number | null;
  /** The rate pulled towards the channel's base rate: what the choice compares. */
  score: number;
}

/** The `crm.bestChannel` block of a subscriber profile. */
export interface BestChannelView {
  channel: BestChannel;
  evidence: Record<Channel, ChannelEvidence>;
  updatedAt: string | null;
}

/** A subscriber's best channel with the evidence behind it (unknown with zero counts before any evidence). */
export async function bestChannelView(database: Database, state: CrmState, cfg: Config['crm']['bestChannel'], subscriberId: number): Promise<BestChannelView> {
  const row = await BestChannelStore.of(database).get(subscriberId);
  const totals = await storedTotals(state);
  const r = row ?? emptyRow(subscriberId);
  const evidence = Object.fromEntries(
    BEST_CHANNELS.map((c) => {
      const { attempts, responses } = countsOf(r, c);
      return [c, { attempts, responses, rate: attempts > 0 ? r3(responses / attempts) : null, score: r3(shrunkRate(responses, attempts, baseRate(totals, c), cfg.prior)) }];
    }),
  ) as Record<Channel, ChannelEvidence>;
  return { channel: row?.channel ?? 'unknown', evidence, updatedAt: row ? iso(row.updatedAt) : null };
}
