import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from '../../core/clock';
import { RealClock } from '../../core/clock';
import { XsiteError } from '../../core/errors';
import {
  CHANNEL_PROTOCOL_VERSIONS,
  type ChannelClient,
  type ChannelClientEvents,
  type ChannelCloseReason,
  type ChannelEnvelope,
  type ChannelJob,
  type JobHandler,
  type LocalRequestHandler,
  type Outcome,
  type RequestOptions,
  type ResyncState,
} from '../../ports/control-channel';
import { channelMac } from './auth';
import { ChannelConnection, type ChannelTimingOptions } from './connection';
import { errorFromBody, toOutcome } from './envelope';
import { RecentJobResults } from './job-results';

export interface ChannelClientOptions extends ChannelTimingOptions {
  dc: string;
  secret: string | Buffer;
  /** Opens a fresh byte stream to central (e.g. `() => connectTcp(host, port, tls)`); called for every (re)connect. */
  connect: () => Duplex | Promise<Duplex>;
  /** Versions offered in hello. Default CHANNEL_PROTOCOL_VERSIONS. */
  versions?: readonly number[];
  /** Reconnect delay: initialBackoffMs * 2^attempt, capped at maxBackoffMs. Defaults 100 and 10000 ms. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Randomise each delay to 50-100 % of the computed value (avoids reconnect storms). Default true. */
  jitter?: boolean;
  /** How many finished job outcomes to remember against duplicates. Default 4096. */
  jobResultCapacity?: number;
}

// Typed events (declaration merging with the class below).
export interface ControlChannelClient {
  on<E extends keyof ChannelClientEvents>(event: E, listener: ChannelClientEvents[E]): this;
  off<E extends keyof ChannelClientEvents>(event: E, listener: ChannelClientEvents[E]): this;
  once<E extends keyof ChannelClientEvents>(event: E, listener: ChannelClientEvents[E]): this;
  emit<E extends keyof ChannelClientEvents>(event: E, ...args: Parameters<ChannelClientEvents[E]>): boolean;
}

/**
 * Local side of the control channel: keeps one authenticated stream to central, reconnecting with exponential backoff
 * after every loss; executes jobs at most once per id (remembering recent outcomes), resyncs after every connect.
 *
 * Per-stream phases: await_hello (central's challenge) -> await_ok (our answer sent) -> open.
 */
export class ControlChannelClient extends EventEmitter implements ChannelClient {
  readonly dc: string;
  /** Finished job outcomes (bounded). */
  readonly results: RecentJobResults;
  /** Times the job handler was started (tests, metrics). */
  jobsExecuted = 0;

  private readonly clock: Clock;
  private readonly ownClock: RealClock | undefined;
  private readonly versions: readonly number[];
  private readonly running = new Map<string, Promise<Outcome>>();
  private conn: ChannelConnection | undefined;
  private phase: 'idle' | 'connecting' | 'await_hello' | 'await_ok' | 'open' = 'idle';
  private attempt = 0;
  private reconnectTimer: TimerHandle | undefined;
  private stopped = false;
  private started = false;
  private jobHandler: JobHandler | undefined;
  private requestHandler: LocalRequestHandler | undefined;
  private firstConnect: { promise: Promise<void>; resolve(): void; reject(e: Error): void; settled: boolean } | undefined;

  constructor(private readonly opts: ChannelClientOptions) {
    super();
    this.dc = opts.dc;
    if (opts.clock === undefined) this.ownClock = new RealClock();
    this.clock = opts.clock ?? this.ownClock!;
    this.versions = opts.versions ?? CHANNEL_PROTOCOL_VERSIONS;
    this.results = new RecentJobResults(opts.jobResultCapacity ?? 4096);
  }

  get isConnected(): boolean {
    return this.phase === 'open';
  }

  /** The current stream (tests use it to cut the transport). */
  get connection(): ChannelConnection | undefined {
    return this.conn;
  }

  connect(): Promise<void> {
    if (this.firstConnect === undefined) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined); // the caller may not await it; failures are also emitted as `failed`
      this.firstConnect = { promise, resolve, reject, settled: false };
    }
    if (this.stopped) this.settleFirst(new XsiteError('CHANNEL_CLOSED', 'client closed'));
    else if (!this.started) {
      this.started = true;
      void this.open();
    }
    return this.firstConnect.promise;
  }

  onJob(handler: JobHandler): void {
    this.jobHandler = handler;
  }

  onRequest(handler: LocalRequestHandler): void {
    this.requestHandler = handler;
  }

  request<R = unknown>(message: unknown, opts: RequestOptions = {}): Promise<R> {
    if (this.phase !== 'open' || this.conn === undefined) {
      return Promise.reject(new XsiteError('CHANNEL_CLOSED', `${this.dc}: not connected to central`));
    }
    return this.conn.request(message, opts.timeoutMs) as Promise<R>;
  }

  send(event: unknown): void {
    if (this.phase !== 'open' || this.conn === undefined) {
      throw new XsiteError('CHANNEL_CLOSED', `${this.dc}: not connected to central`);
    }
    this.conn.write('event', this.conn.allocId(), event);
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clock.clearTimeout(this.reconnectTimer);
    this.conn?.close('local_close');
    this.settleFirst(new XsiteError('CHANNEL_CLOSED', 'client closed before connecting'));
    this.ownClock?.clearAll();
  }

  // ------------------------------------------------------------------------------------------------------------

  private settleFirst(err?: Error): void {
    const f = this.firstConnect;
    if (f === undefined || f.settled) return;
    f.settled = true;
    if (err === undefined) f.resolve();
    else f.reject(err);
  }

  private async open(): Promise<void> {
    this.phase = 'connecting';
    let stream: Duplex;
    try {
      stream = await this.opts.connect();
    } catch {
      this.phase = 'idle';
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      stream.destroy();
      return;
    }
    const conn = new ChannelConnection(stream, { ...this.opts, clock: this.clock, versions: this.versions, idPrefix: 'c' });
    this.conn = conn;
    this.phase = 'await_hello';
    conn.on('envelope', (env: ChannelEnvelope) => {
      if (this.conn === conn) this.onEnvelope(conn, env);
    });
    conn.on('close', (reason: ChannelCloseReason) => this.onClose(conn, reason));
  }

  private onClose(conn: ChannelConnection, reason: ChannelCloseReason): void {
    if (this.conn !== conn) return;
    const wasOpen = this.phase === 'open';
    this.conn = undefined;
    this.phase = 'idle';
    if (wasOpen) this.emit('disconnected', reason);
    if (!this.stopped) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const initial = this.opts.initialBackoffMs ?? 100;
    const max = this.opts.maxBackoffMs ?? 10_000;
    let delay = Math.min(max, initial * 2 ** Math.min(this.attempt, 30));
    if (this.opts.jitter ?? true) delay *= 0.5 + Math.random() * 0.5;
    this.attempt++;
    this.emit('reconnecting', this.attempt, delay);
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) void this.open();
    }, delay);
  }

  private fail(conn: ChannelConnection, err: XsiteError, reason: ChannelCloseReason): void {
    this.stopped = true;
    this.clock.clearTimeout(this.reconnectTimer);
    conn.close(reason, err);
    this.settleFirst(err);
    this.emit('failed', err);
  }

  private onEnvelope(conn: ChannelConnection, env: ChannelEnvelope): void {
    if (this.phase === 'await_hello' || this.phase === 'await_ok') {
      this.onHandshake(conn, env);
      return;
    }
    switch (env.kind) {
      case 'job':
        this.onJobMessage(env);
        return;
      case 'request': {
        const handler = this.requestHandler;
        conn.serve(env.id, () => {
          if (handler === undefined) throw new XsiteError('CHANNEL_NO_HANDLER', `${this.dc} has no request handler`);
          return handler(env.body);
        });
        return;
      }
      case 'event':
        this.emit('message', env.body);
        return;
      default:
        return;
    }
  }

  private onHandshake(conn: ChannelConnection, env: ChannelEnvelope): void {
    const body = (typeof env.body === 'object' && env.body !== null ? env.body : {}) as Record<string, unknown>;
    if (env.kind === 'auth_fail') {
      const e = errorFromBody(env.body, 'CHANNEL_AUTH');
      this.fail(conn, new XsiteError('CHANNEL_AUTH', `${this.dc}: central refused authentication: ${e.message}`), 'auth_failed');
      return;
    }
    if (env.kind === 'error') {
      const e = errorFromBody(env.body);
      if (e.code === 'CHANNEL_VERSION') this.fail(conn, e, 'version_mismatch');
      else conn.close('bad_frame', e); // retried with backoff
      return;
    }
    if (this.phase === 'await_hello' && env.kind === 'hello') {
      const nonce = body['nonce'];
      if (typeof nonce !== 'string' || nonce.length < 16) {
        conn.close('bad_frame', new XsiteError('CHANNEL_BAD_FRAME', 'central hello without a nonce'));
        return;
      }
      this.phase = 'await_ok'; // before writing: over an in-memory stream the answer can arrive inside write()
      conn.write('hello', conn.allocId(), { dc: this.dc, versions: [...this.versions], mac: channelMac(this.opts.secret, nonce, this.dc) }, this.dc);
      return;
    }
    if (this.phase === 'await_ok' && env.kind === 'hello_ok') {
      const version = body['version'];
      if (typeof version !== 'number' || !this.versions.includes(version)) {
        this.fail(conn, new XsiteError('CHANNEL_VERSION', `central chose version ${String(version)}`), 'version_mismatch');
        return;
      }
      conn.established(version);
      this.phase = 'open';
      this.attempt = 0;
      const state: ResyncState = { completed: this.results.ids(), inProgress: [...this.running.keys()] };
      conn.write('resync', conn.allocId(), state);
      this.emit('connected');
      this.settleFirst();
      return;
    }
    // Anything else before hello_ok is a protocol violation by central: drop the stream and retry.
    conn.close('bad_frame', new XsiteError('CHANNEL_BAD_FRAME', `unexpected ${env.kind} during the handshake`));
  }

  private onJobMessage(env: ChannelEnvelope): void {
    const id = env.id;
    const done = this.results.get(id);
    if (done !== undefined) {
      this.ack(id, done); // a re-send (lost ack) or a duplicate: answer from memory, never run twice
      return;
    }
    if (this.running.has(id)) return; // acked on whatever stream is open when it finishes
    const body = (typeof env.body === 'object' && env.body !== null ? env.body : {}) as Record<string, unknown>;
    const job: ChannelJob = { id, type: typeof body['type'] === 'string' ? body['type'] : '', body: body['body'] ?? null };
    const handler = this.jobHandler;
    if (handler === undefined) {
      // Not remembered: the job may run once a handler is registered and central re-sends it.
      this.ack(id, { ok: false, error: { code: 'CHANNEL_NO_HANDLER', message: `${this.dc} has no job handler` } });
      return;
    }
    this.jobsExecuted++;
    const run = toOutcome(() => handler(job));
    this.running.set(id, run);
    void run.then((outcome) => {
      this.running.delete(id);
      this.results.set(id, outcome);
      this.ack(id, outcome);
    });
  }

  private ack(id: string, outcome: Outcome): void {
    if (this.phase !== 'open' || this.conn === undefined) return; // central re-sends it after the next resync
    this.conn.sendOutcome('job_ack', id, outcome);
  }
}
