/** Public API of the OpenFlow 1.3 wire codec. */
export * from './constants';
export * from './errors';
export type * from './types';
export { Reader, Writer } from './wire';
export { encodeMessage, decodeMessage, Framer, MESSAGE_TYPE_NUMBERS } from './message';
export { encodeMatch, decodeMatch, encodeOxm, decodeOxm, oxmFieldInfo, oxmFields, OXM_BASIC_FIELD_COUNT } from './oxm';
export type { OxmFieldInfo, OxmKind } from './oxm';
export { encodeActions, decodeActions, encodeAction, MAX_ACTIONS } from './actions';
export { encodeInstructions, decodeInstructions, encodeInstruction } from './instructions';
export { parseMac, formatMac, parseIpv4, formatIpv4, formatIpv4Number, parseIpv6, formatIpv6 } from './addr';
export type { OfpErrorCode } from './fail';
export { MULTIPART_TYPE_NUMBERS } from './multipart';
