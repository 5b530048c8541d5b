import { Type } from '@sinclair/typebox';
import { Localized, Obj } from './types';

/** Services sold by subscription (issue 5). */
export const ServiceSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.String({ minLength: 1 }),
    price: Type.Number({ minimum: 0 }),
    currency: Type.String({ minLength: 3, maxLength: 3 }),
    period: Type.Union([Type.Literal('daily'), Type.Literal('weekly'), Type.Literal('monthly')]),
    shortCode: Type.String({ default: '' }),
    keywords: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Each operator's ids for this service: africastalking { shortCode, keyword }, sdp { productID, serviceID }. */
    operators: Type.Record(Type.String(), Type.Record(Type.String(), Type.String()), { default: {} }),
    /** An SMS before each expected renewal (some regulators require it). */
    reminder: Type.Optional(
      Obj({
        hoursBefore: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 31, description: 'hours before the expected renewal' }),
        text: Localized,
      }),
    ),
    /** Services of one family are alternatives (daily, weekly, monthly packages of the same advice): an exit offer picks the cheapest other one. */
    family: Type.Optional(Type.String({ minLength: 1 })),
    /** Overrides of billing.graceDays / billing.suspendDays for this service. */
    graceDays: Type.Optional(Type.Number({ minimum: 0 })),
    suspendDays: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export const ServicesSection = Type.Array(ServiceSchema);
