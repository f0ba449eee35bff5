/**
 * The control channel between the central controller and the local controllers (seed 000 sections 4.1-4.2;
 * design/architecture.md "Processes"): jobs go down, acks and events come up, one stream per data center (DC).
 *
 * This file is transport-independent: the interfaces the central and local controllers program against, and the
 * wire format (envelope, frame, handshake) every implementation must speak. `src/drivers/channel/` implements it over
 * any Duplex byte stream (TCP, TLS, in-memory).
 *
 * Wire format
 * - A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON (one {@link ChannelEnvelope}).
 *   Length 0 or above the maximum frame size (default {@link DEFAULT_MAX_FRAME_BYTES}) is a framing error: the
 *   receiver answers `error` with `CHANNEL_BAD_FRAME` and closes (the byte stream cannot be trusted any more). A frame
 *   that is well delimited but is not JSON, or not a valid envelope, is answered with `error`/`CHANNEL_BAD_FRAME`
 *   and skipped; the channel stays up (before authentication it is closed instead).
 * - Handshake (challenge-response):
 *   1. server -> client `hello` `{ versions: number[], nonce: hex }`
 *   2. client -> server `hello` `{ dc, versions: number[], mac: hex }` with `mac = HMAC-SHA256(secret, nonce + ":" + dc)`
 *      (drivers/channel/auth.ts); `versions` lists every protocol version the client speaks.
 *   3. server -> client `hello_ok` `{ version, dc }` (the highest common version), or `error` `CHANNEL_VERSION` when no
 *      version is common, or `auth_fail` `CHANNEL_AUTH` when the DC is unknown or the MAC is wrong; both then close.
 *   4. client -> server `resync` {@link ResyncState}; the server re-sends the jobs of this DC that are not acked yet.
 * - `request`/`reply` correlate by `id`; `job`/`job_ack` use the job id as `id`; `ping`/`pong` echo the `id`;
 *   `event` is one-way. Replies and acks carry an {@link Outcome}; `error` carries an {@link ErrorBody}.
 */
import type { XsiteError } from '../core/errors';

/** Protocol versions this implementation speaks (envelope field `v`). */
export const CHANNEL_PROTOCOL_VERSIONS: readonly number[] = [1];

/** Default maximum frame payload size: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Stable error codes of the control channel. */
export const ChannelErrorCode = {
  /** Bad length, oversized, not JSON, not an envelope. */
  BAD_FRAME: 'CHANNEL_BAD_FRAME',
  /** No common protocol version, or a message in a version that was not negotiated. */
  VERSION: 'CHANNEL_VERSION',
  /** Unknown DC or wrong secret. */
  AUTH: 'CHANNEL_AUTH',
  /** The channel (or the DC's session) is closed, or closed before an answer arrived. */
  CLOSED: 'CHANNEL_CLOSED',
  /** No answer in time, or the peer stopped answering pings. */
  TIMEOUT: 'CHANNEL_TIMEOUT',
  /** dispatchJob/send/request to a DC the server has no secret for. */
  UNKNOWN_DC: 'CHANNEL_UNKNOWN_DC',
  /** A request or job arrived and no handler is registered. */
  NO_HANDLER: 'CHANNEL_NO_HANDLER',
  /** A job or request handler failed with an error that is not an XsiteError. */
  HANDLER_FAILED: 'CHANNEL_HANDLER_FAILED',
} as const;
export type ChannelErrorCode = (typeof ChannelErrorCode)[keyof typeof ChannelErrorCode];

export type ChannelKind =
  | 'hello'
  | 'hello_ok'
  | 'auth_fail'
  | 'job'
  | 'job_ack'
  | 'request'
  | 'reply'
  | 'event'
  | 'resync'
  | 'ping'
  | 'pong'
  | 'error';

export const CHANNEL_KINDS: readonly ChannelKind[] = [
  'hello',
  'hello_ok',
  'auth_fail',
  'job',
  'job_ack',
  'request',
  'reply',
  'event',
  'resync',
  'ping',
  'pong',
  'error',
];

/** One message on the wire. `body` is any JSON value. */
export interface ChannelEnvelope {
  v: number;
  kind: ChannelKind;
  id: string;
  dc?: string;
  body: unknown;
}

/** Body of `error` and the error half of an {@link Outcome}. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Body of `reply` and `job_ack`. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: ErrorBody };

/** A unit of work for a local controller. `id` is idempotent: the same id is executed at most once per local. */
export interface ChannelJob<B = unknown> {
  id: string;
  /** What to do, e.g. 'install_nat', 'migrate_phase2'. */
  type: string;
  /** JSON-serialisable parameters. */
  body: B;
}

/** What `dispatchJob` resolves with once the local controller acked the job (its switches confirmed it). */
export interface JobResult<R = unknown> {
  jobId: string;
  dc: string;
  /** What the local's job handler resolved with. */
  value: R;
}

/** Sent by the client right after `hello_ok` (on every connect and reconnect). */
export interface ResyncState {
  /** Ids of recent jobs the local has finished (successfully or not); their stored results are re-acked on re-send. */
  completed: string[];
  /** Ids of jobs running now; they are acked when they finish, so the server does not re-send them. */
  inProgress: string[];
}

/** Why a connection (one stream) ended. */
export type ChannelCloseReason =
  | 'peer_closed'
  | 'dead_peer'
  | 'handshake_timeout'
  | 'bad_frame'
  | 'version_mismatch'
  | 'auth_failed'
  | 'replaced'
  | 'local_close'
  | 'socket_error';

export interface RequestOptions {
  /** Overrides the channel's request timeout (ms). */
  timeoutMs?: number;
}

export interface DispatchOptions {
  /** Rejects with CHANNEL_TIMEOUT when not acked in time (ms). Default: the server's jobTimeoutMs (0 = wait forever). */
  timeoutMs?: number;
}

/** Handles a `request` from the other side; the resolved value is the reply, a rejection is an error reply. */
export type CentralRequestHandler = (dc: string, body: unknown) => unknown;
export type LocalRequestHandler = (body: unknown) => unknown;
/** Executes a job on the local side; the resolved value is acked as the result, a rejection as the job's error. */
export type JobHandler = (job: ChannelJob) => Promise<unknown>;

export interface ChannelServerEvents {
  /** A DC authenticated (a new session; a replaced session first emits `disconnected`). */
  connected: (dc: string) => void;
  disconnected: (dc: string, reason: ChannelCloseReason) => void;
  /** An `event` from a DC (e.g. first packet of a cross-site flow). */
  message: (dc: string, msg: unknown) => void;
  /** The DC resynced after (re)connecting; push fresh state to it now. */
  resync: (dc: string, state: ResyncState) => void;
}

/** Central side: accepts local controllers and knows each by its DC name. */
export interface ChannelServer {
  /** Takes one accepted byte stream (TCP, TLS, in-memory) and runs the handshake on it. */
  accept(stream: import('node:stream').Duplex): void;
  /** DCs with an authenticated session now. */
  connectedDcs(): string[];
  isConnected(dc: string): boolean;
  /** One-way message to a DC. Throws CHANNEL_CLOSED when the DC is not connected. */
  send(dc: string, message: unknown): void;
  /** Question to a DC; rejects with the DC's error code, CHANNEL_TIMEOUT or CHANNEL_CLOSED. */
  request<R = unknown>(dc: string, message: unknown, opts?: RequestOptions): Promise<R>;
  /**
   * Sends a job and resolves when the DC acks it. Survives reconnects of the DC: a job not acked is re-sent after the
   * DC resyncs. Dispatching an id that is still pending returns the same promise. Rejects with the job's error code
   * when the local handler failed, CHANNEL_UNKNOWN_DC, CHANNEL_TIMEOUT, or CHANNEL_CLOSED when the server closes.
   */
  dispatchJob<R = unknown>(dc: string, job: ChannelJob, opts?: DispatchOptions): Promise<JobResult<R>>;
  /** Ids of jobs dispatched to `dc` and not acked yet. */
  pendingJobIds(dc: string): string[];
  /** Answers requests from local controllers (e.g. allocate a NAT tuple). */
  onRequest(handler: CentralRequestHandler): void;
  on<E extends keyof ChannelServerEvents>(event: E, listener: ChannelServerEvents[E]): this;
  off<E extends keyof ChannelServerEvents>(event: E, listener: ChannelServerEvents[E]): this;
  once<E extends keyof ChannelServerEvents>(event: E, listener: ChannelServerEvents[E]): this;
  /** Closes every session; pending jobs and requests reject with CHANNEL_CLOSED. */
  close(): void;
}

export interface ChannelClientEvents {
  /** Authenticated and resync sent. */
  connected: () => void;
  disconnected: (reason: ChannelCloseReason) => void;
  /** A reconnect attempt is scheduled after `delayMs`. */
  reconnecting: (attempt: number, delayMs: number) => void;
  /** A one-way message from central. */
  message: (msg: unknown) => void;
  /** Authentication or version negotiation failed: the client stopped (it does not retry). */
  failed: (err: XsiteError) => void;
}

/** Local side: one per DC; keeps one stream to central, reconnecting with backoff by itself. */
export interface ChannelClient {
  readonly dc: string;
  readonly isConnected: boolean;
  /**
   * Starts connecting (and reconnecting after every loss until `close`). Resolves on the first authenticated session;
   * rejects with CHANNEL_AUTH / CHANNEL_VERSION (fatal, no retry) or CHANNEL_CLOSED when closed first.
   */
  connect(): Promise<void>;
  /** Registers the job executor. The client acks its result and remembers it (bounded) against duplicate job ids. */
  onJob(handler: JobHandler): void;
  /** Answers requests from central. */
  onRequest(handler: LocalRequestHandler): void;
  /** Question to central (e.g. allocate a NAT tuple). Rejects with CHANNEL_CLOSED when not connected. */
  request<R = unknown>(message: unknown, opts?: RequestOptions): Promise<R>;
  /** One-way event to central. Throws CHANNEL_CLOSED when not connected. */
  send(event: unknown): void;
  on<E extends keyof ChannelClientEvents>(event: E, listener: ChannelClientEvents[E]): this;
  off<E extends keyof ChannelClientEvents>(event: E, listener: ChannelClientEvents[E]): this;
  once<E extends keyof ChannelClientEvents>(event: E, listener: ChannelClientEvents[E]): this;
  /** Stops reconnecting and closes the stream; pending requests reject with CHANNEL_CLOSED. */
  close(): void;
}
