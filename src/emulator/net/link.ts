/**
 * A point-to-point, full-duplex link between two Endpoints: per-direction serialisation at a bandwidth, propagation
 * delay, seeded random loss, a drop-tail queue, carrier (up/down), in-order delivery.
 *
 * Model, per direction:
 * - a frame accepted at time t starts serialising when the wire is free (`max(t, busyUntil)`) and occupies it for
 *   `len * 8 / bandwidth`; it is delivered `latencyMs` after its last bit left (store-and-forward);
 * - the queue is the backlog of bits not yet on the wire, `(busyUntil - now) * bandwidth` (a fluid measure that
 *   counts the unsent remainder of the frame being serialised); a frame that would push it over `queueBytes` is
 *   dropped (drop-tail). With `bandwidthMbps` 0 (unlimited) there is no serialisation and no queue;
 * - loss is decided per frame when it goes on the wire (a lost frame still occupies the wire);
 * - delivery times never decrease, so frames arrive in order. One clock timer per direction serves every frame in
 *   flight (the head of a FIFO), so a busy link costs one pending event, an idle one none;
 * - `setUp(false)` loses every frame in flight and queued, and tells both endpoints (`carrierChanged`); frames sent
 *   on a down link are dropped.
 *
 * Memory: an idle link is the Link object plus its two direction objects (a few hundred bytes); the FIFO arrays are
 * allocated on first use and released when the direction drains.
 */
import type { Clock, TimerHandle } from '../../core/clock';
import { XsiteError } from '../../core/errors';
import { type Random, seededRandom } from '../../core/random';
import type { Endpoint, Transmitter } from './endpoint';

/** Parameters of a link (all but `clock` optional; defaults in brackets). */
export interface LinkParams {
  /** One-way propagation delay in ms [0]. */
  latencyMs?: number;
  /** Bandwidth in Mbit/s; 0 = unlimited (no serialisation, no queue) [0]. */
  bandwidthMbps?: number;
  /** Probability that a frame is lost, 0..1 [0]. */
  lossRate?: number;
  /** Drop-tail limit of the per-direction backlog, in bytes [1_500_000, about 1000 full frames]. */
  queueBytes?: number;
}

export interface LinkOptions extends LinkParams {
  clock: Clock;
  /** Source of loss decisions; only drawn from when `lossRate > 0` [seededRandom over the endpoint names]. */
  random?: Random;
  /** Initial carrier [true]. */
  up?: boolean;
  /** Name for traces [`${a.name}<->${b.name}`]. */
  name?: string;
}

/** Counters of one direction of a link. */
export interface LinkDirectionStats {
  /** Frames accepted onto the wire (not dropped by queue or down link), and their bytes. */
  txFrames: number;
  txBytes: number;
  /** Frames delivered to the far endpoint, and their bytes. */
  rxFrames: number;
  rxBytes: number;
  /** Frames lost on the wire (loss rate). */
  droppedLoss: number;
  /** Frames refused by the full queue (drop-tail). */
  droppedQueue: number;
  /** Frames sent on a down (or disconnected) link, or in flight when it went down. */
  droppedDown: number;
}

export const DEFAULT_QUEUE_BYTES = 1_500_000;
/** Delivery-time tolerance for floating-point clock arithmetic (ms). */
const EPS = 1e-9;

/**
 * One direction of a link; it is also the {@link Transmitter} handed to the sending endpoint.
 * Fields are public-readonly counters plus private scheduling state.
 */
export class LinkDirection implements Transmitter, LinkDirectionStats {
  txFrames = 0;
  txBytes = 0;
  rxFrames = 0;
  rxBytes = 0;
  droppedLoss = 0;
  droppedQueue = 0;
  droppedDown = 0;
  /** Time at which the wire is free again. */
  private busyUntil = 0;
  /** FIFO of frames in flight and their delivery times (allocated on first use). */
  private frames: Buffer[] | undefined = undefined;
  private times: number[] | undefined = undefined;
  private head = 0;
  private timer: TimerHandle | undefined = undefined;

  constructor(
    /** The link this direction belongs to. */
    readonly link: Link,
    /** Receiving endpoint. */
    private to: Endpoint,
  ) {}

  get up(): boolean {
    return this.link.up && this.link.connected;
  }

  /** Frames currently in flight (queued, serialising or propagating). */
  get inFlight(): number {
    return this.frames ? this.frames.length - this.head : 0;
  }

  /** Backlog in bytes not yet on the wire (the queue occupancy drop-tail compares with `queueBytes`). */
  get backlogBytes(): number {
    const bw = this.link.bandwidthMbps;
    if (bw <= 0) return 0;
    const ms = this.busyUntil - this.link.clock.now();
    return ms > 0 ? (ms * bw * 1000) / 8 : 0;
  }

  transmit(frame: Buffer): void {
    const link = this.link;
    if (!link.up || !link.connected) {
      this.droppedDown++;
      return;
    }
    const now = link.clock.now();
    const len = frame.length;
    const bw = link.bandwidthMbps;
    let doneAt = now;
    if (bw > 0) {
      // bits / (Mbit/s) = microseconds; / 1000 = ms.
      const serMs = (len * 8) / (bw * 1000);
      const start = this.busyUntil > now ? this.busyUntil : now;
      const backlog = ((start - now) * bw * 1000) / 8;
      if (backlog + len > link.queueBytes) {
        this.droppedQueue++;
        return;
      }
      doneAt = start + serMs;
      this.busyUntil = doneAt;
    }
    this.txFrames++;
    this.txBytes += len;
    if (link.lossRate > 0 && link.draw() < link.lossRate) {
      this.droppedLoss++;
      return;
    }
    const at = doneAt + link.latencyMs;
    if (this.frames === undefined) {
      this.frames = [];
      this.times = [];
      this.head = 0;
    }
    if (this.head >= 1024 && this.head * 2 >= this.frames.length) {
      // A link that never drains: drop the delivered prefix now and then.
      this.frames.splice(0, this.head);
      this.times!.splice(0, this.head);
      this.head = 0;
    }
    this.frames.push(frame);
    this.times!.push(at);
    if (this.timer === undefined) this.arm(at - now);
  }

  private arm(ms: number): void {
    // A closure per armed timer rather than a bound method per direction: idle links stay small.
    this.timer = this.link.clock.setTimeout(() => this.fire(), ms);
  }

  /** Delivers every frame that is due, then re-arms for the next one. */
  private fire(): void {
    this.timer = undefined;
    const clock = this.link.clock;
    const frames = this.frames;
    const times = this.times;
    if (!frames || !times) return;
    while (this.head < frames.length) {
      const now = clock.now();
      const at = times[this.head]!;
      if (at > now + EPS) {
        if (this.timer === undefined) this.arm(at - now);
        return;
      }
      const f = frames[this.head]!;
      frames[this.head] = undefined as unknown as Buffer;
      this.head++;
      this.rxFrames++;
      this.rxBytes += f.length;
      this.to.receive(f);
      // The receiver may have taken the link down (or disconnected it): the FIFO was then reset.
      if (this.frames !== frames) return;
    }
    this.frames = undefined;
    this.times = undefined;
    this.head = 0;
  }

  /** Loses everything in flight (link down / disconnect). */
  flush(): void {
    this.droppedDown += this.inFlight;
    this.frames = undefined;
    this.times = undefined;
    this.head = 0;
    this.busyUntil = 0;
    if (this.timer !== undefined) {
      this.link.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** A snapshot of the counters. */
  stats(): LinkDirectionStats {
    const { txFrames, txBytes, rxFrames, rxBytes, droppedLoss, droppedQueue, droppedDown } = this;
    return { txFrames, txBytes, rxFrames, rxBytes, droppedLoss, droppedQueue, droppedDown };
  }

  /** @internal Replaces the receiving endpoint (used by {@link Link.replace}). */
  setReceiver(to: Endpoint): void {
    this.to = to;
  }
}

function checkParams(p: LinkParams): void {
  const bad = (what: string, v: unknown) => new XsiteError('LINK_BAD_PARAM', `link ${what} ${String(v)} invalid`, { [what]: v });
  if (p.latencyMs !== undefined && !(p.latencyMs >= 0 && Number.isFinite(p.latencyMs))) throw bad('latencyMs', p.latencyMs);
  if (p.bandwidthMbps !== undefined && !(p.bandwidthMbps >= 0 && Number.isFinite(p.bandwidthMbps))) {
    throw bad('bandwidthMbps', p.bandwidthMbps);
  }
  if (p.lossRate !== undefined && !(p.lossRate >= 0 && p.lossRate <= 1)) throw bad('lossRate', p.lossRate);
  if (p.queueBytes !== undefined && !(p.queueBytes >= 0)) throw bad('queueBytes', p.queueBytes);
}

function nameSeed(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A link joining endpoints `a` and `b`. The constructor attaches both (each gets its direction as Transmitter).
 * The carrier starts up (or as `options.up`); `carrierChanged` is called only on changes, not at construction.
 */
export class Link {
  readonly clock: Clock;
  latencyMs: number;
  bandwidthMbps: number;
  lossRate: number;
  queueBytes: number;
  private _up: boolean;
  private _connected = true;
  private random: Random | undefined;
  private readonly _name: string | undefined;
  /** Frames from a to b. */
  readonly ab: LinkDirection;
  /** Frames from b to a. */
  readonly ba: LinkDirection;

  constructor(
    private _a: Endpoint,
    private _b: Endpoint,
    options: LinkOptions,
  ) {
    checkParams(options);
    if (_a === _b) throw new XsiteError('LINK_SELF', `link from ${_a.name} to itself`);
    this.clock = options.clock;
    this.latencyMs = options.latencyMs ?? 0;
    this.bandwidthMbps = options.bandwidthMbps ?? 0;
    this.lossRate = options.lossRate ?? 0;
    this.queueBytes = options.queueBytes ?? DEFAULT_QUEUE_BYTES;
    this.random = options.random;
    this._name = options.name;
    this._up = options.up ?? true;
    this.ab = new LinkDirection(this, _b);
    this.ba = new LinkDirection(this, _a);
    _a.attach(this.ab);
    try {
      _b.attach(this.ba);
    } catch (e) {
      // b refused (e.g. already plugged elsewhere): leave a as it was.
      this._connected = false;
      _a.attach(undefined);
      throw e;
    }
  }

  get name(): string {
    return this._name ?? `${this._a.name}<->${this._b.name}`;
  }
  get a(): Endpoint {
    return this._a;
  }
  get b(): Endpoint {
    return this._b;
  }
  get up(): boolean {
    return this._up;
  }
  /** False once {@link disconnect} was called. */
  get connected(): boolean {
    return this._connected;
  }

  /** @internal The next loss draw (lazily seeded from the endpoint names when no Random was given). */
  draw(): number {
    if (this.random === undefined) this.random = seededRandom(nameSeed(this.name));
    return this.random();
  }

  /** Changes latency, bandwidth, loss or queue limit from now on (frames in flight keep their schedule). */
  setParams(p: LinkParams): void {
    checkParams(p);
    if (p.latencyMs !== undefined) this.latencyMs = p.latencyMs;
    if (p.bandwidthMbps !== undefined) this.bandwidthMbps = p.bandwidthMbps;
    if (p.lossRate !== undefined) this.lossRate = p.lossRate;
    if (p.queueBytes !== undefined) this.queueBytes = p.queueBytes;
  }

  /** Raises or cuts the carrier. Going down loses every frame in flight; both endpoints are told of a change. */
  setUp(up: boolean): void {
    if (up === this._up) return;
    this._up = up;
    if (!this._connected) return;
    if (!up) {
      this.ab.flush();
      this.ba.flush();
    }
    this._a.carrierChanged?.(up);
    this._b.carrierChanged?.(up);
  }

  /**
   * Unplugs both endpoints for good: frames in flight are lost, each endpoint sees its carrier go down (when it was
   * up) and is then detached (`attach(undefined)`). Idempotent.
   */
  disconnect(): void {
    if (!this._connected) return;
    this.ab.flush();
    this.ba.flush();
    this._connected = false;
    if (this._up) {
      this._a.carrierChanged?.(false);
      this._b.carrierChanged?.(false);
    }
    this._a.attach(undefined);
    this._b.attach(undefined);
  }

  /**
   * Replaces endpoint `old` (one of a, b) with `next`, like moving a cable from one socket to another: frames in
   * flight are lost, `old` sees its carrier drop and is detached, `next` is attached. The far end sees a carrier
   * flap (down then up) when the link is up.
   */
  replace(old: Endpoint, next: Endpoint): void {
    if (!this._connected) throw new XsiteError('LINK_DISCONNECTED', `link ${this.name} is disconnected`);
    const isA = old === this._a;
    if (!isA && old !== this._b) throw new XsiteError('LINK_NOT_ENDPOINT', `${old.name} is not an end of ${this.name}`);
    const far = isA ? this._b : this._a;
    if (next === far) throw new XsiteError('LINK_SELF', `link from ${next.name} to itself`);
    this.ab.flush();
    this.ba.flush();
    if (this._up) {
      old.carrierChanged?.(false);
      far.carrierChanged?.(false);
    }
    old.attach(undefined);
    if (isA) {
      this._a = next;
      this.ba.setReceiver(next);
      next.attach(this.ab);
    } else {
      this._b = next;
      this.ab.setReceiver(next);
      next.attach(this.ba);
    }
    if (this._up) {
      far.carrierChanged?.(true);
    }
  }

  /** Counters of both directions. */
  stats(): { ab: LinkDirectionStats; ba: LinkDirectionStats } {
    return { ab: this.ab.stats(), ba: this.ba.stats() };
  }

  /** The direction whose sender is `from` (a or b). */
  directionFrom(from: Endpoint): LinkDirection {
    if (from === this._a) return this.ab;
    if (from === this._b) return this.ba;
    throw new XsiteError('LINK_NOT_ENDPOINT', `${from.name} is not an end of ${this.name}`);
  }
}

/** The Link behind a Transmitter handed to an endpoint, when it is one of ours. */
export function linkOf(tx: Transmitter | undefined): Link | undefined {
  return tx instanceof LinkDirection ? tx.link : undefined;
}
