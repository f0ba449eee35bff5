import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { XsiteError } from '../core/errors';
import { OfpDecodeError, OFPET } from '../codec/openflow/errors';
import { OFP_VERSION, OFPCML_NO_BUFFER, OFPHFC, OFPMPF, ONF_BCT, ONF_BF, OFPPR, OFPBRC } from '../codec/openflow/constants';
import { decodeMessage, encodeMessage, Framer } from '../codec/openflow/message';
import type {
  MessageOf,
  MultipartReplyBody,
  MultipartRequestBody,
  OfpMessage,
  OfpMessageType,
  PortDesc,
} from '../codec/openflow/types';

/** Phases of a controller-side switch connection (Ryu/os-ken style explicit state machine). */
export type ConnectionState = 'hello' | 'features' | 'port_desc' | 'main' | 'closed';

export interface ConnectionOptions {
  /** Send an ECHO_REQUEST after this long without traffic from the peer. Default 5000 ms. */
  echoIntervalMs?: number;
  /** Declare the peer dead after this long without any message. Default 15000 ms. */
  deadAfterMs?: number;
  /** How long a request may wait for its reply. Default 10000 ms. */
  requestTimeoutMs?: number;
  /** miss_send_len set in SET_CONFIG after the handshake. Default 0xffff (OFPCML_NO_BUFFER: whole packet). */
  missSendLen?: number;
  /** Handshake must finish within this time. Default 10000 ms. */
  handshakeTimeoutMs?: number;
  /** Queue bytes above which `writable` turns false. Default 1 MiB. */
  highWaterMark?: number;
  /** Emit every received frame raw as `frame` (golden-fixture capture, debugging). Default false. */
  captureFrames?: boolean;
}

/** Why a connection closed. */
export type CloseReason =
  | 'peer_closed'
  | 'dead_peer'
  | 'handshake_timeout'
  | 'version_mismatch'
  | 'framing_error'
  | 'replaced'
  | 'local_close'
  | 'socket_error';

const OFPMPF_MORE = OFPMPF.REPLY_MORE;

/** The switch answered a request with OFPT_ERROR. */
export class OfpErrorReply extends XsiteError {
  constructor(readonly reply: MessageOf<'error'> | MessageOf<'error_experimenter'>, what: string) {
    const detail = reply.type === 'error' ? `type ${reply.errType} code ${reply.code}` : `experimenter ${reply.experimenter} type ${reply.expType}`;
    super('OFP_ERROR_REPLY', `switch refused ${what}: ${detail}`, {
      errType: reply.type === 'error' ? reply.errType : 0xffff,
      errCode: reply.type === 'error' ? reply.code : reply.expType,
    });
  }
}

interface Pending {
  what: string;
  expect: OfpMessageType;
  resolve(msg: OfpMessage[]): void;
  reject(err: Error): void;
  parts: OfpMessage[];
  timer: NodeJS.Timeout;
}

/**
 * Controller side of one OpenFlow 1.3 switch connection over any duplex byte stream (TCP, TLS, in-memory).
 *
 * HELLO -> FEATURES -> port description -> MAIN -> closed. In MAIN it answers echo requests, keeps the peer alive
 * with its own echoes, correlates replies with requests by xid (reassembling multipart replies), and batches writes
 * into one socket write per event-loop turn.
 *
 * Events: `ready` (handshake done), `message` (every message received in MAIN), `packet_in`, `port_status`,
 * `flow_removed`, `ofp_error` (an unsolicited OFPT_ERROR from the switch), `decode_error` (a malformed message we
 * answered with OFPT_ERROR), `frame` (raw bytes, only with captureFrames), `close` (reason).
 */
export class SwitchConnection extends EventEmitter {
  state: ConnectionState = 'hello';
  datapathId = 0n;
  nTables = 0;
  nBuffers = 0;
  capabilities = 0;
  /** Ports by number, kept current from PORT_STATUS. */
  readonly ports = new Map<number, PortDesc>();
  /** Negotiated version (always 4 once past HELLO). */
  version = 0;
  closeReason: CloseReason | undefined;
  /** When true, every received frame is also emitted raw as `frame` (golden-fixture capture, debugging). */
  captureFrames = false;

  private readonly framer = new Framer();
  private readonly pending = new Map<number, Pending>();
  private nextXid = 1;
  private outQueue: Buffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  private lastRx = Date.now();
  private readonly keepalive: NodeJS.Timeout;
  private readonly handshakeTimer: NodeJS.Timeout;
  private readonly opts: Required<ConnectionOptions>;

  constructor(
    readonly stream: Duplex,
    options: ConnectionOptions = {},
  ) {
    super();
    this.captureFrames = options.captureFrames ?? false;
    this.opts = {
      echoIntervalMs: options.echoIntervalMs ?? 5000,
      deadAfterMs: options.deadAfterMs ?? 15000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10000,
      missSendLen: options.missSendLen ?? OFPCML_NO_BUFFER,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10000,
      highWaterMark: options.highWaterMark ?? 1 << 20,
      captureFrames: this.captureFrames,
    };
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('drain', () => this.emit('drain'));
    stream.on('end', () => this.close('peer_closed'));
    stream.on('close', () => this.close('peer_closed'));
    stream.on('error', () => this.close('socket_error'));
    const tick = Math.max(10, Math.min(this.opts.echoIntervalMs, this.opts.deadAfterMs) / 2);
    this.keepalive = setInterval(() => this.checkAlive(), tick);

    this.handshakeTimer = setTimeout(() => {
      if (this.state !== 'main') this.close('handshake_timeout');
    }, this.opts.handshakeTimeoutMs);

    this.sendRaw({ type: 'hello', versions: [OFP_VERSION] }, this.allocXid());
  }

  /** Datapath id as 16 hex digits, the form OVS prints. */
  get dpidHex(): string {
    return this.datapathId.toString(16).padStart(16, '0');
  }

  /** Allocates a fresh transaction id (never 0). */
  allocXid(): number {
    const x = this.nextXid;
    this.nextXid = this.nextXid >= 0xffffffff ? 1 : this.nextXid + 1;
    return x;
  }

  /**
   * Queues a message; returns its xid. Returns normally even under backpressure: check `writable` / wait for
   * `drain()` when sending in bulk.
   */
  send(msg: OfpMessage): number {
    if (this.state === 'closed') throw new XsiteError('OFP_CONNECTION_CLOSED', 'connection is closed');
    const xid = msg.xid ?? this.allocXid();
    this.sendRaw(msg, xid);
    return xid;
  }

  /** Sends pre-encoded message bytes (the caller set the xid). */
  sendBytes(buf: Buffer): void {
    if (this.state === 'closed') throw new XsiteError('OFP_CONNECTION_CLOSED', 'connection is closed');
    this.enqueue(buf);
  }

  /** False while more than highWaterMark bytes wait to be written. */
  get writable(): boolean {
    return this.outBytes + this.stream.writableLength < this.opts.highWaterMark;
  }

  /** Resolves once the write queue is below the high-water mark. */
  async drain(): Promise<void> {
    while (!this.writable && this.state !== 'closed') {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.off('drain', done);
          this.off('close', done);
          resolve();
        };
        this.on('drain', done);
        this.on('close', done);
        this.flush();
      });
    }
  }

  /** Sends a request and resolves with the single reply of type `expect`. */
  request<T extends OfpMessageType>(msg: OfpMessage, expect: T): Promise<MessageOf<T>> {
    return this.track(msg, expect).then((parts) => parts[0] as MessageOf<T>);
  }

  /** Sends a multipart request and resolves with every reply part (OFPMPF_REPLY_MORE reassembly). */
  multipartParts(body: MultipartRequestBody): Promise<MultipartReplyBody[]> {
    return this.track({ type: 'multipart_request', flags: 0, body }, 'multipart_reply').then((parts) =>
      parts.map((p) => (p as MessageOf<'multipart_reply'>).body),
    );
  }

  /** Multipart request whose parts are concatenated into one reply body. */
  async multipart<K extends MultipartRequestBody['mpType']>(
    body: Extract<MultipartRequestBody, { mpType: K }>,
  ): Promise<Extract<MultipartReplyBody, { mpType: K }>> {
    const parts = await this.multipartParts(body);
    return mergeMultipart(parts) as Extract<MultipartReplyBody, { mpType: K }>;
  }

  /** Resolves when the switch has processed everything sent before (BARRIER). */
  async barrier(): Promise<void> {
    await this.request({ type: 'barrier_request' }, 'barrier_reply');
  }

  /**
   * Applies `messages` atomically with the ONF bundle extension: {@link openBundle}, then {@link commitBundle}.
   *
   * Errors: OFP_BUNDLES_UNSUPPORTED (the switch does not know bundles; nothing was applied), OFP_BUNDLE_REFUSED
   * (details.refused: the index, type and code of every refused message; nothing was applied), OFP_ERROR_REPLY.
   */
  async bundle(messages: OfpMessage[], opts: { bundleId?: number; flags?: number } = {}): Promise<void> {
    await this.commitBundle(await this.openBundle(messages, opts));
  }

  /**
   * Opens a bundle holding `messages`, without committing it: open, add each, a barrier; discarded when the switch
   * refused an add. The barrier matters: OVS drops a refused bundle_add and would commit the rest, so committing
   * before every add has been answered could apply half a bundle. Resolves with the bundle, to commit (or discard)
   * later, e.g. in a migration's pause, where only the commit's round trip is left. Errors as {@link bundle}.
   */
  async openBundle(messages: OfpMessage[], opts: { bundleId?: number; flags?: number } = {}): Promise<OpenBundle> {
    const bundleId = opts.bundleId ?? (this.allocXid() & 0x7fffffff);
    const flags = opts.flags ?? ONF_BF.ATOMIC;
    const ctl = (ctrlType: number): OfpMessage => ({ type: 'bundle_control', bundleId, ctrlType, flags, properties: [] });
    // The open, the adds and the barrier leave together: the switch handles them in order, so the open's reply (or
    // error) arrives before the barrier's. Two round trips in all: this one and the commit.
    const openFailed = this.request(ctl(ONF_BCT.OPEN_REQUEST), 'bundle_control').then(
      () => undefined,
      (e: unknown) => e,
    );
    const openError = (e: unknown): unknown => {
      if (e instanceof OfpErrorReply && e.reply.type === 'error' && e.reply.errType === OFPET.BAD_REQUEST &&
          (e.reply.code === OFPBRC.BAD_TYPE || e.reply.code === OFPBRC.BAD_EXPERIMENTER || e.reply.code === OFPBRC.BAD_EXP_TYPE)) {
        return new XsiteError('OFP_BUNDLES_UNSUPPORTED', `switch ${this.dpidHex} does not support bundles`);
      }
      return e;
    };
    // An add has no reply of its own; a refusal is an OFPT_ERROR carrying the add's xid.
    const indexOf = new Map<number, number>();
    const { refused, stop } = this.refusals(indexOf);
    try {
      for (const [index, message] of messages.entries()) {
        const xid = this.allocXid();
        indexOf.set(xid, index);
        this.sendRaw({ type: 'bundle_add', bundleId, flags, message: { ...message, xid }, properties: [] }, xid);
        if (!this.writable) await this.drain();
      }
      const barrier = this.barrier();
      const failedOpen = await openFailed;
      if (failedOpen !== undefined) {
        await barrier.catch(() => undefined);
        throw openError(failedOpen);
      }
      await barrier;
      if (refused.length > 0) {
        await this.request(ctl(ONF_BCT.DISCARD_REQUEST), 'bundle_control').catch(() => undefined);
        throw bundleRefused(refused, 'discarded');
      }
    } finally {
      stop();
    }
    return { bundleId, flags, indexOf };
  }

  /** Collects the refusals (OFPT_ERRORs) of the bundle messages whose xids `indexOf` maps to their index, until `stop`. */
  private refusals(indexOf: ReadonlyMap<number, number>): { refused: { index: number; errType: number; code: number }[]; stop: () => void } {
    const refused: { index: number; errType: number; code: number }[] = [];
    const onError = (m: MessageOf<'error'> | MessageOf<'error_experimenter'>) => {
      const index = indexOf.get(m.xid ?? -1);
      if (index === undefined) return;
      refused.push(m.type === 'error' ? { index, errType: m.errType, code: m.code } : { index, errType: OFPET.EXPERIMENTER, code: m.expType });
    };
    this.on('ofp_error', onError);
    return { refused, stop: () => this.off('ofp_error', onError) };
  }

  /** Commits a bundle {@link openBundle} opened. Errors as {@link bundle} (OFP_ERROR_REPLY: e.g. the switch dropped it). */
  async commitBundle(b: OpenBundle): Promise<void> {
    const { refused, stop } = this.refusals(b.indexOf);
    try {
      let reply: MessageOf<'bundle_control'>;
      try {
        reply = await this.request({ type: 'bundle_control', bundleId: b.bundleId, ctrlType: ONF_BCT.COMMIT_REQUEST, flags: b.flags, properties: [] }, 'bundle_control');
      } catch (e) {
        // A message can also fail only at commit; its own error (with its add's xid) comes before the commit's.
        if (e instanceof OfpErrorReply && refused.length > 0) throw bundleRefused(refused, 'commit failed');
        throw e;
      }
      if (reply.ctrlType !== ONF_BCT.COMMIT_REPLY) {
        throw new XsiteError('OFP_BUNDLE_FAILED', `unexpected bundle reply type ${reply.ctrlType}`);
      }
    } finally {
      stop();
    }
  }

  /** Discards a bundle {@link openBundle} opened (nothing of it is applied); resolves also when the switch had dropped it. */
  async discardBundle(b: OpenBundle): Promise<void> {
    await this.request({ type: 'bundle_control', bundleId: b.bundleId, ctrlType: ONF_BCT.DISCARD_REQUEST, flags: b.flags, properties: [] }, 'bundle_control').catch(() => undefined);
  }

  /** Closes the connection; pending requests reject with OFP_CONNECTION_CLOSED. */
  close(reason: CloseReason = 'local_close'): void {
    if (this.state === 'closed') return;
    this.flush();
    this.state = 'closed';
    this.closeReason = reason;
    clearInterval(this.keepalive);
    clearTimeout(this.handshakeTimer);
    for (const [xid, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new XsiteError('OFP_CONNECTION_CLOSED', `connection closed (${reason}) before ${p.what} completed`));
      this.pending.delete(xid);
    }
    this.stream.end();
    this.stream.destroy();
    this.emit('close', reason);
  }

  // ------------------------------------------------------------------------------------------------------------

  private track(msg: OfpMessage, expect: OfpMessageType): Promise<OfpMessage[]> {
    if (this.state === 'closed') return Promise.reject(new XsiteError('OFP_CONNECTION_CLOSED', 'connection is closed'));
    const xid = msg.xid ?? this.allocXid();
    return new Promise<OfpMessage[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(xid);
        reject(new XsiteError('OFP_REQUEST_TIMEOUT', `no reply to ${msg.type} (xid ${xid})`, { xid }));
      }, this.opts.requestTimeoutMs);

      this.pending.set(xid, { what: msg.type, expect, resolve, reject, parts: [], timer });
      this.sendRaw(msg, xid);
    });
  }

  private sendRaw(msg: OfpMessage, xid: number): void {
    this.enqueue(encodeMessage(msg, xid));
  }

  private enqueue(buf: Buffer): void {
    this.outQueue.push(buf);
    this.outBytes += buf.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.outQueue.length === 0 || this.stream.destroyed) return;
    const data = this.outQueue.length === 1 ? this.outQueue[0]! : Buffer.concat(this.outQueue, this.outBytes);
    this.outQueue = [];
    this.outBytes = 0;
    if (this.stream.write(data) && this.writable) this.emit('drain');
  }

  private checkAlive(): void {
    if (this.state === 'closed') return;
    const idle = Date.now() - this.lastRx;
    if (idle >= this.opts.deadAfterMs) {
      this.close('dead_peer');
    } else if (idle >= this.opts.echoIntervalMs && this.state === 'main') {
      this.request({ type: 'echo_request', data: Buffer.alloc(0) }, 'echo_reply').catch(() => undefined);
    }
  }

  private onData(chunk: Buffer): void {
    this.lastRx = Date.now();
    let frames: Buffer[];
    try {
      frames = this.framer.push(chunk);
    } catch (e) {
      // The byte stream lost its framing: nothing after this point can be trusted.
      this.replyError(e, Buffer.from(chunk.subarray(0, 64)), 0);
      this.close('framing_error');
      return;
    }
    for (const frame of frames) {
      if (this.state === 'closed') return;
      if (this.captureFrames) this.emit('frame', frame);
      let msg: OfpMessage;
      try {
        msg = decodeMessage(frame);
      } catch (e) {
        this.replyError(e, frame.subarray(0, 64), frame.length >= 8 ? frame.readUInt32BE(4) : 0);
        this.emit('decode_error', e);
        continue;
      }
      this.onMessage(msg);
    }
  }

  private replyError(e: unknown, data: Buffer, xid: number): void {
    const errType = e instanceof OfpDecodeError ? e.ofpType : OFPET.BAD_REQUEST;
    const code = e instanceof OfpDecodeError ? e.ofpCode : OFPBRC.BAD_LEN;
    if (this.stream.destroyed) return;
    this.enqueue(encodeMessage({ type: 'error', errType, code, data: Buffer.from(data) }, xid));
    this.flush();
  }

  private onMessage(msg: OfpMessage): void {
    const xid = msg.xid ?? 0;
    switch (msg.type) {
      case 'echo_request':
        this.sendRaw({ type: 'echo_reply', data: msg.data }, xid);
        return;
      case 'hello':
        this.onHello(msg);
        return;
      default:
        break;
    }
    if (this.state === 'hello') return; // nothing but HELLO is meaningful before version negotiation
    const pending = this.pending.get(xid);
    if (pending !== undefined) {
      if (msg.type === 'error' || msg.type === 'error_experimenter') {
        this.pending.delete(xid);
        clearTimeout(pending.timer);
        pending.reject(new OfpErrorReply(msg, pending.what));
        return;
      }
      if (msg.type === pending.expect) {
        pending.parts.push(msg);
        if (msg.type === 'multipart_reply' && (msg.flags & OFPMPF_MORE) !== 0) return;
        this.pending.delete(xid);
        clearTimeout(pending.timer);
        pending.resolve(pending.parts);
        return;
      }
    }
    if (this.state !== 'main') return;
    switch (msg.type) {
      case 'port_status':
        if (msg.reason === OFPPR.DELETE) this.ports.delete(msg.port.portNo);
        else this.ports.set(msg.port.portNo, msg.port);
        this.emit('port_status', msg);
        break;
      case 'packet_in':
        this.emit('packet_in', msg);
        break;
      case 'flow_removed':
        this.emit('flow_removed', msg);
        break;
      case 'error':
      case 'error_experimenter':
        this.emit('ofp_error', msg);
        break;
      default:
        break;
    }
    this.emit('message', msg);
  }

  private onHello(msg: MessageOf<'hello'>): void {
    if (this.state !== 'hello') return;
    // With a version bitmap, the common version is the highest in both; without one, it is min(ours, the header's).
    const peerSupports4 = msg.versions !== undefined ? msg.versions.includes(OFP_VERSION) : (msg.version ?? OFP_VERSION) >= OFP_VERSION;
    if (!peerSupports4) {
      const text = Buffer.from('xsite speaks OpenFlow 1.3 (0x04) only');
      this.sendRaw({ type: 'error', errType: OFPET.HELLO_FAILED, code: OFPHFC.INCOMPATIBLE, data: text }, msg.xid ?? 0);
      this.close('version_mismatch');
      return;
    }
    this.version = OFP_VERSION;
    this.state = 'features';
    void this.handshake();
  }

  private async handshake(): Promise<void> {
    try {
      const features = await this.request({ type: 'features_request' }, 'features_reply');
      this.datapathId = features.datapathId;
      this.nTables = features.nTables;
      this.nBuffers = features.nBuffers;
      this.capabilities = features.capabilities;
      this.state = 'port_desc';
      this.send({ type: 'set_config', flags: 0, missSendLen: this.opts.missSendLen });
      const desc = await this.multipart({ mpType: 'port_desc' });
      for (const p of desc.ports) this.ports.set(p.portNo, p);
      if (this.state !== 'port_desc') return;
      this.state = 'main';
      clearTimeout(this.handshakeTimer);
      this.emit('ready');
    } catch {
      this.close(this.state === 'closed' ? (this.closeReason ?? 'peer_closed') : 'handshake_timeout');
    }
  }
}

/** Concatenates the parts of a multipart reply into one body. */
export function mergeMultipart(parts: MultipartReplyBody[]): MultipartReplyBody {
  if (parts.length === 0) throw new XsiteError('OFP_BAD_MULTIPART', 'empty multipart reply');
  const first = parts[0]!;
  if (parts.length === 1) return first;
  switch (first.mpType) {
    case 'flow':
    case 'table':
    case 'port_stats':
    case 'group':
    case 'meter':
      return { mpType: first.mpType, stats: parts.flatMap((p) => ('stats' in p ? (p.stats as never[]) : [])) } as MultipartReplyBody;
    case 'port_desc':
      return { mpType: 'port_desc', ports: parts.flatMap((p) => (p.mpType === 'port_desc' ? p.ports : [])) };
    case 'group_desc':
      return { mpType: 'group_desc', groups: parts.flatMap((p) => (p.mpType === 'group_desc' ? p.groups : [])) };
    case 'meter_config':
      return { mpType: 'meter_config', configs: parts.flatMap((p) => (p.mpType === 'meter_config' ? p.configs : [])) };
    default:
      return first;
  }
}

/** A bundle opened on a switch and not yet committed or discarded. */
export interface OpenBundle {
  readonly bundleId: number;
  readonly flags: number;
  /** Message index by the xid its add carried (to name a message that fails only at commit). */
  readonly indexOf: ReadonlyMap<number, number>;
}

function bundleRefused(refused: { index: number; errType: number; code: number }[], what: string): XsiteError {
  const first = refused[0]!;
  return new XsiteError(
    'OFP_BUNDLE_REFUSED',
    `switch refused ${refused.length} message(s) of the bundle (first: #${first.index}, type ${first.errType} code ${first.code}); ${what}, nothing applied`,
    { refused },
  );
}
