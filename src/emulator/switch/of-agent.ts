/**
 * The switch side of an OpenFlow 1.3 connection over any Duplex (TCP, in-memory): HELLO with a version bitmap and
 * negotiation, every controller message answered through `SoftSwitch.handleMessage`, async messages sent while
 * connected, echo keepalive, and OVS-like reconnection (`connectTcp`: backoff from 1 s doubling to 8 s). While no
 * controller is connected the switch's fail mode applies. Malformed messages get the OFPT_ERROR their decode error
 * names.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { OFPHFC, OFP_VERSION } from '../../codec/openflow/constants';
import { OFPET, OfpDecodeError } from '../../codec/openflow/errors';
import { decodeMessage, encodeMessage, Framer } from '../../codec/openflow/message';
import type { OfpMessage } from '../../codec/openflow/types';
import type { TimerHandle } from '../../core/clock';
import type { SoftSwitch } from './soft-switch';

/** Options of {@link OfAgent}. */
export interface OfAgentOptions {
  /** Send an echo request after this long without traffic (OVS probe interval: 5 s). */
  echoIntervalMs?: number;
  /** Drop the connection after this long without traffic. Default 3 x echoIntervalMs. */
  deadAfterMs?: number;
  /** First reconnection delay (OVS: 1 s). */
  minBackoffMs?: number;
  /** Largest reconnection delay (OVS max_backoff default: 8 s). */
  maxBackoffMs?: number;
}

/**
 * Connects a {@link SoftSwitch} to a controller. Events: `connected` (HELLO exchanged), `disconnected`,
 * `error` is never emitted (socket errors lead to reconnection).
 */
export class OfAgent extends EventEmitter {
  private stream: Duplex | null = null;
  private framer = new Framer();
  private negotiated = false;
  private queue: Buffer[] = [];
  private flushScheduled = false;
  private lastRx = 0;
  private keepalive: TimerHandle | undefined;
  private echoOutstanding = false;
  private reconnectTimer: TimerHandle | undefined;
  private backoff: number;
  private target: { host: string; port: number } | null = null;
  private closed = false;
  private readonly opts: Required<OfAgentOptions>;

  constructor(
    readonly sw: SoftSwitch,
    options: OfAgentOptions = {},
  ) {
    super();
    const echo = options.echoIntervalMs ?? 5000;
    this.opts = {
      echoIntervalMs: echo,
      deadAfterMs: options.deadAfterMs ?? 3 * echo,
      minBackoffMs: options.minBackoffMs ?? 1000,
      maxBackoffMs: options.maxBackoffMs ?? 8000,
    };
    this.backoff = this.opts.minBackoffMs;
  }

  /** True once HELLO has been exchanged on the current stream. */
  get connected(): boolean {
    return this.negotiated;
  }

  /** Runs the OpenFlow session on `duplex` (replacing any current one). */
  attach(duplex: Duplex): void {
    this.detach();
    this.closed = false;
    this.stream = duplex;
    this.framer = new Framer();
    this.negotiated = false;
    this.lastRx = this.sw.clock.now();
    duplex.on('data', (chunk: Buffer) => this.onData(duplex, chunk));
    const gone = (): void => {
      if (this.stream === duplex) this.onClosed();
    };
    duplex.on('end', gone);
    duplex.on('close', gone);
    duplex.on('error', gone);
    this.send({ type: 'hello', versions: [OFP_VERSION] }, 0);
    this.armKeepalive();
  }

  /** Connects to a controller over TCP, reconnecting with backoff whenever the connection fails or drops. */
  connectTcp(host: string, port: number): void {
    this.target = { host, port };
    this.closed = false;
    this.dial();
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.closed = true;
    this.target = null;
    this.sw.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.detach();
  }

  private dial(): void {
    if (this.target === null || this.closed) return;
    const sock = net.connect(this.target.port, this.target.host);
    sock.setNoDelay(true);
    sock.once('connect', () => {
      this.backoff = this.opts.minBackoffMs;
    });
    sock.on('error', () => undefined);
    this.attach(sock);
  }

  private scheduleReconnect(): void {
    if (this.target === null || this.closed || this.reconnectTimer !== undefined) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.opts.maxBackoffMs, this.backoff * 2);
    this.reconnectTimer = this.sw.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.dial();
    }, delay);
  }

  private detach(): void {
    const s = this.stream;
    if (s === null) return;
    this.stream = null;
    this.flush(s);
    this.sw.clock.clearTimeout(this.keepalive);
    this.keepalive = undefined;
    if (this.negotiated) {
      this.negotiated = false;
      this.sw.onAsync = null;
      this.emit('disconnected');
    }
    s.removeAllListeners('data');
    s.on('error', () => undefined);
    s.end();
    s.destroy();
  }

  private onClosed(): void {
    this.detach();
    this.scheduleReconnect();
  }

  private armKeepalive(): void {
    this.sw.clock.clearTimeout(this.keepalive);
    const tick = Math.max(10, this.opts.echoIntervalMs / 2);
    this.keepalive = this.sw.clock.setTimeout(() => {
      this.keepalive = undefined;
      if (this.stream === null) return;
      const idle = this.sw.clock.now() - this.lastRx;
      if (idle >= this.opts.deadAfterMs) {
        this.onClosed();
        return;
      }
      if (idle >= this.opts.echoIntervalMs && this.negotiated && !this.echoOutstanding) {
        this.echoOutstanding = true;
        this.send({ type: 'echo_request', data: Buffer.alloc(0) }, 0);
      }
      this.armKeepalive();
    }, tick);
  }

  private send(msg: OfpMessage, xid?: number): void {
    const s = this.stream;
    if (s === null || s.destroyed) return;
    let buf: Buffer;
    try {
      buf = encodeMessage(msg, xid ?? msg.xid ?? 0);
    } catch {
      return;
    }
    this.queue.push(buf);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush(this.stream));
    }
  }

  private flush(s: Duplex | null): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const data = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue);
    this.queue = [];
    if (s !== null && !s.destroyed) s.write(data);
  }

  private onData(s: Duplex, chunk: Buffer): void {
    if (this.stream !== s) return;
    this.lastRx = this.sw.clock.now();
    let frames: Buffer[];
    try {
      frames = this.framer.push(chunk);
    } catch (e) {
      this.sendDecodeError(e, chunk.subarray(0, 64), 0);
      this.onClosed();
      return;
    }
    for (const f of frames) {
      if (this.stream !== s) return;
      let msg: OfpMessage;
      try {
        msg = decodeMessage(f);
      } catch (e) {
        this.sendDecodeError(e, f.subarray(0, 64), f.length >= 8 ? f.readUInt32BE(4) : 0);
        continue;
      }
      this.onMessage(msg);
    }
  }

  private sendDecodeError(e: unknown, data: Buffer, xid: number): void {
    const errType = e instanceof OfpDecodeError ? e.ofpType : OFPET.BAD_REQUEST;
    const code = e instanceof OfpDecodeError ? e.ofpCode : 6;
    this.send({ type: 'error', errType, code, data: Buffer.from(data) }, xid);
  }

  private onMessage(msg: OfpMessage): void {
    if (msg.type === 'hello') {
      if (this.negotiated) return;
      const ok = msg.versions !== undefined ? msg.versions.includes(OFP_VERSION) : (msg.version ?? OFP_VERSION) >= OFP_VERSION;
      if (!ok) {
        this.send({ type: 'error', errType: OFPET.HELLO_FAILED, code: OFPHFC.INCOMPATIBLE, data: Buffer.from('OpenFlow 1.3 only') }, msg.xid ?? 0);
        const s = this.stream;
        if (s !== null) this.flush(s);
        this.onClosed();
        return;
      }
      this.negotiated = true;
      this.sw.resetControllerState();
      this.sw.onAsync = (m) => this.send(m, 0);
      this.emit('connected');
      return;
    }
    if (msg.type === 'echo_reply') {
      this.echoOutstanding = false;
      return;
    }
    if (!this.negotiated) return;
    for (const r of this.sw.handleMessage(msg)) this.send(r);
  }
}
