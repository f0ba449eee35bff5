/**
 * Running external commands for the lab (ip, ethtool, ovs-*): `execFile` with a timeout, no shell, and failures
 * turned into {@link XsiteError}s with code `LAB_COMMAND_FAILED` that carry the command line, exit status and stderr.
 */
import { execFile } from 'node:child_process';
import { XsiteError } from '../core/errors';

/** Options of {@link run}. */
export interface RunOptions {
  /** Kill the command (SIGKILL) after this many milliseconds. Default 15000. */
  timeoutMs?: number;
  /** Environment of the command (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  /** Resolve with the result instead of throwing when the command fails (non-zero exit, signal, timeout). */
  allowFail?: boolean;
}

/** What a command printed and how it ended. */
export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when killed by a signal (then `signal` is set) or when it could not be started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the command was killed because it exceeded its timeout. */
  timedOut: boolean;
}

/** Quotes an argument for display in messages (never passed to a shell). */
function q(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The display form of a command line. */
export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(q).join(' ');
}

/**
 * Runs `cmd args...` without a shell. Throws `LAB_COMMAND_FAILED` (details: cmd, args, code, signal, stderr, stdout,
 * timedOut) unless `allowFail` is set.
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 15000;
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args as string[],
      { timeout: timeoutMs, killSignal: 'SIGKILL', env: opts.env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: NodeJS.Signals | null }) | null;
        const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
        const signal = e?.signal ?? null;
        const timedOut = !!e && e.killed === true && signal === 'SIGKILL';
        const result: RunResult = { stdout, stderr, code, signal, timedOut };
        if (!e || opts.allowFail) {
          resolve(result);
          return;
        }
        const why = timedOut
          ? `timed out after ${timeoutMs} ms`
          : typeof e.code === 'string'
            ? `could not start (${e.code})`
            : signal
              ? `killed by ${signal}`
              : `exit status ${String(code)}`;
        const tail = stderr.trim() || stdout.trim();
        reject(
          new XsiteError('LAB_COMMAND_FAILED', `${commandLine(cmd, args)}: ${why}${tail ? `: ${tail.slice(0, 2000)}` : ''}`, {
            cmd,
            args: [...args],
            code,
            signal,
            timedOut,
            stderr,
            stdout,
          }),
        );
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
