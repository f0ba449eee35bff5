/**
 * xsite controllers as separate processes (`xsite central`, `xsite local --dc ...`), started from this package's
 * launcher, their output kept line by line so a scenario can wait for what they report (listening ports, switches
 * reconciled, directory synced). Stopped by PID (SIGTERM, then SIGKILL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { XsiteError } from '../core/errors';

/** The package's `bin/xsite` launcher. */
export const XSITE_LAUNCHER = path.resolve(__dirname, '..', '..', '..', 'bin', 'xsite');

/** A free TCP port on 127.0.0.1 (bound and released; good enough for a scenario on this machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export class ControllerProcess {
  readonly lines: string[] = [];
  private readonly child: ChildProcess;
  private partial = '';
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    args: readonly string[],
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.child = spawn(process.execPath, [XSITE_LAUNCHER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (d: Buffer) => {
      const text = this.partial + d.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop()!;
      for (const l of parts) {
        this.lines.push(l);
        this.log(`[${this.name}] ${l}`);
      }
      for (const w of [...this.waiters]) w();
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.child.once('exit', () => {
      for (const w of [...this.waiters]) w();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /**
   * Resolves with the first match of `re` in a line from index `from` on; rejects with SCENARIO_TIMEOUT after
   * `timeoutMs`, or SCENARIO_PROCESS_EXITED when the process ends first.
   */
  waitFor(re: RegExp, opts: { from?: number; timeoutMs?: number } = {}): Promise<RegExpMatchArray> {
    const from = opts.from ?? 0;
    const timeoutMs = opts.timeoutMs ?? 20_000;
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = from; i < this.lines.length; i++) {
          const m = this.lines[i]!.match(re);
          if (m) {
            done();
            resolve(m);
            return true;
          }
        }
        if (this.exited) {
          done();
          reject(new XsiteError('SCENARIO_PROCESS_EXITED', `${this.name} exited before printing ${re}:\n${this.lines.slice(-20).join('\n')}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new XsiteError('SCENARIO_TIMEOUT', `${this.name} did not print ${re} in ${timeoutMs} ms:\n${this.lines.slice(-20).join('\n')}`));
      }, timeoutMs);
      const waiter = () => void check();
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      if (check()) return;
      this.waiters.add(waiter);
    });
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves when the process is gone. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    if ((await Promise.race([gone, timer])) === 'timeout' && !this.exited) {
      this.child.kill('SIGKILL');
      await gone;
    }
  }
}
