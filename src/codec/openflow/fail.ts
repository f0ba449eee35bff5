import { OfpDecodeError, OfpEncodeError } from './errors';

/**
 * Stable `code`s of the errors the codec throws (besides `OFP_TRUNCATED` from the Reader):
 *  - decode: OFP_BAD_LENGTH, OFP_BAD_VERSION, OFP_BAD_TYPE, OFP_BAD_MULTIPART, OFP_BAD_MATCH, OFP_BAD_OXM_FIELD,
 *    OFP_BAD_OXM_LENGTH, OFP_BAD_OXM_MASK, OFP_BAD_OXM_VALUE, OFP_DUP_OXM_FIELD, OFP_BAD_ACTION,
 *    OFP_BAD_ACTION_LENGTH, OFP_TOO_MANY_ACTIONS, OFP_BAD_INSTRUCTION, OFP_BAD_INSTRUCTION_LENGTH,
 *    OFP_DUP_INSTRUCTION, OFP_BAD_BUCKET, OFP_BAD_METER_BAND, OFP_BAD_PROPERTY, OFP_BUNDLE_NESTED,
 *    OFP_FRAMING (stream framing lost);
 *  - encode: OFP_BAD_VALUE (a field value not representable), OFP_TOO_LONG (message over 65535 bytes).
 */
export type OfpErrorCode =
  | 'OFP_TRUNCATED'
  | 'OFP_BAD_LENGTH'
  | 'OFP_BAD_VERSION'
  | 'OFP_BAD_TYPE'
  | 'OFP_BAD_MULTIPART'
  | 'OFP_BAD_MATCH'
  | 'OFP_BAD_OXM_FIELD'
  | 'OFP_BAD_OXM_LENGTH'
  | 'OFP_BAD_OXM_MASK'
  | 'OFP_BAD_OXM_VALUE'
  | 'OFP_DUP_OXM_FIELD'
  | 'OFP_BAD_ACTION'
  | 'OFP_BAD_ACTION_LENGTH'
  | 'OFP_TOO_MANY_ACTIONS'
  | 'OFP_BAD_INSTRUCTION'
  | 'OFP_BAD_INSTRUCTION_LENGTH'
  | 'OFP_DUP_INSTRUCTION'
  | 'OFP_BAD_BUCKET'
  | 'OFP_BAD_METER_BAND'
  | 'OFP_BAD_PROPERTY'
  | 'OFP_BUNDLE_NESTED'
  | 'OFP_FRAMING'
  | 'OFP_BAD_VALUE'
  | 'OFP_TOO_LONG';

/** Throws an OfpDecodeError (a peer sent something malformed). */
export function decodeFail(
  code: OfpErrorCode,
  message: string,
  ofpType: number,
  ofpCode: number,
  details?: Record<string, unknown>,
): never {
  throw new OfpDecodeError(code, message, ofpType, ofpCode, details);
}

/** Throws an OfpEncodeError with code OFP_BAD_VALUE (our caller asked for something not representable). */
export function badValue(message: string, details?: Record<string, unknown>): never {
  throw new OfpEncodeError('OFP_BAD_VALUE', message, details);
}

/** Checks that `v` is an integer in [0, max]; throws OFP_BAD_VALUE naming `what` otherwise. */
export function checkUint(v: number, max: number, what: string): void {
  if (!(typeof v === 'number' && v >= 0 && v <= max && Math.floor(v) === v)) {
    badValue(`${what} must be an integer in [0, ${max}], got ${String(v)}`, { field: what, value: String(v) });
  }
}

/** Checks that `v` is a bigint in [0, 2^64); throws OFP_BAD_VALUE naming `what` otherwise. */
export function checkU64(v: bigint, what: string): void {
  if (!(typeof v === 'bigint' && v >= 0n && v <= 0xffffffffffffffffn)) {
    badValue(`${what} must be a bigint in [0, 2^64), got ${String(v)}`, { field: what, value: String(v) });
  }
}

/** Checks that `b` is a Buffer/Uint8Array. */
export function checkBytes(b: Uint8Array, what: string): void {
  if (!(b instanceof Uint8Array)) badValue(`${what} must be a Buffer`, { field: what });
}
