/**
 * A small but honest TCP (RFC 9293 subset) whose only purpose is to tell whether a session survives what the network
 * does to it (loss, outages, a VM moving to another port).
 *
 * Real segments on the wire (built with the packet codec: ports, 32-bit seq/ack with wrap-around, SYN/ACK/FIN/RST/PSH,
 * window, MSS option), and:
 * - 3-way handshake (active and passive; SYN and SYN-ACK retransmitted), RST for segments to unknown connections,
 *   RST handling (in-window), challenge ACKs for unexpected SYNs;
 * - cumulative ACKs sent for every segment carrying data (no delayed ACK), out-of-order segments buffered and
 *   delivered in order, duplicates re-acknowledged;
 * - retransmission timeout per RFC 6298 (SRTT/RTTVAR, Karn's rule, exponential backoff, `minRtoMs` floor), go-back-N
 *   from the first unacknowledged byte after a timeout, fast retransmit on 3 duplicate ACKs with NewReno recovery,
 *   slow start / congestion avoidance (cwnd), the peer's window respected;
 * - window scaling (RFC 7323 section 2) when the receive buffer is larger than 64 KiB: the shift offered in the SYN,
 *   used in both directions only when the peer's SYN (or SYN-ACK) carried one too; SYN windows are never scaled;
 * - orderly close with FIN in both directions (FIN_WAIT_1/2, CLOSING, TIME_WAIT, CLOSE_WAIT, LAST_ACK), abort with RST,
 *   give-up after `maxRetries` timeouts.
 * Not implemented: SACK, timestamps, urgent data, Nagle, delayed ACK, keep-alive, persist timer
 * (our receiver never advertises a zero window to a sender with nothing in flight).
 *
 * Events are synchronous (`'data'` is emitted while the segment is processed), so everything works in virtual time
 * without awaiting; `connect()` is a Promise wrapper over `open()` + `'connect'`.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../core/clock';
import { ipv4ToNumber } from '../../core/addr';
import { XsiteError } from '../../core/errors';
import { type Random, randomInt } from '../../core/random';
import { type Packet, TCP_FLAGS, tcpSegment } from '../../codec/packet';
import type { Ipv4 } from './ip';

const { FIN, SYN, RST, PSH, ACK } = TCP_FLAGS;

export type TcpState =
  | 'CLOSED'
  | 'SYN_SENT'
  | 'SYN_RECEIVED'
  | 'ESTABLISHED'
  | 'FIN_WAIT_1'
  | 'FIN_WAIT_2'
  | 'CLOSE_WAIT'
  | 'CLOSING'
  | 'LAST_ACK'
  | 'TIME_WAIT';

/** Why a connection ended (argument of `'close'`). */
export type TcpCloseReason = 'normal' | 'reset' | 'timeout' | 'aborted' | 'refused';

export interface TcpOptions {
  /** Our maximum segment size [1460, a 1500-byte MTU]. */
  mss?: number;
  /** Receive buffer = largest window advertised [65535]; above 65535 the window scale option is offered. */
  rcvWindow?: number;
  /** RTO before any RTT sample [1000]. */
  initialRtoMs?: number;
  /** RTO floor [200, as Linux]. */
  minRtoMs?: number;
  /** RTO ceiling [60_000]. */
  maxRtoMs?: number;
  /** Consecutive timeouts of an established connection before giving up [15]. */
  maxRetries?: number;
  /** SYN (and SYN-ACK) retransmissions before giving up [6]. */
  synRetries?: number;
  /** Time spent in TIME_WAIT [2000; real stacks use 60 s]. */
  timeWaitMs?: number;
  /** Initial congestion window in segments [10]. */
  initialCwnd?: number;
}

interface ResolvedTcpOptions {
  mss: number;
  rcvWindow: number;
  initialRtoMs: number;
  minRtoMs: number;
  maxRtoMs: number;
  maxRetries: number;
  synRetries: number;
  timeWaitMs: number;
  initialCwnd: number;
}

export interface TcpConnectionCounters {
  segmentsSent: number;
  segmentsReceived: number;
  /** Segments sent again (timeout, fast retransmit, go-back-N). */
  retransmits: number;
  fastRetransmits: number;
  /** Retransmission timeouts. */
  timeouts: number;
  resetsSent: number;
  resetsReceived: number;
  /** Application bytes acknowledged by the peer. */
  bytesAcked: number;
  /** Application bytes delivered in order. */
  bytesReceived: number;
  dupAcksReceived: number;
  /** Segments that arrived ahead of a hole and were buffered. */
  outOfOrder: number;
  /** Segments outside the window (answered with an ACK). */
  unacceptable: number;
}

export interface TcpStackCounters {
  segmentsReceived: number;
  segmentsSent: number;
  retransmits: number;
  /** RSTs sent (to unknown connections and by aborts). */
  resetsSent: number;
  resetsReceived: number;
  /** Segments for no connection and no listener. */
  noConnection: number;
  connectionsOpened: number;
  connectionsAccepted: number;
}

// Sequence-number arithmetic modulo 2^32.
const add = (a: number, n: number): number => (a + n) >>> 0;
const diff = (a: number, b: number): number => (a - b) | 0;
const lt = (a: number, b: number): boolean => diff(a, b) < 0;
const le = (a: number, b: number): boolean => diff(a, b) <= 0;
const gt = (a: number, b: number): boolean => diff(a, b) > 0;
const ge = (a: number, b: number): boolean => diff(a, b) >= 0;

function mssOption(mss: number): Buffer {
  return Buffer.from([2, 4, mss >>> 8, mss & 0xff]);
}

/** The window scale option (RFC 7323): NOP, kind 3, length 3, the shift. */
function wsOption(shift: number): Buffer {
  return Buffer.from([1, 3, 3, shift]);
}

/** The smallest shift that brings `rcvWindow` into the 16-bit window field (at most 14, RFC 7323). */
export function windowShift(rcvWindow: number): number {
  let s = 0;
  while (s < 14 && rcvWindow >>> s > 0xffff) s++;
  return s;
}

/** The offset of the value of TCP option `kind` of length `len` in `options`, or -1 when absent. */
function findOption(options: Buffer, kind: number, len: number): number {
  let i = 0;
  while (i < options.length) {
    const k = options[i]!;
    if (k === 0) break;
    if (k === 1) {
      i++;
      continue;
    }
    const l = options[i + 1] ?? 0;
    if (l < 2) break;
    if (k === kind && l === len && i + len <= options.length) return i + 2;
    i += l;
  }
  return -1;
}

/** The window scale option of a SYN (its shift, at most 14), or undefined when absent. */
function peerWindowShift(options: Buffer): number | undefined {
  const at = findOption(options, 3, 3);
  return at < 0 ? undefined : Math.min(14, options[at]!);
}

/** The MSS option of a SYN, or 536 (RFC 9293 default) when absent. */
function peerMss(options: Buffer): number {
  const at = findOption(options, 2, 4);
  return at < 0 ? 536 : options.readUInt16BE(at);
}

export declare interface TcpConnection {
  on(event: 'connect', fn: () => void): this;
  on(event: 'data', fn: (data: Buffer) => void): this;
  on(event: 'end', fn: () => void): this;
  on(event: 'reset', fn: () => void): this;
  on(event: 'timeout', fn: () => void): this;
  on(event: 'close', fn: (reason: TcpCloseReason) => void): this;
  once(event: 'connect', fn: () => void): this;
  once(event: 'data', fn: (data: Buffer) => void): this;
  once(event: 'end', fn: () => void): this;
  once(event: 'reset', fn: () => void): this;
  once(event: 'timeout', fn: () => void): this;
  once(event: 'close', fn: (reason: TcpCloseReason) => void): this;
}

/**
 * One TCP connection. Events: `'connect'`, `'data'` (Buffer, a copy), `'end'` (the peer sent FIN), `'reset'`,
 * `'timeout'` (gave up retransmitting), `'close'` (reason; always last).
 */
export class TcpConnection extends EventEmitter {
  state: TcpState;
  readonly counters: TcpConnectionCounters = {
    segmentsSent: 0,
    segmentsReceived: 0,
    retransmits: 0,
    fastRetransmits: 0,
    timeouts: 0,
    resetsSent: 0,
    resetsReceived: 0,
    bytesAcked: 0,
    bytesReceived: 0,
    dupAcksReceived: 0,
    outOfOrder: 0,
    unacceptable: 0,
  };
  /** Set once the connection is closed. */
  closeReason: TcpCloseReason | undefined = undefined;

  // Send side.
  private iss = 0;
  private sndUna = 0;
  private sndNxt = 0;
  private sndMax = 0;
  private sndWnd = 0;
  /** Sequence number of the first byte in the send queue. */
  private sndBase = 0;
  private sendQ: Buffer[] = [];
  private sendHead = 0;
  /** Offset in sendQ[sendHead] of the byte at sndBase. */
  private sendOff = 0;
  /** Bytes in the send queue (unacknowledged and unsent). */
  private sendBytes = 0;
  private finQueued = false;
  private finSent = false;
  private finSeq = 0;
  private mss: number;
  /** Window scaling (RFC 7323): the shift of the windows the peer sends us, and of those we send (0: off). */
  private sndShift = 0;
  private rcvShift = 0;
  /** The shift the peer's SYN offered (undefined: none). */
  private peerShift: number | undefined;
  private cwnd: number;
  private ssthresh = 0x7fffffff;
  private dupAcks = 0;
  private inRecovery = false;
  private recover = 0;

  // Retransmission timer (RFC 6298).
  private rto: number;
  private srtt = NaN;
  private rttvar = NaN;
  private timing = false;
  private rttSeq = 0;
  private rttStart = 0;
  private retries = 0;
  /** When the retransmission timer expires (NaN: not armed). */
  private rtoDeadline = NaN;
  private timerPending = false;
  private timeWaitTimer = false;

  // Receive side.
  private rcvNxt = 0;
  private irs = 0;
  private ooo: { seq: number; data: Buffer }[] = [];
  private oooBytes = 0;
  private rcvFinSeq: number | undefined = undefined;
  private finReceived = false;
  private readonly key: string;

  /** @internal Use {@link TcpStack.open} / {@link TcpStack.listen}. */
  constructor(
    private readonly stack: TcpStack,
    readonly localPort: number,
    readonly remoteIp: string,
    readonly remotePort: number,
    state: TcpState,
  ) {
    super();
    this.state = state;
    this.key = connKey(localPort, remoteIp, remotePort);
    const o = stack.options;
    this.mss = o.mss;
    this.cwnd = o.initialCwnd * o.mss;
    this.rto = o.initialRtoMs;
  }

  get localIp(): string {
    return this.stack.ip.address;
  }

  /** Bytes written and not yet acknowledged by the peer. */
  get bufferedAmount(): number {
    return this.sendBytes;
  }

  /** Bytes written and never sent yet (waiting for the congestion or the peer's window). */
  get unsentAmount(): number {
    return Math.max(0, this.sendBytes - Math.max(0, diff(this.sndMax, this.sndBase)));
  }

  /** Smoothed RTT in ms (NaN before the first sample). */
  get srttMs(): number {
    return this.srtt;
  }

  /** Current retransmission timeout in ms. */
  get rtoMs(): number {
    return this.rto;
  }

  /** True in states where data still flows both ways or we may still send. */
  get writable(): boolean {
    return (
      !this.finQueued &&
      (this.state === 'ESTABLISHED' || this.state === 'CLOSE_WAIT' || this.state === 'SYN_SENT' || this.state === 'SYN_RECEIVED')
    );
  }

  /** Queues `data` for sending. Throws `TCP_NOT_WRITABLE` after close() or once the connection is closed. */
  write(data: Uint8Array | string): void {
    if (!this.writable) {
      throw new XsiteError('TCP_NOT_WRITABLE', `connection ${this.key} is ${this.state}${this.finQueued ? ' (closing)' : ''}`, {
        state: this.state,
      });
    }
    const b = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (b.length === 0) return;
    // Copy: the caller may reuse its buffer.
    this.sendQ.push(Buffer.from(b));
    this.sendBytes += b.length;
    this.output();
  }

  /** Orderly close: a FIN follows the data already written. */
  close(): void {
    switch (this.state) {
      case 'SYN_SENT':
        this.finish('aborted');
        return;
      case 'SYN_RECEIVED':
        this.finQueued = true;
        return;
      case 'ESTABLISHED':
        this.finQueued = true;
        this.state = 'FIN_WAIT_1';
        this.output();
        return;
      case 'CLOSE_WAIT':
        this.finQueued = true;
        this.state = 'LAST_ACK';
        this.output();
        return;
      default:
        return;
    }
  }

  /** Abortive close: sends RST and drops everything. */
  abort(): void {
    if (this.state === 'CLOSED') return;
    if (this.state !== 'SYN_SENT' && this.state !== 'TIME_WAIT') this.sendRst(this.sndNxt);
    this.finish('aborted');
  }

  // ------------------------------------------------------------------------------------------------------------
  // Opening

  /** @internal Active open: sends the SYN. */
  startActive(): void {
    this.sendOpeningSyn(false);
  }

  /** @internal Passive open from a SYN. */
  startPassive(syn: Packet): void {
    const t = syn.tcp!;
    this.irs = t.seq;
    this.rcvNxt = add(t.seq, 1);
    this.mss = Math.min(this.stack.options.mss, peerMss(t.options));
    this.cwnd = this.stack.options.initialCwnd * this.mss;
    this.sndWnd = t.window;
    this.peerShift = peerWindowShift(t.options);
    if (this.peerShift !== undefined) {
      this.sndShift = this.peerShift;
      this.rcvShift = windowShift(this.stack.options.rcvWindow);
    }
    this.sendOpeningSyn(true);
  }

  /** Picks our initial sequence number and sends the SYN (active open) or SYN-ACK (passive), timed and retransmitted. */
  private sendOpeningSyn(ack: boolean): void {
    this.iss = this.stack.newIss();
    this.sndUna = this.iss;
    this.sndNxt = add(this.iss, 1);
    this.sndMax = this.sndNxt;
    this.sndBase = this.sndNxt;
    this.sendSyn(ack);
    this.startTiming(this.iss, 1);
    this.armRto();
  }

  private sendSyn(withAck: boolean, retrans = false): void {
    // The SYN offers window scaling when our buffer needs it; the SYN-ACK answers an offer (with our shift, maybe 0).
    const shift = windowShift(this.stack.options.rcvWindow);
    const ws = withAck ? this.peerShift !== undefined : shift > 0;
    const mss = mssOption(this.stack.options.mss);
    this.send(this.iss, withAck ? SYN | ACK : SYN, undefined, ws ? Buffer.concat([mss, wsOption(shift)]) : mss, retrans);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Input

  /** @internal A segment of this connection. */
  input(pkt: Packet): void {
    const t = pkt.tcp!;
    this.counters.segmentsReceived++;
    const flags = t.flags;
    if (this.state === 'SYN_SENT') {
      this.inputSynSent(pkt);
      return;
    }
    if (this.state === 'CLOSED') return;
    const dataLen = pkt.payload.length;
    const segLen = dataLen + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
    // A retransmitted SYN (our SYN-ACK was lost): answer with the SYN-ACK again.
    if (this.state === 'SYN_RECEIVED' && flags & SYN && !(flags & (ACK | RST)) && t.seq === this.irs) {
      this.sendSyn(true, true);
      return;
    }
    // 1. Sequence acceptability (our whole receive buffer is the window).
    if (!this.acceptable(t.seq, segLen)) {
      this.counters.unacceptable++;
      if (!(flags & RST)) this.sendAck();
      return;
    }
    // 2. RST.
    if (flags & RST) {
      this.counters.resetsReceived++;
      this.stack.counters.resetsReceived++;
      this.emit('reset');
      this.finish(this.state === 'SYN_RECEIVED' ? 'refused' : 'reset');
      return;
    }
    // 3. An unexpected SYN in a synchronized state gets a challenge ACK (RFC 5961).
    if (flags & SYN) {
      this.sendAck();
      return;
    }
    if (!(flags & ACK)) return;
    // 4. ACK.
    if (this.state === 'SYN_RECEIVED') {
      if (!(gt(t.ack, this.sndUna) && le(t.ack, this.sndMax))) {
        this.sendRst(t.ack);
        return;
      }
      this.sndUna = t.ack;
      this.sndWnd = t.window * 2 ** this.sndShift;
      this.sampleRtt(t.ack);
      this.rtoDeadline = NaN;
      this.retries = 0;
      this.state = 'ESTABLISHED';
      this.stack.accepted(this);
      if ((this.state as TcpState) === 'CLOSED') return; // aborted by the listener
      if (this.finQueued && this.state === 'ESTABLISHED') this.state = 'FIN_WAIT_1';
    } else if (!this.processAck(t.ack, t.window * 2 ** this.sndShift, dataLen, flags)) {
      return;
    }
    if ((this.state as TcpState) === 'CLOSED') return;
    // 5. Data and FIN.
    const delivered: Buffer[] = [];
    let needAck = false;
    if (this.state === 'ESTABLISHED' || this.state === 'FIN_WAIT_1' || this.state === 'FIN_WAIT_2') {
      if (dataLen > 0) {
        this.receiveData(t.seq, pkt.payload, delivered);
        needAck = true;
      }
      if (flags & FIN) {
        this.rcvFinSeq = add(t.seq, dataLen);
        needAck = true;
      }
    } else if (flags & FIN) {
      needAck = true; // retransmitted FIN (CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT): acknowledge it again
      if (this.state === 'TIME_WAIT') this.enterTimeWait();
    }
    let gotFin = false;
    if (this.rcvFinSeq !== undefined && !this.finReceived && this.rcvNxt === this.rcvFinSeq) {
      this.finReceived = true;
      gotFin = true;
      this.rcvNxt = add(this.rcvNxt, 1);
      if (this.state === 'ESTABLISHED') this.state = 'CLOSE_WAIT';
      else if (this.state === 'FIN_WAIT_1') this.state = 'CLOSING';
      else if (this.state === 'FIN_WAIT_2') this.enterTimeWait();
    }
    const sentBefore = this.counters.segmentsSent;
    this.output();
    if (needAck && this.counters.segmentsSent === sentBefore) this.sendAck();
    for (const d of delivered) {
      this.emit('data', d);
    }
    if (gotFin) this.emit('end');
  }

  private acceptable(seq: number, segLen: number): boolean {
    const wnd = this.stack.options.rcvWindow;
    const inWindow = (s: number) => ge(s, this.rcvNxt) && lt(s, add(this.rcvNxt, wnd));
    if (segLen === 0) return inWindow(seq) || seq === this.rcvNxt;
    return inWindow(seq) || inWindow(add(seq, segLen - 1));
  }

  private inputSynSent(pkt: Packet): void {
    const t = pkt.tcp!;
    const flags = t.flags;
    if (flags & ACK && t.ack !== add(this.iss, 1)) {
      if (!(flags & RST)) this.sendRst(t.ack);
      return;
    }
    if (flags & RST) {
      if (flags & ACK) {
        this.counters.resetsReceived++;
        this.stack.counters.resetsReceived++;
        this.emit('reset');
        this.finish('refused');
      }
      return;
    }
    if (!(flags & SYN)) return;
    this.irs = t.seq;
    this.rcvNxt = add(t.seq, 1);
    this.mss = Math.min(this.stack.options.mss, peerMss(t.options));
    this.cwnd = this.stack.options.initialCwnd * this.mss;
    // Scaling is on when we offered it (a shift > 0 in our SYN) and the peer's SYN(-ACK) carries the option too.
    this.peerShift = peerWindowShift(t.options);
    const ours = windowShift(this.stack.options.rcvWindow);
    if (ours > 0 && this.peerShift !== undefined) {
      this.sndShift = this.peerShift;
      this.rcvShift = ours;
    }
    if (flags & ACK) {
      this.sndUna = t.ack;
      this.sndWnd = t.window;
      this.sampleRtt(t.ack);
      this.rtoDeadline = NaN;
      this.retries = 0;
      this.state = 'ESTABLISHED';
      this.sendAck();
      this.emit('connect');
      if (this.state === 'ESTABLISHED' && this.finQueued) this.state = 'FIN_WAIT_1';
      this.output();
    } else {
      // Simultaneous open.
      this.state = 'SYN_RECEIVED';
      this.sendSyn(true);
    }
  }

  /** ACK processing for synchronized states. Returns false when the segment must be dropped. */
  private processAck(ack: number, window: number, dataLen: number, flags: number): boolean {
    if (gt(ack, this.sndMax)) {
      // Acknowledges something never sent.
      this.sendAck();
      return false;
    }
    if (lt(ack, this.sndUna)) return true; // old duplicate ACK: ignore the ACK field
    if (ack === this.sndUna) {
      const flight = diff(this.sndMax, this.sndUna);
      if (dataLen === 0 && !(flags & (SYN | FIN)) && window === this.sndWnd && flight > 0) {
        this.counters.dupAcksReceived++;
        this.onDupAck();
      }
      this.sndWnd = window;
      return true;
    }
    // New data acknowledged.
    const acked = diff(ack, this.sndUna);
    this.sndUna = ack;
    this.sndWnd = window;
    if (gt(ack, this.sndNxt)) this.sndNxt = ack; // after a go-back-N the peer may have had the rest buffered
    this.dropAcked(ack);
    this.sampleRtt(ack);
    this.retries = 0;
    if (this.inRecovery) {
      if (ge(ack, this.recover)) {
        this.inRecovery = false;
        this.cwnd = this.ssthresh;
      } else {
        // NewReno partial ACK: the next hole was lost too.
        this.retransmitAt(ack);
        this.cwnd = Math.max(this.cwnd - acked + this.mss, this.mss);
      }
    } else if (this.cwnd < this.ssthresh) {
      this.cwnd += Math.min(acked, this.mss);
    } else {
      this.cwnd += Math.max(1, Math.floor((this.mss * this.mss) / this.cwnd));
    }
    this.dupAcks = 0;
    // RFC 6298 (5.2, 5.3): stop the timer when everything is acknowledged, else restart it.
    if (this.sndUna === this.sndMax) this.rtoDeadline = NaN;
    else this.armRto();
    const finAcked = this.finSent && ge(ack, add(this.finSeq, 1));
    if (finAcked) {
      if (this.state === 'FIN_WAIT_1') this.state = 'FIN_WAIT_2';
      else if (this.state === 'CLOSING') this.enterTimeWait();
      else if (this.state === 'LAST_ACK') {
        this.finish('normal');
        return false;
      }
    }
    return true;
  }

  private onDupAck(): void {
    this.dupAcks++;
    if (this.dupAcks === 3 && !this.inRecovery) {
      const flight = diff(this.sndMax, this.sndUna);
      this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
      this.cwnd = this.ssthresh + 3 * this.mss;
      this.inRecovery = true;
      this.recover = this.sndMax;
      this.counters.fastRetransmits++;
      this.timing = false;
      this.retransmitAt(this.sndUna);
    } else if (this.inRecovery) {
      this.cwnd += this.mss;
      this.output();
    }
  }

  /** Frees acknowledged bytes of the send queue. */
  private dropAcked(ack: number): void {
    let n = diff(ack, this.sndBase);
    if (n <= 0) return;
    if (n > this.sendBytes) n = this.sendBytes; // the rest acknowledges our FIN
    this.sndBase = add(this.sndBase, n);
    this.sendBytes -= n;
    this.counters.bytesAcked += n;
    let off = this.sendOff + n;
    while (this.sendHead < this.sendQ.length && off >= this.sendQ[this.sendHead]!.length) {
      off -= this.sendQ[this.sendHead]!.length;
      this.sendQ[this.sendHead] = EMPTY_BUF;
      this.sendHead++;
    }
    this.sendOff = off;
    if (this.sendHead === this.sendQ.length) {
      this.sendQ = [];
      this.sendHead = 0;
      this.sendOff = 0;
    } else if (this.sendHead > 64 && this.sendHead * 2 > this.sendQ.length) {
      this.sendQ = this.sendQ.slice(this.sendHead);
      this.sendHead = 0;
    }
  }

  private receiveData(seq: number, payload: Buffer, delivered: Buffer[]): void {
    let data = payload;
    if (lt(seq, this.rcvNxt)) {
      const cut = diff(this.rcvNxt, seq);
      if (cut >= data.length) return; // all old: the ACK we send tells the peer
      data = data.subarray(cut);
      seq = this.rcvNxt;
    }
    // Never buffer beyond our receive buffer.
    const room = diff(add(this.rcvNxt, this.stack.options.rcvWindow), seq);
    if (room <= 0) return;
    if (data.length > room) data = data.subarray(0, room);
    if (seq === this.rcvNxt) {
      delivered.push(Buffer.from(data));
      this.rcvNxt = add(this.rcvNxt, data.length);
      this.counters.bytesReceived += data.length;
      this.drainOoo(delivered);
      return;
    }
    // Ahead of a hole: keep a copy, ordered by sequence number.
    this.counters.outOfOrder++;
    const q = this.ooo;
    let i = q.length;
    while (i > 0 && gt(q[i - 1]!.seq, seq)) i--;
    if (i > 0 && q[i - 1]!.seq === seq && q[i - 1]!.data.length >= data.length) return;
    if (i < q.length && q[i]!.seq === seq && q[i]!.data.length >= data.length) return;
    q.splice(i, 0, { seq, data: Buffer.from(data) });
    this.oooBytes += data.length;
  }

  private drainOoo(delivered: Buffer[]): void {
    const q = this.ooo;
    let n = 0;
    while (n < q.length && le(q[n]!.seq, this.rcvNxt)) {
      const e = q[n++]!;
      this.oooBytes -= e.data.length;
      const end = add(e.seq, e.data.length);
      if (gt(end, this.rcvNxt)) {
        const part = e.data.subarray(diff(this.rcvNxt, e.seq));
        delivered.push(part);
        this.counters.bytesReceived += part.length;
        this.rcvNxt = end;
      }
    }
    if (n > 0) q.splice(0, n);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Output

  private get synchronized(): boolean {
    const s = this.state;
    return s === 'ESTABLISHED' || s === 'CLOSE_WAIT' || s === 'FIN_WAIT_1' || s === 'CLOSING' || s === 'LAST_ACK';
  }

  /** Sends new data (and the FIN) as far as the congestion and peer windows allow. */
  private output(): void {
    if (!this.synchronized) return;
    const wnd = Math.min(this.cwnd, this.sndWnd);
    const dataEnd = add(this.sndBase, this.sendBytes);
    for (;;) {
      const unsent = diff(dataEnd, this.sndNxt);
      if (unsent > 0) {
        const inFlight = diff(this.sndNxt, this.sndUna);
        let room = wnd - inFlight;
        // Nothing in flight and a closed window: send one segment anyway (no persist timer here).
        if (room <= 0 && inFlight === 0) room = this.mss;
        if (room <= 0) break;
        const len = Math.min(this.mss, unsent, room);
        // Silly-window avoidance: wait for room for a full segment unless this is the tail.
        if (len < this.mss && len < unsent && inFlight > 0) break;
        this.sendDataAt(this.sndNxt, len);
        this.sndNxt = add(this.sndNxt, len);
        if (gt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
        continue;
      }
      if (this.finQueued && unsent === 0 && (this.state === 'FIN_WAIT_1' || this.state === 'LAST_ACK' || this.state === 'CLOSING')) {
        if (!this.finSent) {
          this.finSent = true;
          this.finSeq = dataEnd;
        }
        if (this.sndNxt === this.finSeq) {
          this.sendFin(lt(this.finSeq, this.sndMax));
          this.sndNxt = add(this.finSeq, 1);
          if (gt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
        }
      }
      break;
    }
    if (this.sndUna !== this.sndMax && Number.isNaN(this.rtoDeadline)) this.armRto();
  }

  /** Sends `len` queued bytes starting at sequence `seq`. */
  private sendDataAt(seq: number, len: number): void {
    const off = diff(seq, this.sndBase);
    const data = this.slice(off, len);
    const retrans = lt(seq, this.sndMax);
    if (!retrans && !this.timing) this.startTiming(seq, len);
    this.send(seq, ACK | (off + len === this.sendBytes ? PSH : 0), data, undefined, retrans);
  }

  private sendFin(retrans = false): void {
    this.send(this.finSeq, FIN | ACK, undefined, undefined, retrans);
  }

  /** Sends one segment at `seq` again (timeout or fast retransmit); returns the sequence after it. */
  private retransmitAt(seq: number): number {
    const off = diff(seq, this.sndBase);
    const avail = this.sendBytes - off;
    if (off >= 0 && avail > 0) {
      const len = Math.min(this.mss, avail);
      this.sendDataAt(seq, len);
      return add(seq, len);
    }
    if (this.finSent) {
      this.sendFin(true);
      return add(this.finSeq, 1);
    }
    return seq;
  }

  /** `len` bytes at offset `off` of the send queue. */
  private slice(off: number, len: number): Buffer {
    let i = this.sendHead;
    let o = this.sendOff + off;
    while (o >= this.sendQ[i]!.length) {
      o -= this.sendQ[i]!.length;
      i++;
    }
    const first = this.sendQ[i]!;
    if (o + len <= first.length) return first.subarray(o, o + len);
    const out = Buffer.allocUnsafe(len);
    let w = 0;
    while (w < len) {
      const c = this.sendQ[i++]!;
      const n = Math.min(c.length - o, len - w);
      c.copy(out, w, o, o + n);
      w += n;
      o = 0;
    }
    return out;
  }

  /**
   * The window we advertise. The application consumes data as it is delivered, so only out-of-order segments occupy
   * the buffer, and they lie inside the window already announced: the window stays constant (never shrinks, and
   * duplicate ACKs stay recognisable as such by the sender).
   */
  private rcvWindowNow(): number {
    return this.stack.options.rcvWindow;
  }

  /** The window field of a segment: a SYN's is never scaled (RFC 7323), the others are shifted when scaling is on. */
  private windowField(flags: number): number {
    const w = this.rcvWindowNow();
    return Math.min(0xffff, flags & SYN ? w : Math.floor(w / 2 ** this.rcvShift));
  }

  private send(seq: number, flags: number, data?: Buffer, options?: Buffer, retrans = false): void {
    this.counters.segmentsSent++;
    if (retrans) {
      this.counters.retransmits++;
      this.stack.counters.retransmits++;
    }
    this.stack.sendSegment(this.remoteIp, {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq,
      ack: flags & ACK ? this.rcvNxt : 0,
      flags,
      window: this.windowField(flags),
      options,
      data,
    });
  }

  private sendAck(): void {
    this.send(this.sndNxt, ACK);
  }

  private sendRst(seq: number): void {
    this.counters.resetsSent++;
    this.stack.counters.resetsSent++;
    this.stack.sendSegment(this.remoteIp, { srcPort: this.localPort, dstPort: this.remotePort, seq, ack: 0, flags: RST, window: 0 });
  }

  // ------------------------------------------------------------------------------------------------------------
  // Timers

  private startTiming(seq: number, len: number): void {
    this.timing = true;
    this.rttSeq = add(seq, len);
    this.rttStart = this.stack.clock.now();
  }

  private sampleRtt(ack: number): void {
    if (!this.timing || lt(ack, this.rttSeq)) return;
    this.timing = false;
    const r = this.stack.clock.now() - this.rttStart;
    if (Number.isNaN(this.srtt)) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    const o = this.stack.options;
    this.rto = Math.min(o.maxRtoMs, Math.max(o.minRtoMs, this.srtt + Math.max(1, 4 * this.rttvar)));
  }

  /** (Re)starts the retransmission timer: one clock timer at a time, re-armed lazily. */
  private armRto(): void {
    const clock = this.stack.clock;
    this.rtoDeadline = clock.now() + this.rto;
    if (!this.timerPending) {
      this.timerPending = true;
      clock.setTimeout(() => this.onTimer(), this.rto);
    }
  }

  private onTimer(): void {
    this.timerPending = false;
    if (Number.isNaN(this.rtoDeadline) || this.state === 'CLOSED') return;
    const clock = this.stack.clock;
    const left = this.rtoDeadline - clock.now();
    if (left > 1e-6) {
      this.timerPending = true;
      clock.setTimeout(() => this.onTimer(), left);
      return;
    }
    this.rtoDeadline = NaN;
    this.onRto();
  }

  private onRto(): void {
    const o = this.stack.options;
    this.counters.timeouts++;
    this.retries++;
    this.timing = false;
    this.rto = Math.min(this.rto * 2, o.maxRtoMs);
    if (this.state === 'SYN_SENT' || this.state === 'SYN_RECEIVED') {
      if (this.retries > o.synRetries) {
        this.emit('timeout');
        this.finish('timeout');
        return;
      }
      this.sendSyn(this.state === 'SYN_RECEIVED', true);
      this.armRto();
      return;
    }
    if (this.retries > o.maxRetries) {
      this.emit('timeout');
      this.finish('timeout');
      return;
    }
    const flight = diff(this.sndMax, this.sndUna);
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.cwnd = this.mss;
    this.inRecovery = false;
    this.dupAcks = 0;
    // Go back N: resend from the first unacknowledged byte, then let ACKs clock the rest out.
    this.sndNxt = this.retransmitAt(this.sndUna);
    this.armRto();
  }

  private enterTimeWait(): void {
    this.state = 'TIME_WAIT';
    this.rtoDeadline = NaN;
    if (this.timeWaitTimer) return;
    this.timeWaitTimer = true;
    this.stack.clock.setTimeout(() => {
      if (this.state === 'TIME_WAIT') this.finish('normal');
    }, this.stack.options.timeWaitMs);
  }

  /** Moves to CLOSED, forgets the connection and emits `'close'`. */
  private finish(reason: TcpCloseReason): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.closeReason = reason;
    this.rtoDeadline = NaN;
    this.sendQ = [];
    this.sendHead = 0;
    this.sendOff = 0;
    this.ooo = [];
    this.stack.forget(this.key, this);
    this.emit('close', reason);
  }
}

const EMPTY_BUF = Buffer.alloc(0);

function connKey(localPort: number, remoteIp: string, remotePort: number): string {
  return `${localPort}|${remoteIp}|${remotePort}`;
}

/** A listening port; `close()` stops accepting (established connections stay). */
export interface TcpListener {
  readonly port: number;
  close(): void;
}

interface SegmentSpec {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  options?: Buffer | undefined;
  data?: Buffer | undefined;
}

export class TcpStack {
  readonly options: ResolvedTcpOptions;
  private conns: Map<string, TcpConnection> | undefined = undefined;
  private listeners: Map<number, (c: TcpConnection) => void> | undefined = undefined;
  readonly counters: TcpStackCounters = {
    segmentsReceived: 0,
    segmentsSent: 0,
    retransmits: 0,
    resetsSent: 0,
    resetsReceived: 0,
    noConnection: 0,
    connectionsOpened: 0,
    connectionsAccepted: 0,
  };

  constructor(
    /** @internal */ readonly ip: Ipv4,
    /** @internal */ readonly clock: Clock,
    private readonly random: Random,
    options?: TcpOptions,
  ) {
    this.options = {
      mss: options?.mss ?? 1460,
      rcvWindow: options?.rcvWindow ?? 65535,
      initialRtoMs: options?.initialRtoMs ?? 1000,
      minRtoMs: options?.minRtoMs ?? 200,
      maxRtoMs: options?.maxRtoMs ?? 60_000,
      maxRetries: options?.maxRetries ?? 15,
      synRetries: options?.synRetries ?? 6,
      timeWaitMs: options?.timeWaitMs ?? 2000,
      initialCwnd: options?.initialCwnd ?? 10,
    };
    if (this.options.rcvWindow > 0xffff << 14 || this.options.rcvWindow < this.options.mss) {
      throw new XsiteError('TCP_BAD_OPTION', `rcvWindow ${this.options.rcvWindow} must be between mss and ${0xffff << 14} (window scale 14)`);
    }
  }

  /** Open connections (any state but CLOSED). */
  get connections(): TcpConnection[] {
    return this.conns ? [...this.conns.values()] : [];
  }

  /** Accepts connections on `port`; `onConnection` runs when a handshake completes. Throws `TCP_PORT_IN_USE`. */
  listen(port: number, onConnection: (conn: TcpConnection) => void): TcpListener {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new XsiteError('TCP_BAD_PORT', `port ${port} outside 1-65535`);
    if (this.listeners === undefined) this.listeners = new Map();
    if (this.listeners.has(port)) throw new XsiteError('TCP_PORT_IN_USE', `TCP port ${port} is already listening`, { port });
    this.listeners.set(port, onConnection);
    return {
      port,
      close: () => {
        if (this.listeners?.get(port) === onConnection) this.listeners.delete(port);
      },
    };
  }

  /** Starts an active open and returns the connection at once (state SYN_SENT; wait for `'connect'`). */
  open(dstIp: string, dstPort: number, options?: { srcPort?: number }): TcpConnection {
    ipv4ToNumber(dstIp);
    if (!Number.isInteger(dstPort) || dstPort < 1 || dstPort > 65535) {
      throw new XsiteError('TCP_BAD_PORT', `port ${dstPort} outside 1-65535`);
    }
    if (this.conns === undefined) this.conns = new Map();
    let srcPort = options?.srcPort ?? 0;
    if (srcPort === 0) {
      const start = randomInt(this.random, 16384);
      for (let i = 0; i < 16384; i++) {
        const p = 49152 + ((start + i) % 16384);
        if (!this.conns.has(connKey(p, dstIp, dstPort)) && !this.listeners?.has(p)) {
          srcPort = p;
          break;
        }
      }
      if (srcPort === 0) throw new XsiteError('TCP_NO_PORT', 'no free ephemeral TCP port');
    } else if (this.conns.has(connKey(srcPort, dstIp, dstPort))) {
      throw new XsiteError('TCP_PORT_IN_USE', `connection ${srcPort} -> ${dstIp}:${dstPort} exists`);
    }
    const c = new TcpConnection(this, srcPort, dstIp, dstPort, 'SYN_SENT');
    this.conns.set(connKey(srcPort, dstIp, dstPort), c);
    this.counters.connectionsOpened++;
    c.startActive();
    return c;
  }

  /**
   * Connects to `dstIp:dstPort`. Rejects with `TCP_REFUSED` (RST), `TCP_TIMEOUT` (no answer after the SYN
   * retries) or `TCP_CLOSED`.
   */
  connect(dstIp: string, dstPort: number, options?: { srcPort?: number }): Promise<TcpConnection> {
    const c = this.open(dstIp, dstPort, options);
    return new Promise((resolve, reject) => {
      const onClose = (reason: TcpCloseReason) => {
        const code = reason === 'refused' || reason === 'reset' ? 'TCP_REFUSED' : reason === 'timeout' ? 'TCP_TIMEOUT' : 'TCP_CLOSED';
        reject(new XsiteError(code, `connect to ${dstIp}:${dstPort}: ${reason}`, { dstIp, dstPort, reason }));
      };
      c.once('close', onClose);
      c.once('connect', () => {
        c.off('close', onClose);
        resolve(c);
      });
    });
  }

  /** @internal */
  newIss(): number {
    return Math.floor(this.random() * 0x100000000) >>> 0;
  }

  /** @internal Called when a passive connection completes its handshake. */
  accepted(c: TcpConnection): void {
    this.counters.connectionsAccepted++;
    const l = this.listeners?.get(c.localPort);
    if (l) l(c);
    else c.abort();
  }

  /** @internal */
  forget(key: string, c: TcpConnection): void {
    if (this.conns?.get(key) === c) this.conns.delete(key);
  }

  /** @internal */
  sendSegment(dstIp: string, s: SegmentSpec): void {
    this.counters.segmentsSent++;
    this.ip.output(dstIp, (e) =>
      tcpSegment({
        ...e,
        srcPort: s.srcPort,
        dstPort: s.dstPort,
        seq: s.seq,
        ack: s.ack,
        flags: s.flags,
        window: s.window,
        options: s.options,
        data: s.data,
      }),
    );
  }

  /** Handles a received TCP segment (checksums already verified by IP). */
  input(pkt: Packet): void {
    this.counters.segmentsReceived++;
    const t = pkt.tcp!;
    const src = pkt.ipv4!.src;
    if (pkt.ipv4!.dst !== this.ip.address) return; // no TCP to broadcast addresses
    const c = this.conns?.get(connKey(t.dstPort, src, t.srcPort));
    if (c !== undefined) {
      c.input(pkt);
      return;
    }
    const flags = t.flags;
    if (flags & RST) return;
    if (flags & SYN && !(flags & ACK) && this.listeners?.has(t.dstPort)) {
      if (this.conns === undefined) this.conns = new Map();
      const nc = new TcpConnection(this, t.dstPort, src, t.srcPort, 'SYN_RECEIVED');
      this.conns.set(connKey(t.dstPort, src, t.srcPort), nc);
      nc.startPassive(pkt);
      return;
    }
    // No connection: RST (RFC 9293 3.10.7.1).
    this.counters.noConnection++;
    this.counters.resetsSent++;
    const segLen = pkt.payload.length + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
    if (flags & ACK) {
      this.sendSegment(src, { srcPort: t.dstPort, dstPort: t.srcPort, seq: t.ack, ack: 0, flags: RST, window: 0 });
    } else {
      this.sendSegment(src, { srcPort: t.dstPort, dstPort: t.srcPort, seq: 0, ack: add(t.seq, segLen), flags: RST | ACK, window: 0 });
    }
  }
}
