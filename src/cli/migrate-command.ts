/**
 * `xsite migrate <vm> --to <host> --api URL --token TOKEN [--json] [--no-wait]`: asks a running central controller to
 * live-migrate a VM (`POST /v1/migrations`), then follows it (`GET /v1/migrations/:id/events`, Server-Sent Events):
 * a progress bar on stderr when stderr is a terminal (state, copy phase, round, bytes copied / total, dirty rate,
 * time left), plain progress lines otherwise. Prints the final record (JSON with --json, else a summary) on stdout.
 *
 * Exit codes: 0 completed (or accepted, with --no-wait), 1 rolled back or failed, 2 the request failed (the API's
 * error code is in the message: `[MIGRATION_SAME_HOST]`, ...) or the API could not be reached.
 */
import type { Command } from 'commander';
import type { MigrationRecord } from '../model/migration';
import { isActiveMigration } from '../model/migration';

export interface MigrateCommandOptions {
  vm: string;
  to: string;
  api: string;
  token: string;
  json?: boolean;
  /** false: print the accepted record and return (`--no-wait`). Default true. */
  wait?: boolean;
  /** Timeout of each plain request (not of the event stream), ms; default 30 s. */
  timeoutMs?: number;
  /** How often to reconnect to the event stream when it drops before the end (default 5). */
  reconnects?: number;
}

export interface MigrateOutput {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Draw a progress bar (stderr is a terminal). */
  isTTY?: boolean;
  /** Terminal width for the bar (default 80). */
  columns?: number;
  now?: () => number;
}

// ---- formatting (pure)

/** `1.5 GiB`, `512 B`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** `850 ms`, `4.2 s`, `2 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** A number of milliseconds as in the summary (`12.3 ms`). */
function msText(ms: number): string {
  return `${Math.round(ms * 10) / 10} ms`;
}

/**
 * One line of progress: the migration's state, the copy phase and round, bytes copied and the memory, the dirty rate and the
 * time left. With `bar`, a bar `[#####.....]` of `barWidth` cells (default 20) comes first, for a terminal.
 */
export function formatProgressLine(rec: MigrationRecord, o: { bar?: boolean; barWidth?: number } = {}): string {
  const p = rec.progress;
  if (p === undefined) return `${rec.vm}: ${rec.state}`;
  const frac = p.bytesTotal > 0 ? Math.min(1, Math.max(0, p.bytesCopied / p.bytesTotal)) : 0;
  const pct = `${Math.floor(frac * 100)}%`;
  const left = p.estimatedRemainingMs !== undefined ? `, ${formatDuration(p.estimatedRemainingMs)} left` : '';
  // Bytes copied count every round: past the first they exceed the memory.
  const figures = `${p.phase} round ${p.round}, ${formatBytes(p.bytesCopied)} copied (memory ${formatBytes(p.bytesTotal)}), dirty ${formatBytes(p.dirtyBytesPerSec)}/s${left}`;
  if (!o.bar) return `${rec.vm} ${rec.state}: ${figures} (${pct})`;
  const w = Math.max(5, o.barWidth ?? 20);
  const full = Math.round(frac * w);
  return `${rec.vm} [${'#'.repeat(full)}${'.'.repeat(w - full)}] ${pct.padStart(4)} ${rec.state} ${figures}`;
}

/** A state change, as a line. */
export function formatStateLine(rec: MigrationRecord): string {
  const err = rec.error !== undefined && rec.state !== 'completed' ? ` [${rec.error.code}] ${rec.error.message}` : '';
  return `${rec.vm}: ${rec.state}${err}`;
}

/** The record of an accepted request (`--no-wait`). */
export function formatAccepted(rec: MigrationRecord): string {
  return `migration ${rec.id} accepted: ${rec.vm} (${rec.tenant}) ${rec.fromHost} (${rec.fromDc}) -> ${rec.toHost} (${rec.toDc}), state ${rec.state}\n`;
}

/** The readable summary of a (final) record: status, phases, downtime, switchover, flow mods, NAT tuples. */
export function formatSummary(rec: MigrationRecord): string {
  const where = rec.state === 'completed' ? `now on ${rec.toHost}` : isActiveMigration(rec.state) ? 'still running' : `still on ${rec.fromHost}`;
  const lines = [`migration ${rec.id}: ${rec.state} (${where})`, `  ${rec.vm} (${rec.tenant}): ${rec.fromHost} (${rec.fromDc}) -> ${rec.toHost} (${rec.toDc}), port ${rec.toSwitch}:${rec.toPort}`];
  const phases: Array<[string, { startedAt: number; endedAt?: number } | undefined]> = [
    ['pre-migration', rec.phases.preMigration],
    ['migration', rec.phases.migration],
    ['post-migration', rec.phases.postMigration],
  ];
  const shown = phases.filter(([, t]) => t !== undefined).map(([n, t]) => `${n} ${t!.endedAt !== undefined ? msText(t!.endedAt - t!.startedAt) : 'not ended'}`);
  lines.push(`  phases: ${shown.length > 0 ? shown.join(', ') : 'none'}`);
  const r = rec.result;
  if (r !== undefined) {
    lines.push(`  total ${msText(r.totalMs)}, downtime ${msText(r.hypervisorDowntimeMs)}, switchover ${msText(r.switchoverMs)}`);
    lines.push(`  copied ${formatBytes(r.bytesCopied)} in ${r.rounds} round${r.rounds === 1 ? '' : 's'}`);
    lines.push(`  flow mods ${r.flowMods}, frames held ${r.framesHeld}`);
  }
  lines.push(`  NAT tuples: allocated ${rec.nat?.allocated ?? 0}, released ${rec.nat?.released ?? 0}`);
  if (rec.error !== undefined) lines.push(`  error [${rec.error.code}]: ${rec.error.message}`);
  return `${lines.join('\n')}\n`;
}

/** Parses Server-Sent Events from chunks of text; call `push` with each chunk, get complete events back. */
export class SseParser {
  private buf = '';
  private event = '';
  private data: string[] = [];

  push(chunk: string): Array<{ event: string; data: string }> {
    this.buf += chunk;
    const out: Array<{ event: string; data: string }> = [];
    let nl: number;
    while ((nl = this.buf.search(/\r\n|\n|\r/)) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + (this.buf.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (this.data.length > 0) out.push({ event: this.event || 'message', data: this.data.join('\n') });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') this.event = value;
      else if (field === 'data') this.data.push(value);
    }
    return out;
  }
}

// ---- the command

class RequestFailed extends Error {}

type ApiAnswer = { status: number; body: unknown };

/** Runs the migration command; returns the exit code (0 completed / accepted, 1 rolled back or failed, 2 errors). */
export async function runMigrateCommand(o: MigrateCommandOptions, out: MigrateOutput): Promise<number> {
  const fail = (s: string) => out.stderr(`xsite migrate: ${s}\n`);
  let base: URL;
  try {
    base = new URL('/v1/', o.api);
  } catch {
    fail(`bad --api URL "${o.api}" (expected e.g. http://127.0.0.1:8080)`);
    return 2;
  }
  const timeoutMs = o.timeoutMs ?? 30_000;
  const auth = { authorization: `Bearer ${o.token}` };

  const request = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer> => {
    const url = new URL(path, base);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...auth, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw new RequestFailed(`cannot reach ${url.origin}: ${whyFailed(e)}`);
    }
    let parsed: unknown;
    try {
      parsed = await res.json();
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw new RequestFailed(httpError(method, url, res.status, parsed));
    return { status: res.status, body: parsed };
  };

  // 1. The request.
  let rec: MigrationRecord;
  try {
    const a = await request('POST', 'migrations', { vm: o.vm, destinationHost: o.to });
    rec = a.body as MigrationRecord;
    if (!isRecord(rec)) throw new RequestFailed(`POST ${new URL('migrations', base).href} answered HTTP ${a.status} with something that is not a migration`);
  } catch (e) {
    fail(e instanceof RequestFailed ? e.message : String(e));
    return 2;
  }
  if (o.wait === false) {
    out.stdout(o.json ? `${JSON.stringify(rec, null, 2)}\n` : formatAccepted(rec));
    return 0;
  }
  out.stderr(`migration ${rec.id}: ${rec.vm} ${rec.fromHost} (${rec.fromDc}) -> ${rec.toHost} (${rec.toDc})\n`);

  // 2. Follow it.
  const view = new ProgressView(out);
  let attempts = 0;
  while (isActiveMigration(rec.state)) {
    try {
      rec = await follow(base, auth, rec, view);
    } catch (e) {
      if (e instanceof RequestFailed) {
        view.clear();
        fail(e.message);
        return 2;
      }
      // Dropped connection: below.
    }
    if (!isActiveMigration(rec.state)) break;
    if (attempts++ >= (o.reconnects ?? 5)) {
      view.clear();
      fail(`lost the event stream of migration ${rec.id} (last state ${rec.state}); follow it with GET /v1/migrations/${rec.id}`);
      return 2;
    }
    await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempts)));
    try {
      rec = (await request('GET', `migrations/${encodeURIComponent(rec.id)}`)).body as MigrationRecord;
    } catch (e) {
      if (e instanceof RequestFailed && /answered HTTP 4\d\d/.test(e.message)) {
        view.clear();
        fail(e.message);
        return 2;
      }
    }
  }
  view.clear();

  // 3. The result.
  out.stdout(o.json ? `${JSON.stringify(rec, null, 2)}\n` : formatSummary(rec));
  return rec.state === 'completed' ? 0 : 1;
}

/** Reads the event stream until it ends; resolves with the last record seen. */
async function follow(base: URL, auth: Record<string, string>, last: MigrationRecord, view: ProgressView): Promise<MigrationRecord> {
  const url = new URL(`migrations/${encodeURIComponent(last.id)}/events`, base);
  let res: Response;
  try {
    res = await fetch(url, { headers: { ...auth, accept: 'text/event-stream' } });
  } catch {
    return last;
  }
  if (!res.ok) {
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    throw new RequestFailed(httpError('GET', url, res.status, body));
  }
  if (res.body === null) return last;
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let rec = last;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const ev of parser.push(decoder.decode(chunk, { stream: true }))) {
        let r: MigrationRecord;
        try {
          r = JSON.parse(ev.data) as MigrationRecord;
        } catch {
          continue;
        }
        if (!isRecord(r)) continue;
        rec = r;
        if (ev.event === 'progress') view.progress(r);
        else if (ev.event === 'state') view.state(r);
      }
    }
  } catch {
    // The connection dropped: the caller decides.
  }
  return rec;
}

/** Progress on stderr: a redrawn bar on a terminal, else throttled lines. */
class ProgressView {
  private barShown = false;
  private lastState = '';
  private lastKey = '';
  private lastAt = -Infinity;
  private readonly now: () => number;

  constructor(private readonly out: MigrateOutput) {
    this.now = out.now ?? Date.now;
  }

  state(rec: MigrationRecord): void {
    if (rec.state === this.lastState) return;
    this.lastState = rec.state;
    this.clear();
    this.out.stderr(`${formatStateLine(rec)}\n`);
  }

  progress(rec: MigrationRecord): void {
    const p = rec.progress;
    if (p === undefined) return;
    if (this.out.isTTY) {
      // One terminal line (a wrapped line could not be redrawn with \r).
      const line = formatProgressLine(rec, { bar: true, barWidth: 20 }).slice(0, Math.max(20, (this.out.columns ?? 80) - 1));
      this.out.stderr(`\r${line}\x1b[K`);
      this.barShown = true;
      return;
    }
    // Plain lines: at a new phase or round, else at most one a second.
    const key = `${p.phase}|${p.round}`;
    const t = this.now();
    if (key === this.lastKey && t - this.lastAt < 1000) return;
    this.lastKey = key;
    this.lastAt = t;
    this.out.stderr(`${formatProgressLine(rec)}\n`);
  }

  clear(): void {
    if (!this.barShown) return;
    this.barShown = false;
    this.out.stderr('\r\x1b[K');
  }
}

function isRecord(r: unknown): r is MigrationRecord {
  const x = r as Partial<MigrationRecord> | undefined;
  return typeof x === 'object' && x !== null && typeof x.id === 'string' && typeof x.state === 'string' && typeof x.vm === 'string';
}

function httpError(method: string, url: URL, status: number, body: unknown): string {
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return `${method} ${url.href} answered HTTP ${status}${error?.code ? ` [${error.code}]` : ''}${error?.message ? ` ${error.message}` : ''}`;
}

function whyFailed(e: unknown): string {
  const err = e as { message?: string; name?: string; cause?: { code?: string; message?: string } };
  return err.name === 'TimeoutError' ? 'timed out' : (err.cause?.code ?? err.cause?.message ?? err.message ?? String(e));
}

/** Registers `xsite migrate`. */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('against a running central controller: live-migrate a VM to another host and follow it (exit 0 completed, 1 rolled back or failed, 2 on error)')
    .argument('<vm>', 'the VM to migrate')
    .requiredOption('--to <host>', 'the destination host')
    .requiredOption('--api <url>', "central's REST API, e.g. http://127.0.0.1:8080")
    .requiredOption('--token <token>', 'an operator token, or a tenant token for its own VMs')
    .option('--json', 'print the final record as JSON')
    .option('--no-wait', 'print the accepted record and return without following the migration')
    .action(async (vm: string, o: { to: string; api: string; token: string; json?: boolean; wait: boolean }) => {
      process.exitCode = await runMigrateCommand(
        { vm, to: o.to, api: o.api, token: o.token, json: o.json === true, wait: o.wait },
        {
          stdout: (s) => process.stdout.write(s),
          stderr: (s) => process.stderr.write(s),
          isTTY: process.stderr.isTTY === true,
          columns: process.stderr.columns ?? 80,
        },
      );
    });
}
