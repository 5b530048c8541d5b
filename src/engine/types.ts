/**
 * The flow format and the engine's interface. The engine is a pure step function:
 * (flow, state, input, context) -> screen + usage events + effects. Channels render the screen
 * (USSD text, IVR speech); the session service persists state and applies effects.
 */

import type { UsageEventType } from '../usage/event-types';

export type Lang = string;
/** Text per language code. */
export type Localized = Record<Lang, string>;

export interface MenuOption {
  label: Localized;
  next: string;
  /** Spoken label for IVR when it differs from the written one. */
  voice?: Localized;
}

interface NodeBase {
  id: string;
  /** Written text (title of a menu, the advice of a content node, the question of an input). */
  text: Localized;
  /** Audio file name per language, relative to ivr.audioBaseUrl (IVR plays it instead of speaking text). */
  audio?: Localized;
  /** Spoken text for IVR when it differs from `text` (e.g. no abbreviations). */
  voice?: Localized;
}

/** Where and when advice applies: any dimension left out applies everywhere (or is inherited from a menu above). */
export interface NodeContext {
  regions?: string[];
  /** Months of the year, 1-12, in the subscriber's time zone. */
  months?: number[];
  crops?: string[];
}

export interface MenuNode extends NodeBase {
  type: 'menu';
  options: MenuOption[];
  /** Inherited by every node below the menu that does not declare the dimension itself. */
  context?: NodeContext;
}

export interface ContentNode extends NodeBase {
  type: 'content';
  /** SMS version of the content (sent on request, by keyword, or by interventions). */
  sms?: Localized;
  /** Where `1`/continue leads after the content; absent = back/home only. */
  next?: string;
  /** Label of the `1` option leading to `next` (default: the system message `continue`). */
  nextLabel?: Localized;
  /** Where and when this advice applies (the context report counts serves outside it). */
  context?: NodeContext;
}

export interface InputChoice {
  value: string;
  label: Localized;
}

export interface InputNode extends NodeBase {
  type: 'input';
  /** Profile field the answer is stored in: region, crop, or any custom field. */
  field: string;
  /** Offered choices; without them free digits are accepted (matching `pattern`). */
  choices?: InputChoice[];
  pattern?: string;
  next: string;
}

export type ActionKind = 'set_language' | 'subscribe' | 'unsubscribe' | 'send_sms';

export interface ActionNode extends NodeBase {
  type: 'action';
  action: ActionKind;
  /** set_language: the language to switch to. */
  language?: Lang;
  /** subscribe/unsubscribe: the service id (config `services`). */
  service?: string;
  /** send_sms: the content node whose SMS version is sent. */
  content?: string;
  /** Where to go after the confirmation; absent = the session ends on the confirmation. */
  next?: string;
}

export interface PollNode extends NodeBase {
  type: 'poll';
  /** Poll key; answers are stored as poll results under this key. */
  poll: string;
  answers: Localized[];
  next?: string;
}

export interface EndNode extends NodeBase {
  type: 'end';
}

export type FlowNode = MenuNode | ContentNode | InputNode | ActionNode | PollNode | EndNode;
export type NodeType = FlowNode['type'];

/** Built-in texts a flow may override per language. */
export type SystemMessageKey =
  | 'invalid' // "Invalid choice." notice above a re-shown screen
  | 'maxInvalid' // goodbye after too many invalid tries
  | 'back'
  | 'home'
  | 'more'
  | 'chooseLanguage'
  | 'resume' // "Continue where you left off"
  | 'restart' // "Start again"
  | 'goodbye'
  | 'repeat' // IVR: "press star to repeat"
  | 'pressKey' // IVR: "For {label}, press {key}."
  | 'pressBack' // IVR: "To go back, press {key}."
  | 'continue' // label of `1` on a content or action screen that has a `next`
  | 'thanks'; // goodbye after a poll answer when the poll has no `next`

export interface Flow {
  id: string;
  /** Source file, for error messages. */
  file: string;
  title?: Localized;
  languages: Lang[];
  defaultLanguage: Lang;
  /** Native name of each language, for the language menu ("English", "Kiswahili"). */
  languageNames: Localized;
  entry: {
    /** USSD service codes, e.g. "*384*1#". */
    ussd: string[];
    /** IVR numbers (destinationNumber). */
    ivr: string[];
    /** SMS keywords that reply with a content node's SMS version. */
    sms: { keyword: string; node: string; shortCode?: string }[];
  };
  start: string;
  messages: Partial<Record<SystemMessageKey, Localized>>;
  nodes: Record<string, FlowNode>;
}

/** What the engine keeps between hops (persisted as JSON in sessions.state). */
export interface EngineState {
  phase: 'language' | 'resume' | 'node' | 'ended';
  node: string;
  /** Nodes to return to with `0` (back). */
  stack: string[];
  page: number;
  /** Invalid inputs in a row on the current screen. */
  invalid: number;
  lang: Lang;
  /** While offering to resume: the state to go back to. */
  resumeFrom?: EngineState;
  /** Nodes visited in this session (for revisit counting). */
  visits: Record<string, number>;
  /** Shortcut inputs still to apply once the language is chosen (`*384*1*1*2#` dialled by a first-time user). */
  pending?: string[];
  /** A node to begin at instead of the start node once the language is chosen (calls into a given node). */
  startAt?: string;
  /**
   * Set after an invalid input on a page too full for the notice: the node is then paged with room kept for
   * the notice on every page, and `page` counts pages of that layout until the subscriber leaves the node.
   */
  tight?: boolean;
}

/** The usage events a flow step can produce (the session service adds session_end for drops and timeouts). */
export type UsageType = Extract<
  UsageEventType,
  'session_start' | 'menu' | 'input_invalid' | 'back' | 'home' | 'more' | 'content' | 'session_end' | 'poll_answer' | 'profile_update' | 'action'
>;

/** A usage event without who/when/where; the session service adds those. */
export interface EventDraft {
  type: UsageType;
  nodeId?: string;
  detail?: Record<string, unknown>;
}

export type Effect =
  | { kind: 'set_profile'; field: string; value: string }
  | { kind: 'subscribe'; service: string }
  | { kind: 'unsubscribe'; service: string }
  | { kind: 'send_sms'; node: string; text: string }
  /** `answer` is the 0-based index into the poll node's `answers` (the subscriber pressed answer + 1). */
  | { kind: 'poll_answer'; poll: string; answer: number; nodeId: string };

/** How a session ends, in the order reports list them. */
export const END_REASONS = ['completed', 'user_exit', 'timeout', 'dropped', 'error', 'max_invalid'] as const;
export type EndReason = (typeof END_REASONS)[number];

export interface ScreenOption {
  /** What the subscriber presses. */
  key: string;
  label: string;
  /** Spoken label, if the flow gives one. */
  voice?: string;
}

/** One screen in structured form; `text` is the page as USSD shows it. */
export interface Screen {
  nodeId: string;
  kind: NodeType | 'language' | 'resume';
  lang: Lang;
  /** Short notice shown above (e.g. "Invalid choice."). */
  notice?: string;
  /** Title or body text in the subscriber's language. */
  body: string;
  /** Spoken body for IVR (voice text if the flow has one, else body). */
  voiceBody: string;
  /** Audio file name for this language, if the flow names one. */
  audio?: string;
  /** Choices on this screen (all of them, unpaged), with navigation keys excluded. */
  options: ScreenOption[];
  /** The rendered USSD page: body + this page's options + navigation, within the character limit. */
  text: string;
  /** Whether the session ends with this screen. */
  end: boolean;
  /** Keys accepted here besides options: '0' back, '00' home, '98' more, '*' repeat (IVR). */
  nav: { back: boolean; home: boolean; more: boolean };
}

export interface StepContext {
  /** The subscriber's stored language, if any. */
  language: Lang | null;
  /** Characters per screen; Infinity for voice (no paging). */
  maxChars: number;
  /** Invalid tries in a row before the session ends (`max_invalid`). */
  maxInvalid: number;
}

export interface StepResult {
  state: EngineState;
  screen: Screen;
  events: EventDraft[];
  effects: Effect[];
  /** Set when this step ends the session. */
  end: EndReason | null;
}

/** A problem found when validating a flow file. */
export interface FlowProblem {
  file: string;
  nodeId: string | null;
  message: string;
  /** A warning is printed but neither fails `flows check` nor stops the gateway; absent = an error. */
  warning?: true;
  /** The line of the node in the file, when known. */
  line?: number;
}
