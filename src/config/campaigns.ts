import { Type } from '@sinclair/typebox';
import { Obj } from './types';

/** Campaign fan-out and polls (issue 7). */
export const CampaignsSection = Obj({
  tickSeconds: Type.Number({ exclusiveMinimum: 0, default: 5 }),
});
