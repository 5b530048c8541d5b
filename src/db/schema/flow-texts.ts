import { sqliteTable, integer, text, primaryKey } from 'drizzle-orm/sqlite-core';

/**
 * A node's text changed by an editor in the console, per language, applied over the flow's YAML when
 * the gateway starts and at once when saved. The YAML on disk stays as it was (operators may keep it
 * in version control); the override says who changed it and when.
 */
export const flowTexts = sqliteTable(
  'flow_texts',
  {
    flowId: text('flow_id').notNull(),
    nodeId: text('node_id').notNull(),
    language: text('language').notNull(),
    text: text('text').notNull(),
    updatedAt: integer('updated_at').notNull(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.flowId, t.nodeId, t.language] })],
);
