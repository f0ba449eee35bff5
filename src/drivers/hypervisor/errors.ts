/** The errors every hypervisor driver rejects with (see src/ports/hypervisor.ts). */
import { XsiteError } from '../../core/errors';

/** HYPERVISOR_FAILED: the migration could not be done; the VM runs where it was. */
export function hypervisorFailed(message: string, details?: Record<string, unknown>): XsiteError {
  return new XsiteError('HYPERVISOR_FAILED', message, details);
}

/** HYPERVISOR_ABORTED: a hook failed or the migration was aborted; `cause` (when given) is kept as the error's cause. */
export function hypervisorAborted(message: string, cause: unknown, details: Record<string, unknown>): XsiteError {
  const e = new XsiteError('HYPERVISOR_ABORTED', message, { ...details, ...(cause !== undefined ? { cause } : {}) });
  if (cause !== undefined) e.cause = cause;
  return e;
}

/** The message of an error, or the thing itself as text. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
