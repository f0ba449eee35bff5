import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from '../../core/clock';
import { RealClock } from '../../core/clock';
import { XsiteError } from '../../core/errors';
import {
  CHANNEL_PROTOCOL_VERSIONS,
  type CentralRequestHandler,
  type ChannelCloseReason,
  type ChannelEnvelope,
  type ChannelJob,
  type ChannelServer,
  type ChannelServerEvents,
  type DispatchOptions,
  type JobResult,
  type RequestOptions,
  type ResyncState,
} from '../../ports/control-channel';
import { newNonce, verifyMac } from './auth';
import { ChannelConnection, type ChannelTimingOptions } from './connection';
import { errorFromBody, MAX_ID_LENGTH } from './envelope';

/** Where the server finds each DC's shared secret; an unknown DC has none. */
export type SecretLookup = Record<string, string> | Map<string, string> | ((dc: string) => string | Buffer | undefined);

export interface ChannelServerOptions extends ChannelTimingOptions {
  secrets: SecretLookup;
  /** Versions the server speaks. Default CHANNEL_PROTOCOL_VERSIONS. */
  versions?: readonly number[];
  /** Default ack timeout of dispatchJob (ms); 0 = wait forever (across reconnects). Default 0. */
  jobTimeoutMs?: number;
}

interface Session {
  dc: string;
  conn: ChannelConnection;
  /** Increases with every session, so a job knows whether it was sent on the current one. */
  seq: number;
}

interface PendingJob {
  job: ChannelJob;
  promise: Promise<JobResult>;
  resolve(r: JobResult): void;
  reject(e: Error): void;
  timer: TimerHandle | undefined;
  /** Session seq the job was last sent on (0 = not sent). */
  sentOn: number;
}

// Typed events (declaration merging with the class below).
export interface ControlChannelServer {
  on<E extends keyof ChannelServerEvents>(event: E, listener: ChannelServerEvents[E]): this;
  off<E extends keyof ChannelServerEvents>(event: E, listener: ChannelServerEvents[E]): this;
  once<E extends keyof ChannelServerEvents>(event: E, listener: ChannelServerEvents[E]): this;
  emit<E extends keyof ChannelServerEvents>(event: E, ...args: Parameters<ChannelServerEvents[E]>): boolean;
}

/**
 * Central side of the control channel over any Duplex streams: challenge-response authentication per DC, one session
 * per DC (a new one replaces the old), jobs that survive reconnects until acked, requests both ways, events up.
 */
export class ControlChannelServer extends EventEmitter implements ChannelServer {
  private readonly clock: Clock;
  private readonly ownClock: RealClock | undefined;
  private readonly versions: readonly number[];
  private readonly sessions = new Map<string, Session>();
  /** Streams that have not authenticated yet. */
  private readonly unauthenticated = new Set<ChannelConnection>();
  private readonly jobs = new Map<string, Map<string, PendingJob>>();
  private requestHandler: CentralRequestHandler | undefined;
  private sessionSeq = 0;
  private closed = false;

  constructor(private readonly opts: ChannelServerOptions) {
    super();
    if (opts.clock === undefined) this.ownClock = new RealClock();
    this.clock = opts.clock ?? this.ownClock!;
    this.versions = opts.versions ?? CHANNEL_PROTOCOL_VERSIONS;
  }

  accept(stream: Duplex): void {
    if (this.closed) {
      stream.destroy();
      return;
    }
    const conn = new ChannelConnection(stream, { ...this.opts, clock: this.clock, versions: this.versions, idPrefix: 's' });
    this.unauthenticated.add(conn);
    const nonce = newNonce();
    const slot: { session?: Session } = {};
    conn.on('envelope', (env: ChannelEnvelope) => {
      if (slot.session === undefined) this.onHello(conn, nonce, env, slot);
      else this.onMessage(slot.session, env);
    });
    conn.on('close', (reason: ChannelCloseReason) => {
      this.unauthenticated.delete(conn);
      const session = slot.session;
      if (session !== undefined && this.sessions.get(session.dc) === session) {
        this.sessions.delete(session.dc);
        this.emit('disconnected', session.dc, reason);
      }
    });
    conn.write('hello', '0', { versions: [...this.versions], nonce });
  }

  connectedDcs(): string[] {
    return [...this.sessions.keys()];
  }

  isConnected(dc: string): boolean {
    return this.sessions.has(dc);
  }

  onRequest(handler: CentralRequestHandler): void {
    this.requestHandler = handler;
  }

  send(dc: string, message: unknown): void {
    const { conn } = this.session(dc);
    conn.write('event', conn.allocId(), message);
  }

  request<R = unknown>(dc: string, message: unknown, opts: RequestOptions = {}): Promise<R> {
    let s: Session;
    try {
      s = this.session(dc);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return s.conn.request(message, opts.timeoutMs) as Promise<R>;
  }

  dispatchJob<R = unknown>(dc: string, job: ChannelJob, opts: DispatchOptions = {}): Promise<JobResult<R>> {
    if (this.closed) return Promise.reject(new XsiteError('CHANNEL_CLOSED', 'channel server closed'));
    if (typeof job.id !== 'string' || job.id.length === 0 || job.id.length > MAX_ID_LENGTH) {
      return Promise.reject(new XsiteError('CHANNEL_BAD_FRAME', 'job id must be a non-empty string of at most 256 characters'));
    }
    if (this.secretOf(dc) === undefined) {
      return Promise.reject(new XsiteError('CHANNEL_UNKNOWN_DC', `unknown DC ${dc}`, { dc }));
    }
    let byId = this.jobs.get(dc);
    if (byId === undefined) this.jobs.set(dc, (byId = new Map()));
    const existing = byId.get(job.id);
    if (existing !== undefined) return existing.promise as Promise<JobResult<R>>;

    let resolve!: (r: JobResult) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<JobResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const p: PendingJob = { job: { id: job.id, type: job.type, body: job.body }, promise, resolve, reject, timer: undefined, sentOn: 0 };
    byId.set(job.id, p);
    const timeoutMs = opts.timeoutMs ?? this.opts.jobTimeoutMs ?? 0;
    if (timeoutMs > 0) {
      p.timer = this.clock.setTimeout(() => {
        if (this.jobs.get(dc)?.get(job.id) !== p) return;
        this.jobs.get(dc)!.delete(job.id);
        p.reject(new XsiteError('CHANNEL_TIMEOUT', `job ${job.id} not acked by ${dc} in ${timeoutMs} ms`, { dc, jobId: job.id }));
      }, timeoutMs);
    }
    const s = this.sessions.get(dc);
    if (s !== undefined) this.sendJob(s, p);
    return promise as Promise<JobResult<R>>;
  }

  pendingJobIds(dc: string): string[] {
    return [...(this.jobs.get(dc)?.keys() ?? [])];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const conn of [...this.unauthenticated]) conn.close('local_close');
    for (const s of [...this.sessions.values()]) s.conn.close('local_close');
    for (const [dc, byId] of this.jobs) {
      for (const p of byId.values()) {
        this.clock.clearTimeout(p.timer);
        p.reject(new XsiteError('CHANNEL_CLOSED', `channel server closed before ${dc} acked job ${p.job.id}`, { dc, jobId: p.job.id }));
      }
    }
    this.jobs.clear();
    this.ownClock?.clearAll();
  }

  // ------------------------------------------------------------------------------------------------------------

  private session(dc: string): Session {
    if (this.closed) throw new XsiteError('CHANNEL_CLOSED', 'channel server closed');
    const s = this.sessions.get(dc);
    if (s === undefined) {
      if (this.secretOf(dc) === undefined) throw new XsiteError('CHANNEL_UNKNOWN_DC', `unknown DC ${dc}`, { dc });
      throw new XsiteError('CHANNEL_CLOSED', `DC ${dc} is not connected`, { dc });
    }
    return s;
  }

  private secretOf(dc: string): string | Buffer | undefined {
    const s = this.opts.secrets;
    if (typeof s === 'function') return s(dc);
    if (s instanceof Map) return s.get(dc);
    return Object.prototype.hasOwnProperty.call(s, dc) ? s[dc] : undefined;
  }

  /**
   * Checks the client's hello; on success stores the new session in `slot` (before answering: over an in-memory
   * stream the client's next message can arrive inside the write), else answers and closes.
   */
  private onHello(conn: ChannelConnection, nonce: string, env: ChannelEnvelope, slot: { session?: Session }): void {
    const body = (typeof env.body === 'object' && env.body !== null ? env.body : {}) as Record<string, unknown>;
    if (env.kind !== 'hello') {
      conn.write('auth_fail', env.id, { code: 'CHANNEL_AUTH', message: `expected hello, got ${env.kind}` });
      conn.close('auth_failed', new XsiteError('CHANNEL_AUTH', `expected hello, got ${env.kind}`));
      return;
    }
    const theirs = Array.isArray(body['versions']) ? body['versions'].filter((v): v is number => Number.isInteger(v)) : [];
    const common = this.versions.filter((v) => theirs.includes(v));
    if (common.length === 0) {
      const err = new XsiteError('CHANNEL_VERSION', `no common protocol version (server ${this.versions.join(',')}, client ${theirs.join(',')})`, {
        supported: [...this.versions],
      });
      conn.write('error', env.id, { code: err.code, message: err.message, details: { supported: [...this.versions] } });
      conn.close('version_mismatch', err);
      return;
    }
    const dc = body['dc'];
    const mac = body['mac'];
    const secret = typeof dc === 'string' && dc.length > 0 && dc.length <= MAX_ID_LENGTH ? this.secretOf(dc) : undefined;
    if (typeof dc !== 'string' || typeof mac !== 'string' || secret === undefined || !verifyMac(secret, nonce, dc, mac)) {
      // The same answer for an unknown DC and a wrong secret: do not tell a prober which DC names exist.
      conn.write('auth_fail', env.id, { code: 'CHANNEL_AUTH', message: 'authentication failed' });
      conn.close('auth_failed', new XsiteError('CHANNEL_AUTH', 'authentication failed', { dc: typeof dc === 'string' ? dc : '' }));
      return;
    }
    const version = Math.max(...common);
    this.unauthenticated.delete(conn);
    const old = this.sessions.get(dc);
    if (old !== undefined) old.conn.close('replaced'); // emits disconnected(dc) for the old session
    const session: Session = { dc, conn, seq: ++this.sessionSeq };
    this.sessions.set(dc, session);
    slot.session = session;
    conn.established(version);
    conn.write('hello_ok', env.id, { version, dc });
    this.emit('connected', dc); // after hello_ok: listeners may send to the DC right away
  }

  private onMessage(s: Session, env: ChannelEnvelope): void {
    switch (env.kind) {
      case 'resync':
        this.onResync(s, parseResync(env.body));
        return;
      case 'job_ack':
        this.onJobAck(s, env);
        return;
      case 'request': {
        const handler = this.requestHandler;
        s.conn.serve(env.id, () => {
          if (handler === undefined) throw new XsiteError('CHANNEL_NO_HANDLER', 'central has no request handler');
          return handler(s.dc, env.body);
        });
        return;
      }
      case 'event':
        this.emit('message', s.dc, env.body);
        return;
      default:
        return; // hello again, stray error, ...: nothing to do
    }
  }

  private onResync(s: Session, state: ResyncState): void {
    const inProgress = new Set(state.inProgress);
    for (const p of this.jobs.get(s.dc)?.values() ?? []) {
      if (p.sentOn === s.seq) continue;
      if (inProgress.has(p.job.id)) {
        p.sentOn = s.seq; // the local is running it and will ack it on this session
        continue;
      }
      this.sendJob(s, p);
    }
    this.emit('resync', s.dc, state);
  }

  private onJobAck(s: Session, env: ChannelEnvelope): void {
    const byId = this.jobs.get(s.dc);
    const p = byId?.get(env.id);
    if (p === undefined) return; // a duplicate ack, or a job that timed out
    byId!.delete(env.id);
    this.clock.clearTimeout(p.timer);
    const body = env.body as { ok?: unknown; value?: unknown; error?: unknown } | null;
    if (typeof body === 'object' && body !== null && body.ok === true) {
      p.resolve({ jobId: env.id, dc: s.dc, value: body.value ?? null });
    } else {
      const err = errorFromBody(typeof body === 'object' && body !== null ? body.error : undefined, 'CHANNEL_HANDLER_FAILED');
      p.reject(err);
    }
  }

  private sendJob(s: Session, p: PendingJob): void {
    try {
      s.conn.write('job', p.job.id, { type: p.job.type, body: p.job.body });
      p.sentOn = s.seq;
    } catch (e) {
      const err = e as XsiteError;
      if (err.code === 'CHANNEL_BAD_FRAME') {
        // Too large to ever send: fail it now rather than re-sending on every reconnect.
        this.jobs.get(s.dc)?.delete(p.job.id);
        this.clock.clearTimeout(p.timer);
        p.reject(err);
      }
      // CHANNEL_CLOSED: stays pending, re-sent on the next resync.
    }
  }
}

function parseResync(body: unknown): ResyncState {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const ids = (x: unknown): string[] => (Array.isArray(x) ? x.filter((i): i is string => typeof i === 'string') : []);
  return { completed: ids(b['completed']), inProgress: ids(b['inProgress']) };
}
