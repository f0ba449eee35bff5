/**
 * UDP probes: a sender emits a datagram every `intervalMs` carrying a stream id, a sequence number and its send
 * time (from the Clock); a receiver counts what arrives, optionally reflecting each probe back to its sender, which
 * then measures the round trip. Both sides compute the same statistics ({@link ProbeStats}): received, lost,
 * reordered, duplicates, delay, and the largest gap between two consecutive received probes, which is the
 * network blackout a migration causes.
 *
 * Payload (big-endian): "XSPB" | stream id u32 | seq u32 | kind u8 (0 probe, 1 reflected) | 3 reserved | sent-at
 * float64 ms | zero padding up to `size`.
 */
import type { Clock, TimerHandle } from '../../core/clock';
import { XsiteError } from '../../core/errors';
import type { Udp, UdpSocket } from './udp';

const MAGIC = 0x58535042; // "XSPB"
export const PROBE_HEADER_LEN = 24;

/** What probes need from a host. */
export interface ProbeHost {
  readonly udp: Udp;
  readonly clock: Clock;
}

export interface ProbeReport {
  /** Probes sent (known to the sender; a receiver alone reports the highest sequence seen + 1). */
  sent: number;
  /** Distinct probes received. */
  received: number;
  lost: number;
  /** Probes that arrived after a higher sequence number. */
  reordered: number;
  duplicates: number;
  /** Largest time between two consecutive (distinct) received probes: the blackout. 0 with fewer than 2. */
  maxGapMs: number;
  /** Arrival time of the probe that ended the largest gap (NaN when none). */
  maxGapEndAt: number;
  firstRxAt: number;
  lastRxAt: number;
  /** One-way delay (receiver) or round-trip time (sender with a reflector); NaN when nothing arrived. */
  minDelayMs: number;
  avgDelayMs: number;
  maxDelayMs: number;
}

/** Statistics over the probes of one stream as they arrive. */
export class ProbeStats {
  received = 0;
  duplicates = 0;
  reordered = 0;
  maxSeq = -1;
  firstRxAt = NaN;
  lastRxAt = NaN;
  maxGapMs = 0;
  maxGapEndAt = NaN;
  private delaySum = 0;
  minDelayMs = NaN;
  maxDelayMs = NaN;
  /** Bitset of sequence numbers seen. */
  private seen = new Uint8Array(16);

  /** Records probe `seq` sent at `sentAt`, arriving `now`. Returns false for a duplicate. */
  record(seq: number, sentAt: number, now: number): boolean {
    const byte = seq >>> 3;
    if (byte >= this.seen.length) {
      let n = this.seen.length * 2;
      while (n <= byte) n *= 2;
      const s = new Uint8Array(n);
      s.set(this.seen);
      this.seen = s;
    }
    const bit = 1 << (seq & 7);
    if (this.seen[byte]! & bit) {
      this.duplicates++;
      return false;
    }
    this.seen[byte]! |= bit;
    if (seq < this.maxSeq) this.reordered++;
    else this.maxSeq = seq;
    if (this.received > 0) {
      const gap = now - this.lastRxAt;
      if (gap > this.maxGapMs) {
        this.maxGapMs = gap;
        this.maxGapEndAt = now;
      }
    } else this.firstRxAt = now;
    this.lastRxAt = now;
    this.received++;
    const d = now - sentAt;
    this.delaySum += d;
    if (!(d >= this.minDelayMs)) this.minDelayMs = d;
    if (!(d <= this.maxDelayMs)) this.maxDelayMs = d;
    return true;
  }

  /** A report, given the number of probes sent (default: highest sequence seen + 1). */
  report(sent = this.maxSeq + 1): ProbeReport {
    return {
      sent,
      received: this.received,
      lost: Math.max(0, sent - this.received),
      reordered: this.reordered,
      duplicates: this.duplicates,
      maxGapMs: this.maxGapMs,
      maxGapEndAt: this.maxGapEndAt,
      firstRxAt: this.firstRxAt,
      lastRxAt: this.lastRxAt,
      minDelayMs: this.minDelayMs,
      avgDelayMs: this.received > 0 ? this.delaySum / this.received : NaN,
      maxDelayMs: this.maxDelayMs,
    };
  }
}

interface DecodedProbe {
  stream: number;
  seq: number;
  kind: number;
  sentAt: number;
}

function decodeProbe(b: Buffer): DecodedProbe | undefined {
  if (b.length < PROBE_HEADER_LEN || b.readUInt32BE(0) !== MAGIC) return undefined;
  return { stream: b.readUInt32BE(4), seq: b.readUInt32BE(8), kind: b[12]!, sentAt: b.readDoubleBE(16) };
}

export interface ProbeSenderOptions {
  dstIp: string;
  dstPort: number;
  /** Time between probes [10]. */
  intervalMs?: number;
  /** Probes to send, then stop [unlimited until `stop()`]. */
  count?: number;
  /** Payload bytes, at least 24 [64]. */
  size?: number;
  /** Local port [ephemeral]. */
  srcPort?: number;
  /** Stream id carried in each probe [1]. */
  stream?: number;
}

/** Sends probes; collects reflected ones in `replies` (round-trip statistics). */
export class ProbeSender {
  readonly socket: UdpSocket;
  /** Reflected probes (when the receiver reflects). */
  readonly replies = new ProbeStats();
  sent = 0;
  private timer: TimerHandle | undefined = undefined;
  private running = false;
  private readonly intervalMs: number;
  private readonly count: number;
  private readonly size: number;
  private readonly stream: number;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly host: ProbeHost,
    private readonly options: ProbeSenderOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 10;
    this.count = options.count ?? Infinity;
    this.size = options.size ?? 64;
    this.stream = options.stream ?? 1;
    if (this.size < PROBE_HEADER_LEN) throw new XsiteError('PROBE_BAD_SIZE', `probe size ${this.size} below ${PROBE_HEADER_LEN}`);
    if (!(this.intervalMs > 0)) throw new XsiteError('PROBE_BAD_INTERVAL', `probe interval ${this.intervalMs} must be > 0`);
    this.socket = host.udp.bind(options.srcPort ?? 0, (data) => {
      const p = decodeProbe(data);
      if (p && p.kind === 1 && p.stream === this.stream) this.replies.record(p.seq, p.sentAt, this.host.clock.now());
    });
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts sending now (first probe immediately). */
  start(): this {
    if (this.running) return this;
    this.running = true;
    this.tick();
    return this;
  }

  /** Stops sending (reflected probes still in flight are still counted). */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.host.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `count` probes were sent (or `stop()` was called). */
  whenDone(): Promise<void> {
    if (!this.running && this.sent > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops and unbinds the socket. */
  close(): void {
    this.stop();
    this.socket.close();
  }

  /** Round-trip report from reflected probes. */
  report(): ProbeReport {
    return this.replies.report(this.sent);
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.running) return;
    const b = Buffer.alloc(this.size);
    b.writeUInt32BE(MAGIC, 0);
    b.writeUInt32BE(this.stream >>> 0, 4);
    b.writeUInt32BE(this.sent >>> 0, 8);
    b[12] = 0;
    b.writeDoubleBE(this.host.clock.now(), 16);
    this.sent++;
    this.socket.send(this.options.dstIp, this.options.dstPort, b);
    if (this.sent >= this.count) {
      this.stop();
      return;
    }
    this.timer = this.host.clock.setTimeout(() => this.tick(), this.intervalMs);
  }
}

export interface ProbeReceiverOptions {
  port: number;
  /** Echo each probe back to its sender [false]. */
  reflect?: boolean;
  /** Count only this stream [any: the first one seen]. */
  stream?: number;
}

/** Receives probes of one stream (one-way statistics); reflects them when asked. */
export class ProbeReceiver {
  readonly socket: UdpSocket;
  readonly stats = new ProbeStats();
  private stream: number | undefined;

  constructor(
    private readonly host: ProbeHost,
    options: ProbeReceiverOptions,
  ) {
    this.stream = options.stream;
    const reflect = options.reflect ?? false;
    this.socket = host.udp.bind(options.port, (data, from) => {
      const p = decodeProbe(data);
      if (p === undefined || p.kind !== 0) return;
      if (this.stream === undefined) this.stream = p.stream;
      else if (p.stream !== this.stream) return;
      this.stats.record(p.seq, p.sentAt, this.host.clock.now());
      if (reflect) {
        const r = Buffer.from(data);
        r[12] = 1;
        this.socket.send(from.srcIp, from.srcPort, r);
      }
    });
  }

  /** One-way report; pass the sender's count for an exact `lost` (else highest sequence + 1). */
  report(sent?: number): ProbeReport {
    return this.stats.report(sent);
  }

  close(): void {
    this.socket.close();
  }
}

/** One-way report of a sender/receiver pair (the sender's count makes `lost` exact). */
export function probeReport(sender: ProbeSender, receiver: ProbeReceiver): ProbeReport {
  return receiver.report(sender.sent);
}
