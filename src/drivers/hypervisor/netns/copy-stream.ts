/**
 * The `netns` hypervisor's memory copy: a real TCP byte stream on 127.0.0.1, paced to a rate, between a sender and a
 * receiver socket of a helper process (node). The helper keeps the bytes off the controllers' event loop: pumping
 * hundreds of MB/s through sockets of the process that also runs the in-process controllers delayed their switchover
 * work, most of all with several migrations at once.
 *
 * Protocol on the helper's stdin/stdout (one line each): it prints `ready` once connected; `send N` -> `done MS` once
 * the receiver has N more bytes (MS: elapsed); `close` (or stdin closing) ends it. Errors print `error TEXT` and exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as os from 'node:os';
import { XsiteError } from '../../../core/errors';

/** Niceness of the copy stream's helper process (lower priority than the controllers and the switches). */
export const COPY_STREAM_NICE = 10;

/** Thrown by {@link CopyStream.send} when the signal fired. */
export class StreamAborted extends Error {}

const HELPER = `
const net = require('net');
const rate = Number(process.argv[1]);
const CHUNK = 64 * 1024;
const FILLER = Buffer.alloc(CHUNK, 0xa5);
const out = (l) => process.stdout.write(l + '\\n');
const fail = (e) => { out('error ' + (e && e.message || e)); process.exit(1); };
const server = net.createServer();
server.on('error', fail);
server.listen(0, '127.0.0.1', () => {
  const tx = net.connect(server.address().port, '127.0.0.1');
  tx.setNoDelay(true);
  tx.on('error', fail);
  let received = 0, sent = 0, waiter;
  server.once('connection', (rx) => {
    rx.on('error', fail);
    rx.on('data', (d) => {
      received += d.length;
      if (waiter && received >= waiter.target) { const w = waiter; waiter = undefined; w.done(); }
    });
    out('ready');
  });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const send = async (bytes) => {
    const t0 = performance.now();
    const target = sent + bytes;
    let here = 0;
    while (here < bytes) {
      const allowed = ((performance.now() - t0) * rate) / 1000 + CHUNK;
      if (here >= allowed) { await sleep(Math.max(1, Math.ceil(((here - allowed + CHUNK) * 1000) / rate))); continue; }
      const n = Math.min(CHUNK, bytes - here);
      const ok = tx.write(n === CHUNK ? FILLER : FILLER.subarray(0, n));
      here += n; sent += n;
      if (!ok) await new Promise((r) => tx.once('drain', r));
    }
    if (received < target) await new Promise((done) => (waiter = { target, done }));
    out('done ' + (performance.now() - t0).toFixed(3));
  };
  let queue = Promise.resolve();
  let buf = '';
  process.stdin.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\n')) >= 0) {
      const line = buf.slice(0, i).trim(); buf = buf.slice(i + 1);
      if (line === 'close') process.exit(0);
      const m = /^send (\\d+)$/.exec(line);
      if (m) queue = queue.then(() => send(Number(m[1]))).catch(fail);
    }
  });
  process.stdin.on('end', () => process.exit(0));
});
`;

/** A paced TCP byte stream run by a helper process; `send(n)` resolves when the receiver has taken `n` more bytes. */
export class CopyStream {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private buf = '';
  private readonly lines: string[] = [];
  private wake: (() => void) | undefined;
  private broken: Error | undefined;

  constructor(
    private readonly rate: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Starts the helper and waits until its two sockets are connected. */
  async open(timeoutMs = 10_000): Promise<void> {
    const child = spawn(process.execPath, ['-e', HELPER, String(this.rate)], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.child = child;
    // The bulk copy yields the CPU to the switches and the controllers: on a busy host, another VM's switchover must
    // not wait for this stream (a real migration stream is bulk traffic too).
    if (child.pid !== undefined) {
      try {
        os.setPriority(child.pid, COPY_STREAM_NICE);
      } catch {
        // Not allowed to lower it: it runs at the default priority.
      }
    }
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.once('error', (e) => this.fail(e));
    child.once('close', (code) => this.fail(new Error(`migration stream helper exited (${code})`)));
    child.stdout!.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (line.startsWith('error ')) this.fail(new Error(line.slice(6)));
        else this.lines.push(line);
      }
      this.wake?.();
    });
    await this.next('ready', timeoutMs, false);
  }

  /** Sends `bytes` bytes (paced) and resolves when the receiver has them all; returns the elapsed ms. */
  async send(bytes: number, honourSignal: boolean): Promise<number> {
    if (honourSignal && this.signal?.aborted) throw new StreamAborted('aborted');
    if (this.broken) throw this.broken;
    this.child!.stdin!.write(`send ${Math.max(0, Math.round(bytes))}\n`);
    const line = await this.next('done ', Infinity, honourSignal);
    return Number(line.slice(5));
  }

  /** Ends the helper (idempotent). */
  async close(): Promise<void> {
    this.broken ??= new Error('migration stream closed');
    const child = this.child;
    if (child === undefined) return;
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin!.end('close\n');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(t);
    }
  }

  private fail(e: Error): void {
    this.broken ??= e;
    this.wake?.();
  }

  /** The next output line starting with `prefix`. */
  private async next(prefix: string, timeoutMs: number, honourSignal: boolean): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex((l) => l.startsWith(prefix));
      if (i >= 0) return this.lines.splice(i, 1)[0]!;
      if (honourSignal && this.signal?.aborted) throw new StreamAborted('aborted');
      if (this.broken) throw this.broken;
      if (Date.now() > deadline) throw new XsiteError('HYPERVISOR_FAILED', `migration stream: no "${prefix.trim()}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.wake = undefined;
          if (t !== undefined) clearTimeout(t);
          this.signal?.removeEventListener('abort', done);
          resolve();
        };
        const t = Number.isFinite(timeoutMs) ? setTimeout(done, Math.max(1, deadline - Date.now())) : undefined;
        if (honourSignal) this.signal?.addEventListener('abort', done, { once: true });
        this.wake = done;
      });
    }
  }
}
