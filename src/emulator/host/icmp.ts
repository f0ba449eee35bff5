/**
 * ICMP for a host: the echo responder (answers every echo request to us) and `ping`.
 *
 * `ping` sends `count` echo requests `intervalMs` apart with one identifier; each waits `timeoutMs` for its reply.
 * The promise settles when every request was answered or timed out; late and duplicate replies are counted apart.
 */
import type { Clock, TimerHandle } from '../../core/clock';
import { ipv4ToNumber } from '../../core/addr';
import { type Random, randomInt } from '../../core/random';
import { type Packet, icmpEchoReply, icmpEchoRequest } from '../../codec/packet';
import type { Ipv4 } from './ip';

export interface PingOptions {
  /** Echo requests to send [3]. */
  count?: number;
  /** Time between requests [1000]. */
  intervalMs?: number;
  /** How long each request waits for its reply [1000]. */
  timeoutMs?: number;
  /** Echo data bytes [56]. */
  size?: number;
}

export interface PingResult {
  sent: number;
  received: number;
  lost: number;
  /** Round-trip times of the answered requests, in sequence order. */
  rttMs: number[];
  /** Sequence numbers (0-based) with their round-trip time. */
  replies: { seq: number; rttMs: number }[];
  /** Replies after their request timed out (not in `received`). */
  late: number;
  duplicates: number;
}

export interface IcmpCounters {
  echoRequestsReceived: number;
  echoRepliesSent: number;
  echoRequestsSent: number;
  echoRepliesReceived: number;
  /** Echo replies matching no running ping. */
  unmatchedReplies: number;
  /** Other ICMP types (ignored). */
  other: number;
}

interface PingSession {
  sentAt: number[];
  /** 0 waiting, 1 answered, 2 timed out. */
  state: number[];
  outstanding: number;
  allSent: boolean;
  result: PingResult;
  done: (r: PingResult) => void;
  timers: Set<TimerHandle>;
}

export class Icmp {
  private sessions: Map<number, PingSession> | undefined = undefined;
  readonly counters: IcmpCounters = {
    echoRequestsReceived: 0,
    echoRepliesSent: 0,
    echoRequestsSent: 0,
    echoRepliesReceived: 0,
    unmatchedReplies: 0,
    other: 0,
  };

  constructor(
    private readonly ip: Ipv4,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  input(pkt: Packet): void {
    const m = pkt.icmp!;
    if (m.kind === 'echo-request') {
      this.counters.echoRequestsReceived++;
      // Unicast requests only (no replies to broadcast pings, as Linux by default).
      if (ipv4ToNumber(pkt.ipv4!.dst) !== this.ip.addressNum) return;
      const data = Buffer.from(pkt.payload);
      this.counters.echoRepliesSent++;
      this.ip.output(pkt.ipv4!.src, (e) => icmpEchoReply({ ...e, id: m.id, seq: m.seq, data }));
    } else if (m.kind === 'echo-reply') {
      this.counters.echoRepliesReceived++;
      const s = this.sessions?.get(m.id);
      if (s === undefined || m.seq >= s.sentAt.length) {
        this.counters.unmatchedReplies++;
        return;
      }
      const st = s.state[m.seq]!;
      if (st === 1) s.result.duplicates++;
      else if (st === 2) s.result.late++;
      else {
        s.state[m.seq] = 1;
        const rtt = this.clock.now() - s.sentAt[m.seq]!;
        s.result.received++;
        s.result.replies.push({ seq: m.seq, rttMs: rtt });
        s.outstanding--;
        this.maybeFinish(m.id, s);
      }
    } else {
      this.counters.other++;
    }
  }

  /** Pings `dst`; see {@link PingOptions}. Never rejects: an unreachable host gives `received: 0`. */
  ping(dst: string, options?: PingOptions): Promise<PingResult> {
    ipv4ToNumber(dst);
    const count = options?.count ?? 3;
    const intervalMs = options?.intervalMs ?? 1000;
    const timeoutMs = options?.timeoutMs ?? 1000;
    const data = Buffer.alloc(options?.size ?? 56);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    if (this.sessions === undefined) this.sessions = new Map();
    let id = randomInt(this.random, 0x10000);
    while (this.sessions.has(id)) id = (id + 1) & 0xffff;
    return new Promise((resolve) => {
      const s: PingSession = {
        sentAt: [],
        state: [],
        outstanding: 0,
        allSent: count <= 0,
        result: { sent: 0, received: 0, lost: 0, rttMs: [], replies: [], late: 0, duplicates: 0 },
        done: resolve,
        timers: new Set(),
      };
      this.sessions!.set(id, s);
      const sendOne = (seq: number): void => {
        s.sentAt.push(this.clock.now());
        s.state.push(0);
        s.outstanding++;
        s.result.sent++;
        this.counters.echoRequestsSent++;
        this.ip.output(dst, (e) => icmpEchoRequest({ ...e, id, seq: seq & 0xffff, data }));
        const t = this.clock.setTimeout(() => {
          s.timers.delete(t);
          if (s.state[seq] === 0) {
            s.state[seq] = 2;
            s.outstanding--;
            this.maybeFinish(id, s);
          }
        }, timeoutMs);
        s.timers.add(t);
        if (seq + 1 < count) {
          const n = this.clock.setTimeout(() => {
            s.timers.delete(n);
            sendOne(seq + 1);
          }, intervalMs);
          s.timers.add(n);
        } else s.allSent = true;
      };
      if (count > 0) sendOne(0);
      else this.maybeFinish(id, s);
    });
  }

  private maybeFinish(id: number, s: PingSession): void {
    if (!s.allSent || s.outstanding > 0) return;
    for (const t of s.timers) this.clock.clearTimeout(t);
    this.sessions?.delete(id);
    const r = s.result;
    r.replies.sort((a, b) => a.seq - b.seq);
    r.rttMs = r.replies.map((x) => x.rttMs);
    r.lost = r.sent - r.received;
    s.done(r);
  }
}
