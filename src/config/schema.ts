import { Type, type Static } from '@sinclair/typebox';
import { ApiSection, CallbacksSection, DatabaseSection, DefaultsSection, FlowsSection, OperatorSchema, ServerSection, UssdSection } from './core';
import { MessagingSection } from './messaging';
import { SmppSection } from './smpp';
import { SmsSection } from './sms';
import { IvrSection } from './ivr';
import { ServicesSection } from './services';
import { CrmSection } from './crm';
import { CampaignsSection } from './campaigns';
import { BillingSection } from './billing';
import { ProfileSection } from './profile';
import { ConsoleSection } from './console';

/**
 * The whole configuration. config/default.yaml holds every key with its default, so the schema states
 * none for those keys; only entries of lists (binds, partner accounts, services, operators), which
 * default.yaml cannot hold, take their defaults from here (test/unit/config-defaults.test.ts).
 */
export const ConfigSchema = Type.Object(
  {
    logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
    server: ServerSection,
    database: DatabaseSection,
    api: ApiSection,
    defaults: DefaultsSection,
    flows: FlowsSection,
    ussd: UssdSection,
    callbacks: CallbacksSection,
    operators: Type.Array(OperatorSchema),
    messaging: MessagingSection,
    smpp: SmppSection,
    sms: SmsSection,
    ivr: IvrSection,
    services: ServicesSection,
    billing: BillingSection,
    crm: CrmSection,
    campaigns: CampaignsSection,
    profile: ProfileSection,
    console: ConsoleSection,
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
