import type { FlowRegistry } from '../engine/flow-registry';
import type { SmsContentLookup } from './mo-router';

/**
 * SMS keywords as flow entry points (`MAIZE` to 20123): the content node's SMS version in the
 * subscriber's language, else the flow's default language, else its screen text.
 */
export function flowSmsContent(flows: Pick<FlowRegistry, 'bySmsKeyword'>): SmsContentLookup {
  return (keyword, shortCode, lang) => {
    const hit = flows.bySmsKeyword(keyword, shortCode);
    if (!hit) return null;
    const pick = (t: Record<string, string> | undefined) => t?.[lang] ?? t?.[hit.flow.defaultLanguage];
    const text = pick(hit.node.sms) ?? pick(hit.node.text) ?? Object.values(hit.node.sms ?? hit.node.text)[0];
    return text ? { flowId: hit.flow.id, nodeId: hit.node.id, text } : null;
  };
}
