/**
 * A helper process of a hypervisor driver: a node script run in a network namespace (a migration endpoint's), whose
 * stdout lines the driver waits for (`next`), whose stdin takes commands (`write`), which ends on `close` or when its
 * stdin closes (so it never outlives the driver), SIGKILLed when it does not. A line `error TEXT` breaks it.
 * Used by the netns copy stream (./netns/copy-stream.ts) and the qemu migration relay (./qemu/migration-relay.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as os from 'node:os';
import { XsiteError } from '../../core/errors';

/** Niceness of the helper processes (bulk copies: lower priority than the controllers and the switches). */
export const HELPER_NICE = 10;

/**
 * The start of every helper script (prepended by {@link HelperProcess}): `out(line)` to stdout, `fail(e)` prints
 * `error TEXT` and exits, `CHUNK` (16 KiB, the unit paced writes go out in) and `refill(credit, ms, rate)`, a token
 * bucket's credit after `ms` at `rate` bytes/s (at most 4 chunks or 5 ms of `rate`, whichever is more).
 */
const PRELUDE = `
const out = (l) => process.stdout.write(l + '\\n');
const fail = (e) => { out('error ' + (e && e.message || e)); process.exit(1); };
const CHUNK = 16 * 1024;
const refill = (credit, ms, rate) => Math.min(credit + (ms * rate) / 1000, Math.max(4 * CHUNK, rate / 200));
`;

/** Thrown by a wait that honours the signal when the signal fired. */
export class StreamAborted extends Error {}

/** One helper process: its output lines, its failure, its end. */
export class HelperProcess {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private buf = '';
  private readonly lines: string[] = [];
  private wake: (() => void) | undefined;
  broken: Error | undefined;

  /**
   * Runs `script` (after the {@link PRELUDE}) with node (`node -e script ...args`), in network namespace `netns` when
   * given; `what` names it in errors. `signal` ends a wait in {@link next} when asked to honour it.
   */
  constructor(
    private readonly what: string,
    script: string,
    args: readonly string[],
    netns: string | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {
    const argv = [process.execPath, '-e', PRELUDE + script, ...args];
    const child = netns !== undefined ? spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['pipe', 'pipe', 'ignore'] }) : spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
    this.child = child;
    // The bulk copy yields the CPU to the switches and the controllers: on a busy host, another VM's switchover must
    // not wait for this stream (a real migration stream is bulk traffic too). (`ip netns exec` execs node: same PID.)
    if (child.pid !== undefined) {
      try {
        os.setPriority(child.pid, HELPER_NICE);
      } catch {
        // Not allowed to lower it: it runs at the default priority.
      }
    }
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.once('error', (e) => this.fail(e));
    child.once('close', (code) => this.fail(new Error(`${what} exited (${code})`)));
    child.stdin!.on('error', () => undefined);
    child.stdout!.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (line.startsWith('error ')) this.fail(new Error(`${what}: ${line.slice(6)}`));
        else this.lines.push(line);
      }
      this.wake?.();
    });
  }

  write(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Ends the process (idempotent): `close` on stdin, SIGKILL after 2 s. */
  async close(): Promise<void> {
    this.broken ??= new Error(`${this.what} closed`);
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin!.end('close\n');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(t);
    }
  }

  /** The next output line starting with `prefix`. */
  async next(prefix: string, timeoutMs: number, honourSignal: boolean): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex((l) => l.startsWith(prefix));
      if (i >= 0) return this.lines.splice(i, 1)[0]!;
      if (honourSignal && this.signal?.aborted) throw new StreamAborted('aborted');
      if (this.broken) throw this.broken;
      if (Date.now() > deadline) throw new XsiteError('HYPERVISOR_FAILED', `${this.what}: no "${prefix.trim()}" within ${timeoutMs} ms`);
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

  private fail(e: Error): void {
    this.broken ??= e;
    this.wake?.();
  }
}
