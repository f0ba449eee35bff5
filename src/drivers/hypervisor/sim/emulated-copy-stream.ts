/**
 * The `sim` hypervisor's copy stream: the VM's memory as a TCP byte stream through the emulated network, from the
 * source host's migration endpoint to the destination host's over the route central opened (src/model/
 * migration-network.ts): host -> switch -> gateway (NAT) -> WAN link -> gateway (NAT) -> switch -> host. The links on
 * the way decide how long a round takes (the WAN link's bandwidth and latency, its loss, the queues it shares with the
 * VMs' traffic), through the emulated TCP (slow start, window scaling, retransmissions).
 *
 * The sender is paced to `rate()` bytes/s, read again every tick, so that the hypervisor can share a link among the
 * streams crossing it and leave room for the VMs' own traffic (as QEMU's max-bandwidth does). A round resolves when
 * the receiver has every byte of it; the elapsed time is the network clock's. A stream that makes no progress for
 * {@link STALL_MS} fails.
 */
import type { TimerHandle } from '../../../core/clock';
import { XsiteError } from '../../../core/errors';
import type { TcpConnection, TcpListener } from '../../../emulator/host/tcp';
import type { EmulatedNetwork } from '../../../emulator/network';
import type { CopyRoute } from '../../../model/migration-network';

/** Pacing tick, ms. */
const TICK_MS = 2;
/** The most a stream may send at once, bytes (beyond two ticks at its rate). */
const MIN_BURST = 64 * 1024;
/** A round that receives nothing for this long fails, ms. */
export const STALL_MS = 10_000;
/** Filler written by the sender (the emulated TCP copies what it is given). */
const FILLER = Buffer.alloc(1024 * 1024, 0xa5);

export class EmulatedCopyStream {
  private conn: TcpConnection | undefined;
  private rx: TcpConnection | undefined;
  private listener: TcpListener | undefined;
  private timer: TimerHandle | undefined;
  private received = 0;
  /** Bytes asked for and not yet written to the connection. */
  private unsent = 0;
  private written = 0;
  private credit = 0;
  private lastTick = 0;
  private lastProgress = 0;
  private waiter: { target: number; done: () => void; fail: (e: Error) => void } | undefined;
  private broken: Error | undefined;

  constructor(
    private readonly net: EmulatedNetwork,
    readonly route: CopyRoute,
    private readonly rate: () => number,
  ) {}

  /** Listens at the destination endpoint and connects from the source endpoint's port; resolves once connected. */
  open(): Promise<void> {
    const { from, to } = this.route;
    const clock = this.net.clock;
    this.listener = this.net.host(to.vm).tcp.listen(to.port, (c) => {
      this.listener?.close();
      this.listener = undefined;
      this.rx = c;
      c.on('data', (d: Buffer) => {
        this.received += d.length;
        this.lastProgress = clock.now();
        this.check();
      });
    });
    const conn = this.net.host(from.vm).tcp.open(to.ip, to.port, { srcPort: from.port });
    this.conn = conn;
    return new Promise<void>((resolve, reject) => {
      const t = clock.setTimeout(() => reject(this.fail(`no connection within ${STALL_MS} ms`)), STALL_MS);
      conn.once('connect', () => {
        clock.clearTimeout(t);
        resolve();
      });
      conn.once('close', (reason: string) => {
        clock.clearTimeout(t);
        reject(this.fail(`connection closed (${reason})`));
      });
    });
  }

  /** Sends `bytes` more bytes, paced; resolves with the elapsed clock ms once the receiver has them all. */
  send(bytes: number): Promise<number> {
    if (this.broken) return Promise.reject(this.broken);
    const clock = this.net.clock;
    const t0 = clock.now();
    this.unsent += Math.max(0, Math.round(bytes));
    const target = this.written + this.unsent;
    this.lastProgress = t0;
    return new Promise<number>((resolve, reject) => {
      this.waiter = { target, done: () => resolve(clock.now() - t0), fail: reject };
      this.check();
      if (this.waiter !== undefined && this.timer === undefined) {
        this.lastTick = t0;
        this.credit = 0;
        this.tick();
      }
    });
  }

  /** Ends the stream (idempotent): timers cleared, both connections aborted, the listener closed. */
  close(): void {
    this.fail('closed');
    this.listener?.close();
    this.listener = undefined;
    this.conn?.abort();
    this.rx?.abort();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.broken || this.waiter === undefined) return;
    const clock = this.net.clock;
    const now = clock.now();
    if (now - this.lastProgress > STALL_MS) {
      this.fail(`no progress for ${STALL_MS} ms (${this.received} of ${this.waiter.target} bytes received)`);
      return;
    }
    const rate = Math.max(1, this.rate());
    this.credit = Math.min(this.credit + ((now - this.lastTick) * rate) / 1000, Math.max(MIN_BURST, (rate * 2 * TICK_MS) / 1000));
    this.lastTick = now;
    // Only as much as the connection can send now: what TCP keeps unsent goes out in one burst when its window opens
    // (the emulated TCP does not pace), and a burst larger than a switch's queue is dropped.
    while (this.unsent > 0 && this.credit >= 1 && this.conn!.unsentAmount === 0) {
      const n = Math.min(this.unsent, Math.floor(this.credit), FILLER.length);
      try {
        this.conn!.write(FILLER.subarray(0, n));
      } catch (e) {
        this.fail(`write failed: ${(e as Error).message}`);
        return;
      }
      this.unsent -= n;
      this.written += n;
      this.credit -= n;
    }
    this.timer = clock.setTimeout(() => this.tick(), TICK_MS);
  }

  private check(): void {
    const w = this.waiter;
    if (w !== undefined && this.received >= w.target) {
      this.waiter = undefined;
      w.done();
    }
  }

  private fail(why: string): Error {
    const e = (this.broken ??= new XsiteError('HYPERVISOR_FAILED', `copy stream ${this.route.from.vm} -> ${this.route.to.vm}: ${why}`));
    if (this.timer !== undefined) this.net.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const w = this.waiter;
    this.waiter = undefined;
    w?.fail(e);
    return e;
  }
}
