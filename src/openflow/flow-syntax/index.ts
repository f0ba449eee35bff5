/**
 * ovs-ofctl flow syntax for xsite: parse flows and groups written as for `ovs-ofctl add-flow` / `add-group`
 * (OpenFlow 1.3 subset) into codec messages, and print flows, matches, actions and groups the way
 * `ovs-ofctl -O OpenFlow13 dump-flows` does. Pure functions, no I/O.
 */
export { parseFlow, FLAG_NAMES } from './parse-flow';
export type { FlowCommand, FlowSyntaxWarning, ParseFlowOptions } from './parse-flow';
export { parseGroup, GROUP_TYPES } from './parse-group';
export type { GroupCommand } from './parse-group';
export { formatFlow, formatDuration } from './format';
export type { FormatFlowOptions } from './format';
export { formatMatch, DEFAULT_PRIORITY } from './format-match';
export { formatAction, formatActions, formatInstructions } from './format-actions';
export { formatGroup } from './format-group';
export { FLOW_SYNTAX } from './errors';
export type { FlowSyntaxDetails } from './errors';
