/** Jobs the central controller sends to the local controller of one DC (seed 000 section 4.1). */

/** `pending` until the local controller acks; then `done` or `failed`. */
export type JobStatus = 'pending' | 'done' | 'failed';

/** A job. `id` is chosen by the caller and idempotent: the same id is one job. */
export interface JobRecord {
  id: string;
  dc: string;
  kind: string;
  /** JSON-serialisable. */
  payload: unknown;
  status: JobStatus;
  createdAt: number;
  updatedAt: number;
  /** Why it failed (status `failed`). */
  error?: string;
}

/** Filter for listing jobs. */
export interface JobFilter {
  dc?: string;
  status?: JobStatus;
}
