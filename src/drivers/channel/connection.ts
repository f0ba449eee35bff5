import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from '../../core/clock';
import { RealClock } from '../../core/clock';
import { XsiteError, isXsiteError } from '../../core/errors';
import {
  CHANNEL_PROTOCOL_VERSIONS,
  DEFAULT_MAX_FRAME_BYTES,
  type ChannelCloseReason,
  type ChannelEnvelope,
  type ChannelKind,
  type Outcome,
} from '../../ports/control-channel';
import { decodeEnvelope, encodeEnvelope, errorBody, errorFromBody, toOutcome, unwrapOutcome } from './envelope';
import { FrameDecoder } from './framing';

export interface ChannelConnectionOptions {
  /** Timers (keepalive, timeouts). Default: a RealClock. */
  clock?: Clock;
  /** Send a ping after this long without traffic from the peer (once established). Default 5000 ms. */
  pingIntervalMs?: number;
  /** Declare the peer dead after this long without any byte from it. Default 15000 ms. */
  deadAfterMs?: number;
  /** The handshake must finish within this time. Default 10000 ms. */
  handshakeTimeoutMs?: number;
  /** How long a request waits for its reply. Default 10000 ms. */
  requestTimeoutMs?: number;
  /** Largest frame payload accepted or sent. Default 16 MiB. */
  maxFrameBytes?: number;
  /** Protocol versions accepted before negotiation. Default CHANNEL_PROTOCOL_VERSIONS. */
  versions?: readonly number[];
  /** Prefix of ids this side allocates (keeps the two sides' ids apart in logs). */
  idPrefix?: string;
}

/** The timing knobs shared by server and client options. */
export type ChannelTimingOptions = Omit<ChannelConnectionOptions, 'versions' | 'idPrefix'>;

interface PendingRequest {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: TimerHandle | undefined;
}

/**
 * One framed, versioned message stream over any Duplex (TCP, TLS, in-memory): the part server and client share.
 *
 * Phases: `handshake` (the owner drives hello / hello_ok; any malformed frame closes) -> `established` (after the
 * owner calls `established(version)`: pings start, a malformed but well-delimited frame is answered with
 * `error`/CHANNEL_BAD_FRAME and skipped) -> `closed`. A framing error (bad length, oversized) always closes: the byte
 * stream cannot be trusted past it.
 *
 * It answers pings, correlates `reply` (and `error` with a pending id) to requests, and watches for a dead peer.
 * Everything else is emitted as `envelope` for the owner. Events: `envelope` (env), `bad_message` (XsiteError, after
 * the error reply went out), `close` (reason, error?).
 */
export class ChannelConnection extends EventEmitter {
  phase: 'handshake' | 'established' | 'closed' = 'handshake';
  /** Version used for sending (the negotiated one once established). */
  version: number;
  closeReason: ChannelCloseReason | undefined;
  /** The error that caused the close, when there was one (dead peer, bad frame, ...). */
  closeError: XsiteError | undefined;

  private readonly clock: Clock;
  private readonly ownClock: RealClock | undefined;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<string, PendingRequest>();
  private readonly opts: Required<Omit<ChannelConnectionOptions, 'clock'>>;
  private nextId = 1;
  private lastRx: number;
  private keepaliveTimer: TimerHandle | undefined;
  private handshakeTimer: TimerHandle | undefined;

  constructor(
    readonly stream: Duplex,
    options: ChannelConnectionOptions = {},
  ) {
    super();
    if (options.clock === undefined) this.ownClock = new RealClock();
    this.clock = options.clock ?? this.ownClock!;
    this.opts = {
      pingIntervalMs: options.pingIntervalMs ?? 5000,
      deadAfterMs: options.deadAfterMs ?? 15000,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10000,
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      versions: options.versions ?? CHANNEL_PROTOCOL_VERSIONS,
      idPrefix: options.idPrefix ?? '',
    };
    this.version = Math.max(...this.opts.versions);
    this.decoder = new FrameDecoder(this.opts.maxFrameBytes);
    this.lastRx = this.clock.now();
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.close('peer_closed'));
    stream.on('close', () => this.close('peer_closed'));
    stream.on('error', () => this.close('socket_error'));
    this.handshakeTimer = this.clock.setTimeout(() => {
      if (this.phase === 'handshake') {
        this.close('handshake_timeout', new XsiteError('CHANNEL_TIMEOUT', `handshake not done in ${this.opts.handshakeTimeoutMs} ms`));
      }
    }, this.opts.handshakeTimeoutMs);
    this.scheduleKeepalive();
  }

  get isOpen(): boolean {
    return this.phase !== 'closed';
  }

  /** Allocates a fresh message id. */
  allocId(): string {
    return `${this.opts.idPrefix}${this.nextId++}`;
  }

  /** Handshake done: send in `version` from now on, start pings, tolerate malformed frames. */
  established(version: number): void {
    if (this.phase !== 'handshake') return;
    this.version = version;
    this.phase = 'established';
    this.clock.clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  /**
   * Writes one message. Throws CHANNEL_CLOSED when closed, CHANNEL_BAD_FRAME when it does not fit in a frame (nothing
   * is written then).
   */
  write(kind: ChannelKind, id: string, body: unknown, dc?: string): void {
    if (this.phase === 'closed') throw new XsiteError('CHANNEL_CLOSED', `channel closed (${this.closeReason})`);
    const env: ChannelEnvelope = { v: this.version, kind, id, body: body === undefined ? null : body };
    if (dc !== undefined) env.dc = dc;
    const frame = encodeEnvelope(env, this.opts.maxFrameBytes);
    if (!this.stream.destroyed && this.stream.writable) this.stream.write(frame);
  }

  /** Sends a `request` and resolves with the reply's value (rejects with its error, CHANNEL_TIMEOUT or CHANNEL_CLOSED). */
  request(body: unknown, timeoutMs = this.opts.requestTimeoutMs): Promise<unknown> {
    if (this.phase === 'closed') return Promise.reject(new XsiteError('CHANNEL_CLOSED', `channel closed (${this.closeReason})`));
    const id = this.allocId();
    return new Promise<unknown>((resolve, reject) => {
      const p: PendingRequest = { resolve, reject, timer: undefined };
      if (timeoutMs > 0) {
        p.timer = this.clock.setTimeout(() => {
          this.pending.delete(id);
          reject(new XsiteError('CHANNEL_TIMEOUT', `no reply to request ${id} in ${timeoutMs} ms`, { id }));
        }, timeoutMs);
      }
      this.pending.set(id, p);
      try {
        this.write('request', id, body);
      } catch (e) {
        this.pending.delete(id);
        this.clock.clearTimeout(p.timer);
        reject(e as Error);
      }
    });
  }

  /** Runs `handler` for a received request `id` and sends its outcome as the reply (if still open). */
  serve(id: string, handler: () => unknown): void {
    void toOutcome(handler).then((outcome) => this.sendOutcome('reply', id, outcome));
  }

  /** Sends a reply / job_ack; an outcome too large for a frame is replaced by a CHANNEL_BAD_FRAME error outcome. */
  sendOutcome(kind: 'reply' | 'job_ack', id: string, outcome: Outcome): boolean {
    if (this.phase === 'closed') return false;
    try {
      this.write(kind, id, outcome);
    } catch (e) {
      if (!isXsiteError(e, 'CHANNEL_BAD_FRAME')) return false;
      this.write(kind, id, { ok: false, error: errorBody(e) } satisfies Outcome);
    }
    return true;
  }

  /**
   * Closes the stream (after flushing what was written); pending requests reject with CHANNEL_CLOSED. Emits `close`
   * once.
   */
  close(reason: ChannelCloseReason = 'local_close', err?: XsiteError): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.closeReason = reason;
    this.closeError = err;
    this.clock.clearTimeout(this.keepaliveTimer);
    this.clock.clearTimeout(this.handshakeTimer);
    this.ownClock?.clearAll();
    for (const [id, p] of this.pending) {
      this.clock.clearTimeout(p.timer);
      p.reject(new XsiteError('CHANNEL_CLOSED', `channel closed (${reason}) before the reply to ${id}`, { id, reason }));
    }
    this.pending.clear();
    const s = this.stream;
    if (!s.destroyed) {
      // Let the last frames (error, auth_fail) reach the peer, but never wait long for a peer that does not read.
      const t = setTimeout(() => s.destroy(), 1000);
      t.unref();
      s.end(() => {
        clearTimeout(t);
        s.destroy();
      });
    }
    this.emit('close', reason, err);
  }

  // ------------------------------------------------------------------------------------------------------------

  private scheduleKeepalive(): void {
    const tick = Math.max(1, Math.min(this.opts.pingIntervalMs, this.opts.deadAfterMs) / 2);
    this.keepaliveTimer = this.clock.setTimeout(() => {
      if (this.phase === 'closed') return;
      const idle = this.clock.now() - this.lastRx;
      if (idle >= this.opts.deadAfterMs) {
        this.close('dead_peer', new XsiteError('CHANNEL_TIMEOUT', `peer silent for ${Math.round(idle)} ms`));
        return;
      }
      if (this.phase === 'established' && idle >= this.opts.pingIntervalMs) {
        try {
          this.write('ping', this.allocId(), null);
        } catch {
          /* closed under us */
        }
      }
      this.scheduleKeepalive();
    }, tick);
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    this.lastRx = this.clock.now();
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      const err = e as XsiteError;
      this.writeError('', err);
      this.emit('bad_message', err);
      this.close('bad_frame', err);
      return;
    }
    for (const frame of frames) {
      if (!this.isOpen) return;
      let env: ChannelEnvelope;
      try {
        env = decodeEnvelope(frame, this.opts.versions);
      } catch (e) {
        const err = e as XsiteError;
        const id = typeof err.details?.['id'] === 'string' ? (err.details['id'] as string) : '';
        this.writeError(id, err);
        this.emit('bad_message', err);
        if (this.phase === 'handshake') {
          this.close(err.code === 'CHANNEL_VERSION' ? 'version_mismatch' : 'bad_frame', err);
          return;
        }
        continue;
      }
      this.onEnvelope(env);
    }
  }

  private writeError(id: string, err: XsiteError): void {
    try {
      this.write('error', id, errorBody(err));
    } catch {
      /* closed */
    }
  }

  private onEnvelope(env: ChannelEnvelope): void {
    switch (env.kind) {
      case 'ping':
        if (this.phase === 'established') this.write('pong', env.id, null);
        return;
      case 'pong':
        return;
      case 'reply': {
        const p = this.takePending(env.id);
        if (p === undefined) return;
        try {
          p.resolve(unwrapOutcome(env.body));
        } catch (e) {
          p.reject(e as Error);
        }
        return;
      }
      case 'error': {
        const p = this.takePending(env.id);
        if (p !== undefined) {
          p.reject(errorFromBody(env.body));
          return;
        }
        break;
      }
      default:
        break;
    }
    this.emit('envelope', env);
  }

  private takePending(id: string): PendingRequest | undefined {
    const p = this.pending.get(id);
    if (p === undefined) return undefined;
    this.pending.delete(id);
    this.clock.clearTimeout(p.timer);
    return p;
  }
}
