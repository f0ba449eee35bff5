/**
 * Driving a VirtualClock while awaiting a Promise.
 *
 * Virtual time only moves when someone calls `advance`; promise continuations (`await`, `.then`) only run once the
 * synchronous `advance` returns. `settle` alternates the two in small steps, so code that awaits (e.g.
 * `await host.tcp.connect(...)` then writes) runs at about the virtual time it would in real time.
 */
import type { VirtualClock } from '../../core/clock';
import { XsiteError } from '../../core/errors';

export interface SettleOptions {
  /** Virtual ms per step: continuations run at most this late [1]. */
  stepMs?: number;
  /** Give up (reject with `SETTLE_TIMEOUT`) after this much virtual time [600_000]. */
  maxMs?: number;
}

/** Advances `clock` until `promise` settles; resolves or rejects like it. */
export async function settle<T>(clock: VirtualClock, promise: Promise<T>, options?: SettleOptions): Promise<T> {
  const stepMs = options?.stepMs ?? 1;
  const maxMs = options?.maxMs ?? 600_000;
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await flush();
  const deadline = clock.now() + maxMs;
  while (!done) {
    if (clock.now() >= deadline) {
      throw new XsiteError('SETTLE_TIMEOUT', `promise still pending after ${maxMs} ms of virtual time`, { maxMs });
    }
    clock.advance(stepMs);
    await flush();
  }
  return promise;
}

/** Lets pending promise continuations run (a macrotask turn). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
