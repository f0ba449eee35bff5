/**
 * QMP (QEMU Machine Protocol) client.
 *
 * {@link QmpProtocol} is the pure protocol: it is fed bytes, writes lines through a callback, and knows nothing about
 * sockets, so it is unit-testable with a fake stream. {@link QmpClient} runs it over any Duplex (a unix socket in
 * practice: {@link connectQmp}) and does the handshake: the server's greeting, then `qmp_capabilities`.
 *
 * Wire format: one JSON object per line. The server sends `{"QMP": {...}}` first, then replies
 * `{"return": ..., "id": ...}` / `{"error": {"class", "desc"}, "id": ...}` to commands and, at any time, events
 * `{"event": NAME, "data": {...}, "timestamp": {"seconds", "microseconds"}}`.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { XsiteError } from '../../../core/errors';

/** The server's greeting. */
export interface QmpGreeting {
  version: { qemu: { major: number; minor: number; micro: number }; package?: string };
  capabilities: string[];
}

/** An asynchronous event from QEMU. */
export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  /** Milliseconds since the epoch, from the event's timestamp (host clock of QEMU). */
  timestampMs: number;
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** Longest line accepted from the server (a `query-*` reply is a few KB; this only guards against garbage). */
const MAX_LINE = 16 * 1024 * 1024;

/**
 * The QMP protocol without I/O. Emits `greeting` (QmpGreeting), `event` (QmpEvent), `protocolError` (Error) and
 * `closed` (Error).
 */
export class QmpProtocol extends EventEmitter {
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closedWith: Error | undefined;
  private greetingValue: QmpGreeting | undefined;
  private readonly greetingWaiters: { resolve: (g: QmpGreeting) => void; reject: (e: Error) => void }[] = [];

  /** `write` sends one line (the protocol appends the newline). */
  constructor(private readonly write: (line: string) => void) {
    super();
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Number of commands waiting for their reply. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Resolves with the server's greeting (at once if it already came). */
  greeting(): Promise<QmpGreeting> {
    if (this.greetingValue) return Promise.resolve(this.greetingValue);
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => this.greetingWaiters.push({ resolve, reject }));
  }

  /** Feeds bytes received from the server. */
  feed(chunk: Buffer | string): void {
    if (this.closedWith) return;
    this.buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) this.handleLine(line);
      if (this.closedWith) return;
    }
    if (this.buf.length > MAX_LINE) this.close(new XsiteError('QMP_PROTOCOL', `QMP line longer than ${MAX_LINE} bytes`));
  }

  /**
   * Sends `{"execute": command, "arguments": args, "id": N}` and resolves with the `return` value. An `error` reply
   * rejects with XsiteError `QMP_ERROR` (details: command, class, desc).
   */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = `xsite-${this.nextId++}`;
    const msg: Record<string, unknown> = { execute: command, id };
    if (args !== undefined) msg.arguments = args;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject });
      try {
        this.write(JSON.stringify(msg));
      } catch (e) {
        this.pending.delete(id);
        reject(e as Error);
      }
    });
  }

  /**
   * Resolves with the next event named `name` for which `pred` holds; rejects with `QMP_TIMEOUT` after `timeoutMs`,
   * or with the close reason when the connection closes first.
   */
  waitEvent(name: string, pred: (e: QmpEvent) => boolean = () => true, timeoutMs = 30000): Promise<QmpEvent> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('closed', onClosed);
      };
      const onEvent = (e: QmpEvent): void => {
        if (e.event !== name) return;
        let ok = false;
        try {
          ok = pred(e);
        } catch (err) {
          done();
          reject(err as Error);
          return;
        }
        if (ok) {
          done();
          resolve(e);
        }
      };
      const onClosed = (err: Error): void => {
        done();
        reject(err);
      };
      const timer = setTimeout(() => {
        done();
        reject(new XsiteError('QMP_TIMEOUT', `no QMP event ${name} within ${timeoutMs} ms`, { event: name, timeoutMs }));
      }, timeoutMs);
      this.on('event', onEvent);
      this.on('closed', onClosed);
    });
  }

  /** Closes the protocol: every pending command and waiter rejects with `reason` (default `QMP_CLOSED`). */
  close(reason?: Error): void {
    if (this.closedWith) return;
    const err = reason ?? new XsiteError('QMP_CLOSED', 'QMP connection closed');
    this.closedWith = err;
    for (const [, p] of this.pending) p.reject(err);
    this.pending.clear();
    for (const w of this.greetingWaiters.splice(0)) w.reject(err);
    this.emit('closed', err);
  }

  private handleLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(line);
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      msg = v as Record<string, unknown>;
    } catch (e) {
      this.emitProtocolError(new XsiteError('QMP_PROTOCOL', `bad QMP line: ${line.slice(0, 200)}`, { line: line.slice(0, 2000) }));
      return;
    }
    if ('QMP' in msg) {
      const g = msg.QMP as QmpGreeting;
      this.greetingValue = g;
      for (const w of this.greetingWaiters.splice(0)) w.resolve(g);
      this.emit('greeting', g);
      return;
    }
    if (typeof msg.event === 'string') {
      const ts = msg.timestamp as { seconds?: number; microseconds?: number } | undefined;
      const ev: QmpEvent = {
        event: msg.event,
        data: (msg.data as Record<string, unknown> | undefined) ?? {},
        timestampMs: ts && typeof ts.seconds === 'number' ? ts.seconds * 1000 + Math.floor((ts.microseconds ?? 0) / 1000) : Date.now(),
      };
      this.emit('event', ev);
      return;
    }
    const id = msg.id === undefined ? undefined : String(msg.id);
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || id === undefined) {
      this.emitProtocolError(new XsiteError('QMP_PROTOCOL', `QMP reply with unknown id ${String(msg.id)}`, { line: line.slice(0, 2000) }));
      return;
    }
    this.pending.delete(id);
    if ('error' in msg) {
      const e = (msg.error ?? {}) as { class?: string; desc?: string };
      p.reject(
        new XsiteError('QMP_ERROR', `QMP ${p.command} failed: ${e.class ?? 'GenericError'}: ${e.desc ?? ''}`, {
          command: p.command,
          class: e.class,
          desc: e.desc,
        }),
      );
    } else {
      p.resolve(msg.return);
    }
  }

  private emitProtocolError(e: Error): void {
    // An unhandled 'error'-like event must not crash the process: only emit when someone listens.
    if (this.listenerCount('protocolError') > 0) this.emit('protocolError', e);
  }
}

/** Options of {@link QmpClient.open}. */
export interface QmpOpenOptions {
  /** Reject when the greeting + capabilities handshake takes longer. Default 10000. */
  timeoutMs?: number;
  /** Capabilities to enable with `qmp_capabilities` (e.g. `oob`). Default none. */
  enable?: string[];
}

/**
 * A QMP connection over a Duplex: emits `event` (QmpEvent) and `close` (Error). Create it with {@link QmpClient.open}
 * (any Duplex) or {@link connectQmp} (a unix socket).
 */
export class QmpClient extends EventEmitter {
  readonly protocol: QmpProtocol;
  private greetingValue: QmpGreeting | undefined;

  private constructor(private readonly stream: Duplex) {
    super();
    this.protocol = new QmpProtocol((line) => {
      stream.write(`${line}\n`);
    });
    this.protocol.on('event', (e: QmpEvent) => this.emit('event', e));
    this.protocol.on('closed', (e: Error) => this.emit('close', e));
    stream.on('data', (d: Buffer | string) => this.protocol.feed(d));
    stream.on('error', (e: Error) =>
      this.protocol.close(new XsiteError('QMP_CLOSED', `QMP connection failed: ${e.message}`, { cause: e.message })),
    );
    stream.on('close', () => this.protocol.close());
    stream.on('end', () => this.protocol.close());
  }

  /** The server's greeting (set once {@link open} resolved). */
  get greeting(): QmpGreeting | undefined {
    return this.greetingValue;
  }

  get closed(): boolean {
    return this.protocol.closed;
  }

  /** Wraps `stream`, waits for the greeting and negotiates capabilities. Destroys the stream on failure. */
  static async open(stream: Duplex, opts: QmpOpenOptions = {}): Promise<QmpClient> {
    const c = new QmpClient(stream);
    const timeoutMs = opts.timeoutMs ?? 10000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        (async () => {
          c.greetingValue = await c.protocol.greeting();
          await c.protocol.execute('qmp_capabilities', opts.enable?.length ? { enable: opts.enable } : undefined);
        })(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new XsiteError('QMP_TIMEOUT', `QMP handshake took longer than ${timeoutMs} ms`, { timeoutMs })),
            timeoutMs,
          );
        }),
      ]);
    } catch (e) {
      c.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return c;
  }

  /** Runs a command; see {@link QmpProtocol.execute}. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    return this.protocol.execute<T>(command, args);
  }

  /** See {@link QmpProtocol.waitEvent}. */
  waitEvent(name: string, pred?: (e: QmpEvent) => boolean, timeoutMs?: number): Promise<QmpEvent> {
    return this.protocol.waitEvent(name, pred, timeoutMs);
  }

  /** Closes the connection; pending commands reject with `QMP_CLOSED`. */
  close(): void {
    this.protocol.close();
    this.stream.destroy();
  }
}

/** Connects to a QMP unix socket and does the handshake. */
export function connectQmp(socketPath: string, opts: QmpOpenOptions = {}): Promise<QmpClient> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(socketPath);
    const onError = (e: Error): void => {
      sock.destroy();
      reject(new XsiteError('QMP_CONNECT', `cannot connect to QMP socket ${socketPath}: ${e.message}`, { socketPath }));
    };
    sock.once('error', onError);
    sock.once('connect', () => {
      sock.off('error', onError);
      QmpClient.open(sock, opts).then(resolve, reject);
    });
  });
}
