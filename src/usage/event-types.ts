/** Channels that produce usage. */
export type UsageChannel = 'ussd' | 'ivr' | 'sms' | 'billing' | 'crm' | 'campaign' | 'api' | 'call';

/** Usage event types: the contract's names plus the gateway's own (profile_update, action, opt_out, opt_in). */
export type UsageEventType =
  | 'session_start'
  | 'menu'
  | 'input_invalid'
  | 'back'
  | 'home'
  | 'more'
  | 'content'
  | 'session_end'
  | 'sms_in'
  | 'sms_out'
  | 'sms_status'
  | 'call_out'
  | 'call_status'
  | 'poll_answer'
  | 'billing'
  | 'intervention'
  | 'profile_update'
  | 'action'
  | 'opt_out'
  | 'opt_in';
