/**
 * Time as a dependency. Code that waits or timestamps takes a Clock, so the same logic runs in real time (talking to
 * controllers over sockets) or in virtual time (large deterministic simulations).
 *
 * Times are milliseconds as floating-point numbers (sub-millisecond precision matters for link serialisation).
 */
export interface TimerHandle {
  /** Opaque; pass back to clearTimeout. */
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the clock's epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds (0 = as soon as possible, after already-due timers). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(h: TimerHandle | undefined): void;
  /** 'real' or 'virtual'. */
  readonly kind: 'real' | 'virtual';
}

/** Wall-clock time (performance.now), timers are Node timers. */
export class RealClock implements Clock {
  readonly kind = 'real' as const;
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return performance.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, ms));
    this.timers.set(id, t);
    return { id };
  }

  clearTimeout(h: TimerHandle | undefined): void {
    if (!h) return;
    const t = this.timers.get(h.id);
    if (t) {
      clearTimeout(t);
      this.timers.delete(h.id);
    }
  }

  /** Cancels every pending timer (shutdown). */
  clearAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

interface Scheduled {
  at: number;
  seq: number;
  id: number;
  fn: () => void;
}

/**
 * Discrete-event virtual time. Nothing happens until `advance`/`runUntil`/`runAll` is called; events due at the same
 * instant run in the order they were scheduled, so a run is fully deterministic.
 */
export class VirtualClock implements Clock {
  readonly kind = 'virtual' as const;
  private t = 0;
  private seq = 0;
  private nextId = 1;
  /** Binary min-heap on (at, seq). */
  private heap: Scheduled[] = [];
  private readonly cancelled = new Set<number>();
  /** Events executed so far. */
  executed = 0;

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.push({ at: this.t + Math.max(0, ms), seq: this.seq++, id, fn });
    return { id };
  }

  clearTimeout(h: TimerHandle | undefined): void {
    if (h) this.cancelled.add(h.id);
  }

  /** Number of scheduled (possibly cancelled) events. */
  get pending(): number {
    return this.heap.length;
  }

  /** Runs every event due up to and including `until`, then sets the time to `until`. */
  runUntil(until: number): void {
    while (this.heap.length > 0 && this.heap[0]!.at <= until) this.step();
    if (until > this.t) this.t = until;
  }

  /** Advances time by `ms`, running what falls due. */
  advance(ms: number): void {
    this.runUntil(this.t + ms);
  }

  /** Runs until no event is left, or `maxEvents` have run (guards against self-rescheduling loops). Returns events run. */
  runAll(maxEvents = 10_000_000): number {
    let n = 0;
    while (this.heap.length > 0 && n < maxEvents) {
      this.step();
      n++;
    }
    return n;
  }

  private step(): void {
    const e = this.pop()!;
    if (this.cancelled.delete(e.id)) return;
    this.t = e.at;
    this.executed++;
    e.fn();
  }

  private less(a: Scheduled, b: Scheduled): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Scheduled): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Scheduled | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
