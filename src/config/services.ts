import { Type } from '@sinclair/typebox';
import { Obj } from './types';

/** Services sold by subscription (issue 5). */
export const ServiceSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1 }),
    price: Type.Number({ minimum: 0 }),
    currency: Type.String({ minLength: 3, maxLength: 3 }),
    period: Type.Union([Type.Literal('daily'), Type.Literal('weekly'), Type.Literal('monthly')]),
    shortCode: Type.String({ default: '' }),
    keywords: Type.Array(Type.String(), { default: [] }),
    operators: Type.Record(Type.String(), Type.Record(Type.String(), Type.String()), { default: {} }),
  },
  { additionalProperties: false },
);
export const ServicesSection = Type.Array(ServiceSchema, { default: [] });
void Obj;
