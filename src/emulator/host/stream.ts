/**
 * "Session kept?" check: a TCP client streams a known byte sequence (deterministic from a seed) to a server, which
 * checks every byte as it arrives. The stream is kept when every byte arrived, in order, unchanged, and the
 * connection closed normally (no reset, no give-up).
 *
 * Writes can be paced (`chunkBytes` every `intervalMs`) so the stream spans an event such as a migration; the
 * receiver also records the longest pause between two deliveries (`maxStallMs`), the TCP-level blackout.
 *
 * Everything runs on events; the promise settles when the server saw the end of the stream, a reset or a timeout,
 * or when `timeoutMs` elapsed. In virtual time: `const p = verifyStream(...); clock.advance(...); await p` or
 * `await settle(clock, p)`.
 */
import type { Clock } from '../../core/clock';
import { type Random, seededRandom } from '../../core/random';
import type { TcpCloseReason, TcpConnection, TcpStack } from './tcp';

/** A deterministic byte stream from a seed (4 bytes per PRNG draw), any chunking yields the same sequence. */
export class PatternStream {
  private rnd: Random;
  private word = 0;
  private left = 0;
  /** Bytes produced so far. */
  position = 0;

  constructor(seed: number) {
    this.rnd = seededRandom(seed);
  }

  nextByte(): number {
    if (this.left === 0) {
      this.word = Math.floor(this.rnd() * 0x100000000) >>> 0;
      this.left = 4;
    }
    this.left--;
    this.position++;
    return (this.word >>> (this.left * 8)) & 0xff;
  }

  next(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.nextByte();
    return b;
  }
}

/** The first `n` bytes of the pattern of `seed`. */
export function patternBytes(seed: number, n: number): Buffer {
  return new PatternStream(seed).next(n);
}

/** What verifyStream needs from a host. */
export interface StreamHost {
  readonly tcp: TcpStack;
  readonly clock: Clock;
}

export interface VerifyStreamOptions {
  client: StreamHost;
  server: StreamHost;
  /** Address the client connects to (the server's). */
  serverIp: string;
  /** Server port (listened on for the duration) [5001]. */
  port?: number;
  /** Bytes to send [1 MiB]. */
  bytes?: number;
  /** Pattern seed [1]. */
  seed?: number;
  /** Bytes per write [16384]. */
  chunkBytes?: number;
  /** Time between writes; 0 writes everything at once [0]. */
  intervalMs?: number;
  /** Settle with `kept: false, timedOut: true` after this long [none]. */
  timeoutMs?: number;
}

export interface StreamReport {
  /** Every byte arrived in order and intact, the stream ended normally, no reset or give-up. */
  kept: boolean;
  connected: boolean;
  bytesSent: number;
  bytesReceived: number;
  /** Offset of the first wrong byte (-1: none). */
  firstMismatchAt: number;
  /** A RST ended the connection (either side). */
  reset: boolean;
  /** The client gave up retransmitting, or `timeoutMs` elapsed. */
  timedOut: boolean;
  /** How the client connection ended (undefined while open). */
  clientClose: TcpCloseReason | undefined;
  /** Segments the client sent again. */
  retransmits: number;
  /** Retransmission timeouts at the client. */
  timeouts: number;
  /** Longest time between two data deliveries at the server (after the first). */
  maxStallMs: number;
  startedAt: number;
  durationMs: number;
}

/** Streams a known byte sequence from `client` to `server` and checks it; see {@link StreamReport}. */
export function verifyStream(o: VerifyStreamOptions): Promise<StreamReport> {
  const clock = o.client.clock;
  const port = o.port ?? 5001;
  const total = o.bytes ?? 1 << 20;
  const seed = o.seed ?? 1;
  const chunk = o.chunkBytes ?? 16384;
  const interval = o.intervalMs ?? 0;
  const startedAt = clock.now();
  const report: StreamReport = {
    kept: false,
    connected: false,
    bytesSent: 0,
    bytesReceived: 0,
    firstMismatchAt: -1,
    reset: false,
    timedOut: false,
    clientClose: undefined,
    retransmits: 0,
    timeouts: 0,
    maxStallMs: 0,
    startedAt,
    durationMs: 0,
  };
  return new Promise((resolve) => {
    let done = false;
    let client: TcpConnection | undefined;
    let lastRx = NaN;
    const expect = new PatternStream(seed);
    const source = new PatternStream(seed);
    const finishWith = (ok: boolean): void => {
      if (done) return;
      done = true;
      listener.close();
      if (client) {
        report.retransmits = client.counters.retransmits;
        report.timeouts = client.counters.timeouts;
        report.clientClose = client.closeReason;
      }
      report.kept = ok && !report.reset && !report.timedOut && report.firstMismatchAt < 0 && report.bytesReceived === total;
      report.durationMs = clock.now() - startedAt;
      resolve(report);
    };
    const listener = o.server.tcp.listen(port, (conn) => {
      conn.on('data', (d) => {
        const now = clock.now();
        if (!Number.isNaN(lastRx) && now - lastRx > report.maxStallMs) report.maxStallMs = now - lastRx;
        lastRx = now;
        for (let i = 0; i < d.length; i++) {
          if (d[i] !== expect.nextByte() && report.firstMismatchAt < 0) report.firstMismatchAt = report.bytesReceived + i;
        }
        report.bytesReceived += d.length;
      });
      conn.on('end', () => {
        conn.close();
        finishWith(true);
      });
      conn.on('reset', () => {
        report.reset = true;
        finishWith(false);
      });
      conn.on('close', (reason) => {
        if (reason === 'timeout') report.timedOut = true;
        if (!done) finishWith(false);
      });
    });
    const c = o.client.tcp.open(o.serverIp, port);
    client = c;
    const writeSome = (): void => {
      do {
        if (done || !c.writable) return;
        const n = Math.min(chunk, total - report.bytesSent);
        if (n > 0) {
          c.write(source.next(n));
          report.bytesSent += n;
        }
        if (report.bytesSent >= total) {
          c.close();
          return;
        }
      } while (interval <= 0);
      clock.setTimeout(writeSome, interval);
    };
    c.on('connect', () => {
      report.connected = true;
      writeSome();
    });
    c.on('reset', () => {
      report.reset = true;
      finishWith(false);
    });
    c.on('close', (reason) => {
      if (reason === 'timeout') report.timedOut = true;
      if (reason !== 'normal') finishWith(false);
    });
    if (o.timeoutMs !== undefined) {
      clock.setTimeout(() => {
        if (done) return;
        report.timedOut = true;
        finishWith(false);
      }, o.timeoutMs);
    }
  });
}
