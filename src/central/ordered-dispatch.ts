/**
 * Jobs to one DC leave central in the order their bodies were computed. A migration's switchover carries the DC's
 * whole directory and cross-site flows as central sees them when the body is built; if a body built earlier (before
 * another VM moved) were delivered after one built later, the DC would apply the older picture last. So building a
 * body and handing the job to the channel happen under a per-DC lock (the acknowledgement is awaited outside it).
 */
import type { ChannelJob, DispatchOptions, JobResult } from '../ports/control-channel';

export interface JobChannel {
  dispatchJob<R = unknown>(dc: string, job: ChannelJob, opts?: DispatchOptions): Promise<JobResult<R>>;
}

export class OrderedDispatch implements JobChannel {
  private readonly locks = new Map<string, Promise<void>>();

  constructor(private readonly channel: JobChannel) {}

  dispatchJob<R = unknown>(dc: string, job: ChannelJob, opts?: DispatchOptions): Promise<JobResult<R>> {
    return this.dispatchBuilt<R>(dc, async () => job, opts);
  }

  /** Builds the job under DC `dc`'s lock and hands it to the channel before the next job of that DC is built. */
  dispatchBuilt<R = unknown>(dc: string, build: () => Promise<ChannelJob>, opts?: DispatchOptions): Promise<JobResult<R>> {
    const prev = this.locks.get(dc) ?? Promise.resolve();
    let sent!: Promise<JobResult<R>>;
    const turn = prev.then(async () => {
      const job = await build();
      sent = this.channel.dispatchJob<R>(dc, job, opts);
    });
    const tail = turn.catch(() => undefined);
    this.locks.set(dc, tail);
    void tail.then(() => {
      if (this.locks.get(dc) === tail) this.locks.delete(dc);
    });
    return turn.then(() => sent);
  }
}
