// Every table, one file per domain. drizzle-kit reads this file to generate ./migrations.
export * from './core';
export * from './messaging';
export * from './calls';
export * from './subscriptions';
export * from './campaigns';
export * from './crm';
export * from './imports';
export * from './console';
export * from './flow-texts';
export * from './exit-surveys';
export * from './tiers';
export * from './best-channel';
