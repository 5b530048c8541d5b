import type { FlowRegistry } from '../engine/flow-registry';
import { AppError, ConfigError } from '../lib/errors';
import { ProfileSchema } from './profile-schema';
import type { SubscriberService } from './subscriber-service';

/** The profile schema of a config, with the languages the loaded flows declare added to `language`. */
export function profileSchemaFor(config: ConstructorParameters<typeof ProfileSchema>[0], flows: Pick<FlowRegistry, 'all'>): ProfileSchema {
  return new ProfileSchema(config, [...new Set(flows.all().flatMap((f) => f.languages))]);
}

/**
 * Start-up check that every flow input node stores a field the profile knows, and that each of its
 * choices is a value the field allows: a flow must never collect what the gateway then refuses.
 */
export function checkFlowInputs(flows: Pick<FlowRegistry, 'all'>, subscribers: Pick<SubscriberService, 'validateProfile'>): void {
  for (const flow of flows.all()) {
    for (const [nodeId, node] of Object.entries(flow.nodes)) {
      if (node.type !== 'input') continue;
      const values = node.choices ? node.choices.map((c) => c.value) : [];
      try {
        subscribers.validateProfile({ [node.field]: values[0] ?? null });
        for (const v of values) subscribers.validateProfile({ [node.field]: v });
      } catch (e) {
        if (e instanceof AppError) throw new ConfigError(`flow ${flow.id} node ${nodeId} stores a profile value the schema refuses (config profile.fields): ${e.message}`);
        throw e;
      }
    }
  }
}
