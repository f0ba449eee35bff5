/**
 * The error a switch answers a controller request with: an OFPT_ERROR type/code pair (or an ONF experimenter error
 * for bundles), carried as an exception through validation code.
 */
import { XsiteError } from '../../core/errors';

/** A request the switch refuses; `errType`/`code` go into the OFPT_ERROR reply (OVS's codes). */
export class OfpRequestError extends XsiteError {
  constructor(
    readonly errType: number,
    readonly errCode: number,
    message: string,
    /** Set for ONF experimenter errors (bundles): the reply is an error_experimenter with exp_type `errCode`. */
    readonly experimenter?: number,
  ) {
    super('OFP_REQUEST_REFUSED', message, { errType, errCode });
  }
}

/** Throws an {@link OfpRequestError}. */
export function refuse(errType: number, code: number, message: string): never {
  throw new OfpRequestError(errType, code, message);
}
