import { Type } from '@sinclair/typebox';
import { Obj } from './types';

/** Detectors, scores, interventions and experiments (issue 6). */
export const CrmSection = Obj({
  schedule: Type.String({ default: '0 * * * *' }),
  holdoutPercent: Type.Number({ minimum: 0, maximum: 100, default: 10 }),
});
