/**
 * Jobs for local controllers (seed 000 section 4.1: the central controller "notices the involved local controller
 * its job type and configuration parameters"). Every job has an idempotent id chosen by its creator (e.g.
 * `migration-42/dc2/setup-path`): creating the same id again returns the job already stored, never a second one.
 * `pending` jobs of a DC are what to resend when its local controller reconnects.
 *
 * Transitions: pending -> done | failed; failed -> pending ({@link JobQueue.retry}). Repeating a transition into the
 * state a job is already in does nothing (acks may arrive twice). Errors: `JOB_NOT_FOUND`, `JOB_ID_CONFLICT` (same
 * id, other dc or kind), `JOB_BAD_TRANSITION`.
 */
import { XsiteError } from '../core/errors';
import type { JobRecord, JobStatus } from '../model/job';
import type { Store, StoreTx } from '../ports/store';

/** What a new job is. */
export interface NewJob {
  id: string;
  dc: string;
  kind: string;
  payload?: unknown;
}

/** Options of {@link JobQueue}. */
export interface JobQueueOptions {
  now?: () => number;
}

/** The central controller's jobs, kept in a {@link Store}. */
export class JobQueue {
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    options: JobQueueOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Creates the job, or returns the stored one with the same id (same dc and kind, else `JOB_ID_CONFLICT`). */
  create(job: NewJob): Promise<JobRecord> {
    return this.store.transaction((tx) => this.createIn(tx, job));
  }

  /** {@link create} inside the caller's transaction. */
  async createIn(tx: StoreTx, job: NewJob): Promise<JobRecord> {
    const at = this.now();
    const rec: JobRecord = { id: job.id, dc: job.dc, kind: job.kind, payload: job.payload ?? null, status: 'pending', createdAt: at, updatedAt: at };
    if (await tx.insertJob(rec)) return rec;
    const existing = await tx.getJob(job.id);
    if (!existing) throw new XsiteError('INTERNAL_INVARIANT', `job ${job.id} neither inserted nor found`);
    if (existing.dc !== job.dc || existing.kind !== job.kind) {
      throw new XsiteError('JOB_ID_CONFLICT', `job id ${job.id} is already a ${existing.kind} job for ${existing.dc}`, {
        id: job.id,
        existing: { dc: existing.dc, kind: existing.kind },
        requested: { dc: job.dc, kind: job.kind },
      });
    }
    return existing;
  }

  /** The job; `JOB_NOT_FOUND` when there is none. */
  async get(id: string): Promise<JobRecord> {
    const j = await this.store.getJob(id);
    if (!j) throw new XsiteError('JOB_NOT_FOUND', `no job ${id}`, { id });
    return j;
  }

  /** The local controller confirmed the job. */
  markDone(id: string): Promise<JobRecord> {
    return this.transition(id, ['pending'], 'done');
  }

  /** The job failed; `error` says why. */
  markFailed(id: string, error: string): Promise<JobRecord> {
    return this.transition(id, ['pending'], 'failed', error);
  }

  /** A failed job becomes pending again (to be resent). */
  retry(id: string): Promise<JobRecord> {
    return this.transition(id, ['failed'], 'pending');
  }

  /** Pending jobs of a DC, oldest first: what to resend after its local controller reconnects. */
  listPending(dc: string): Promise<JobRecord[]> {
    return this.store.listJobs({ dc, status: 'pending' });
  }

  /** Jobs, oldest first. */
  list(filter: { dc?: string; status?: JobStatus } = {}): Promise<JobRecord[]> {
    return this.store.listJobs(filter);
  }

  private transition(id: string, from: JobStatus[], to: JobStatus, error?: string): Promise<JobRecord> {
    return this.store.transaction(async (tx) => {
      const j = await tx.getJob(id);
      if (!j) throw new XsiteError('JOB_NOT_FOUND', `no job ${id}`, { id });
      if (j.status === to) return j;
      if (!from.includes(j.status)) {
        throw new XsiteError('JOB_BAD_TRANSITION', `job ${id} is ${j.status}, cannot become ${to}`, { id, status: j.status, to });
      }
      const at = this.now();
      await tx.updateJob(id, to, at, error);
      const updated: JobRecord = { ...j, status: to, updatedAt: at };
      if (error !== undefined) updated.error = error;
      else delete updated.error;
      return updated;
    });
  }
}
