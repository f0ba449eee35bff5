/**
 * Errors with stable codes. Every error xsite raises on purpose is an XsiteError (or a subclass) whose `code` is a
 * stable, documented string; tests and API clients match on `code`, never on message text.
 */
export class XsiteError extends Error {
  /** Stable machine-readable code, e.g. `OFP_BAD_LENGTH`. */
  readonly code: string;
  /** Optional structured context (field names, offsets, ids). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Returns true when `e` is an XsiteError, optionally with the given code. */
export function isXsiteError(e: unknown, code?: string): e is XsiteError {
  return e instanceof XsiteError && (code === undefined || e.code === code);
}

/** Asserts an invariant of our own code (not of input): a failure is a bug in xsite. */
export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new XsiteError('INTERNAL_INVARIANT', message);
}
