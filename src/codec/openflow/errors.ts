import { XsiteError } from '../../core/errors';

/** OFPET_* error types (OpenFlow 1.3 section A.4.4). */
export const OFPET = {
  HELLO_FAILED: 0,
  BAD_REQUEST: 1,
  BAD_ACTION: 2,
  BAD_INSTRUCTION: 3,
  BAD_MATCH: 4,
  FLOW_MOD_FAILED: 5,
  GROUP_MOD_FAILED: 6,
  PORT_MOD_FAILED: 7,
  TABLE_MOD_FAILED: 8,
  QUEUE_OP_FAILED: 9,
  SWITCH_CONFIG_FAILED: 10,
  ROLE_REQUEST_FAILED: 11,
  METER_MOD_FAILED: 12,
  TABLE_FEATURES_FAILED: 13,
  EXPERIMENTER: 0xffff,
} as const;

/**
 * A message (or part of one) that could not be decoded. `ofpType`/`ofpCode` are the OFPT_ERROR type and code a
 * switch connection replies with, so a malformed message from a peer gets the answer the specification asks for.
 */
export class OfpDecodeError extends XsiteError {
  readonly ofpType: number;
  readonly ofpCode: number;

  constructor(code: string, message: string, ofpType: number, ofpCode: number, details?: Record<string, unknown>) {
    super(code, message, details);
    this.ofpType = ofpType;
    this.ofpCode = ofpCode;
  }
}

/** A value we were asked to encode is not representable on the wire (our caller's mistake, not the peer's). */
export class OfpEncodeError extends XsiteError {}
