/**
 * Live migration of a QEMU guest, source -> destination, over TCP (loopback here), gated by xsite:
 *
 *  1. destination (started with `-incoming defer`): `migrate-set-capabilities events`, then
 *     `migrate-incoming tcp:HOST:0` (QEMU picks the port; `query-migrate` on the destination reports it);
 *  2. source: `migrate-set-capabilities events + pause-before-switchover`, `migrate tcp:HOST:PORT`;
 *  3. pre-copy runs; `query-migrate` is polled for progress (transferred, remaining, dirty rate). With `beforeStop`,
 *     xsite decides when the guest stops, not QEMU: `downtime-limit` is set to 0 (QEMU never converges on its own
 *     while the guest dirties memory) and once the remaining bytes fall under `stopAt.remainingBytes` (or after
 *     `stopAt.maxRounds` passes) the copy is throttled to a trickle (a guest that dirties little would otherwise let
 *     QEMU finish and stop it on its own), `beforeStop` runs (xsite holds the frames sent to the guest: none reaches a
 *     guest that cannot read them), then QMP `stop` and the bandwidth is restored; QEMU copies what is left with the
 *     guest stopped;
 *  4. the source reaches `pre-switchover` (guest stopped, device state not yet sent): the `beforeSwitchover` hook runs
 *     (this is where xsite flips the network), then `migrate-continue`;
 *  5. `completed` on the source, the destination runs; the source (now `postmigrate`) is stopped unless told not to.
 *
 * The figures come from the source's final `query-migrate`: `total-time`, `downtime` (which includes the time the hook
 * took: the guest is stopped from pre-switchover on), RAM bytes transferred and `dirty-sync-count` (pre-copy rounds).
 */
import { XsiteError } from '../../../core/errors';
import type { QemuProcess } from './qemu-process';
import type { QmpClient, QmpEvent } from './qmp';

/** One sample of `query-migrate` on the source while the migration runs. */
export interface MigrationProgress {
  status: string;
  elapsedMs: number;
  transferredBytes: number;
  remainingBytes: number;
  totalBytes: number;
  /** Dirty pages per second, as QEMU reports it (0 until measured). */
  dirtyPagesRate: number;
  /** Completed dirty-bitmap syncs so far (~ pre-copy rounds). */
  dirtySyncCount: number;
}

/** Result of {@link liveMigrate}. */
export interface MigrationReport {
  totalMs: number;
  downtimeMs: number;
  bytes: number;
  precopyRounds?: number;
  /** Milliseconds the `beforeSwitchover` hook took (inside the downtime). */
  hookMs: number;
  /** Wall-clock milliseconds from `migrate` to the source reaching pre-switchover. */
  precopyMs: number;
  /** The TCP port the destination listened on. */
  port: number;
  progress: MigrationProgress[];
}

/** Options of {@link liveMigrate}. */
export interface MigrateOptions {
  source: QemuProcess;
  destination: QemuProcess;
  /** Address the destination listens on (as seen inside its network namespace). Default 127.0.0.1. */
  host?: string;
  /** Runs while the guest is paused before the switchover. */
  beforeSwitchover?: () => Promise<void> | void;
  /** Called for each progress sample. */
  onProgress?: (p: MigrationProgress) => void;
  /** How often to poll `query-migrate`. Default 50 ms. */
  pollMs?: number;
  /** Give up (cancel) after this long. Default 60000. */
  timeoutMs?: number;
  /** Stop the source QEMU after completion (default true). */
  stopSource?: boolean;
  /** Bandwidth cap in bytes/s (`max-bandwidth`); default QEMU's. */
  maxBandwidth?: number;
  /** Allowed downtime in ms (`downtime-limit`); default QEMU's (300); 0 with `beforeStop`. */
  downtimeLimitMs?: number;
  /**
   * Runs just before xsite stops the guest for the final copy (see step 3). A rejection cancels the migration (the
   * guest keeps running at the source).
   */
  beforeStop?: () => Promise<void> | void;
  /** When `beforeStop` applies: remaining bytes (default 16 MiB), or passes (default 8). */
  stopAt?: { remainingBytes?: number; maxRounds?: number };
}

interface QueryMigrate {
  status?: string;
  'total-time'?: number;
  downtime?: number;
  'expected-downtime'?: number;
  'socket-address'?: { type: string; host?: string; port?: string }[];
  ram?: {
    transferred?: number;
    remaining?: number;
    total?: number;
    'dirty-pages-rate'?: number;
    'dirty-sync-count'?: number;
  };
  'error-desc'?: string;
}

/** `max-bandwidth` while xsite holds the guest's frames before stopping it (bytes/s). */
const BRAKE_BYTES_PER_SEC = 64 * 1024;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const FAILED = new Set(['failed', 'cancelled', 'cancelling']);

/**
 * Polls `query-migrate` on `qmp` until its status is in `wanted` (a MIGRATION event wakes the poll early, so the
 * returned reply is always one that has the wanted status and its figures); throws on failure states.
 */
async function waitStatus(
  qmp: QmpClient,
  wanted: ReadonlySet<string>,
  deadline: number,
  pollMs: number,
  onSample?: (q: QueryMigrate) => void,
  /** Also return on a reply this accepts. */
  enough?: (q: QueryMigrate) => boolean,
): Promise<QueryMigrate> {
  let seen: string | undefined;
  const onEvent = (e: QmpEvent): void => {
    if (e.event === 'MIGRATION' && typeof e.data.status === 'string') seen = e.data.status;
  };
  let wake: (() => void) | undefined;
  const onAny = (e: QmpEvent): void => {
    onEvent(e);
    wake?.();
  };
  qmp.on('event', onAny);
  try {
    for (;;) {
      const q = await qmp.execute<QueryMigrate>('query-migrate');
      onSample?.(q);
      const status = q.status ?? '';
      if (wanted.has(status) || enough?.(q)) return q;
      if (FAILED.has(status) || (seen && FAILED.has(seen))) {
        throw new XsiteError('MIGRATION_FAILED', `migration ${status || seen}: ${q['error-desc'] ?? ''}`, { status, errorDesc: q['error-desc'] });
      }
      if (Date.now() > deadline) throw new XsiteError('MIGRATION_TIMEOUT', `migration still ${status} at the deadline`, { status });
      await new Promise<void>((r) => {
        const t = setTimeout(r, pollMs);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      wake = undefined;
    }
  } finally {
    qmp.off('event', onAny);
  }
}

/** Migrates the running guest of `source` into `destination` (started with `incoming: true`). */
export async function liveMigrate(opts: MigrateOptions): Promise<MigrationReport> {
  const src = opts.source.qmp;
  const dst = opts.destination.qmp;
  const host = opts.host ?? '127.0.0.1';
  const pollMs = opts.pollMs ?? 50;
  const t0 = Date.now();
  const deadline = t0 + (opts.timeoutMs ?? 60000);
  const progress: MigrationProgress[] = [];

  await dst.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
  await dst.execute('migrate-incoming', { uri: `tcp:${host}:0` });
  const dq = await dst.execute<QueryMigrate>('query-migrate');
  const port = Number(dq['socket-address']?.find((a) => a.port)?.port);
  if (!Number.isInteger(port) || port <= 0) {
    throw new XsiteError('MIGRATION_FAILED', `destination reports no listening port: ${JSON.stringify(dq)}`);
  }

  await src.execute('migrate-set-capabilities', {
    capabilities: [
      { capability: 'events', state: true },
      { capability: 'pause-before-switchover', state: true },
    ],
  });
  const params: Record<string, unknown> = {};
  if (opts.maxBandwidth !== undefined) params['max-bandwidth'] = opts.maxBandwidth;
  if (opts.beforeStop !== undefined) params['downtime-limit'] = 0;
  else if (opts.downtimeLimitMs !== undefined) params['downtime-limit'] = opts.downtimeLimitMs;
  if (Object.keys(params).length) await src.execute('migrate-set-parameters', params);

  const sample = (q: QueryMigrate): void => {
    if (!q.ram) return;
    const p: MigrationProgress = {
      status: q.status ?? '',
      elapsedMs: Date.now() - t0,
      transferredBytes: q.ram.transferred ?? 0,
      remainingBytes: q.ram.remaining ?? 0,
      totalBytes: q.ram.total ?? 0,
      dirtyPagesRate: q.ram['dirty-pages-rate'] ?? 0,
      dirtySyncCount: q.ram['dirty-sync-count'] ?? 0,
    };
    progress.push(p);
    opts.onProgress?.(p);
  };

  const tMigrate = Date.now();
  await src.execute('migrate', { uri: `tcp:${host}:${port}` });
  let stoppedAt: number | undefined;
  try {
    if (opts.beforeStop !== undefined) {
      const few = opts.stopAt?.remainingBytes ?? 16 * 1024 * 1024;
      const maxRounds = opts.stopAt?.maxRounds ?? 8;
      // Poll finely: the moment to stop is when the remaining bytes are few. Statuses past `active` mean QEMU
      // converged on its own (memory untouched).
      const reached = await waitStatus(src, new Set(['pre-switchover', 'completed', 'device']), deadline, Math.min(pollMs, 10), sample, (q) => {
        const rounds = q.ram?.['dirty-sync-count'] ?? 0;
        return q.status === 'active' && ((q.ram?.remaining ?? Infinity) <= few || rounds > maxRounds);
      });
      // Brake: a guest that dirties little lets QEMU finish the pass and stop it on its own within milliseconds, before
      // beforeStop (xsite's hold) ran, and frames that reach the source tap meanwhile die with it. Throttled to a
      // trickle, the copy cannot finish until the guest is stopped here; the bandwidth comes back right after.
      let braked: number | undefined;
      if (reached.status === 'active') {
        const cur = await src.execute<{ 'max-bandwidth'?: number }>('query-migrate-parameters');
        braked = cur['max-bandwidth'] ?? opts.maxBandwidth;
        await src.execute('migrate-set-parameters', { 'max-bandwidth': BRAKE_BYTES_PER_SEC });
      }
      try {
        await opts.beforeStop();
        stoppedAt = Date.now();
        await src.execute('stop');
      } finally {
        // Also when the hook failed: the guest runs on at the source, and a later migration must not crawl.
        if (braked !== undefined) await src.execute('migrate-set-parameters', { 'max-bandwidth': braked }).catch(() => undefined);
      }
    }
    await waitStatus(src, new Set(['pre-switchover', 'completed']), deadline, pollMs, sample);
    const precopyMs = Date.now() - tMigrate;
    const th = Date.now();
    // A failing hook cancels the migration below (the guest resumes on the source).
    await opts.beforeSwitchover?.();
    const hookMs = Date.now() - th;
    await src.execute('migrate-continue', { state: 'pre-switchover' });
    let final = await waitStatus(src, new Set(['completed']), deadline, pollMs, sample);
    // QEMU sets `completed` a moment before it computes total-time and downtime: re-read until they are there.
    for (let i = 0; i < 100 && !final['total-time']; i++) {
      await sleep(10);
      final = await src.execute<QueryMigrate>('query-migrate');
    }
    // The destination must be running the guest.
    await waitStatus(dst, new Set(['completed']), deadline, pollMs);
    for (;;) {
      const st = await dst.execute<{ status: string; running: boolean }>('query-status');
      if (st.running) break;
      // A guest that xsite stopped arrives stopped (QEMU carries the run state over): start it.
      if (stoppedAt !== undefined && st.status === 'paused') {
        await dst.execute('cont');
        continue;
      }
      if (Date.now() > deadline) throw new XsiteError('MIGRATION_TIMEOUT', `destination not running after migration: ${st.status}`);
      await sleep(10);
    }
    const report: MigrationReport = {
      totalMs: final['total-time'] ?? Date.now() - tMigrate,
      downtimeMs: final.downtime ?? NaN,
      bytes: final.ram?.transferred ?? 0,
      precopyRounds: final.ram?.['dirty-sync-count'],
      hookMs,
      precopyMs,
      port,
      progress,
    };
    if (opts.stopSource ?? true) await opts.source.stop();
    return report;
  } catch (e) {
    // Leave the guest running on the source: cancel the outgoing migration (resumes the source guest; one that xsite
    // stopped is started again).
    await src.execute('migrate_cancel').catch(() => undefined);
    if (stoppedAt !== undefined) await resumeSource(src).catch(() => undefined);
    throw e;
  }
}

/** After a cancelled migration of a guest xsite stopped: waits until the migration left `cancelling`, then `cont`. */
async function resumeSource(src: QmpClient): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const q = await src.execute<QueryMigrate>('query-migrate');
    if (q.status !== 'cancelling' && q.status !== 'active' && q.status !== 'pre-switchover' && q.status !== 'device') break;
    await sleep(10);
  }
  const st = await src.execute<{ status: string; running: boolean }>('query-status');
  if (!st.running) await src.execute('cont');
}
