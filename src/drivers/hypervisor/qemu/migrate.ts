/**
 * Live migration of a QEMU guest, source -> destination, over TCP (loopback, or the URIs given: a relay over the data
 * plane, ./migration-relay.ts), gated by xsite:
 *
 *  1. destination (started with `-incoming defer`): `migrate-set-capabilities events`, then
 *     `migrate-incoming tcp:HOST:0` (QEMU picks the port; `query-migrate` on the destination reports it);
 *  2. source: `migrate-set-capabilities events + pause-before-switchover`, `migrate tcp:HOST:PORT`;
 *  3. pre-copy runs; `query-migrate` is polled for progress (transferred, remaining, dirty rate). With `beforeStop`,
 *     xsite decides when the guest stops, not QEMU: `downtime-limit` is set to 0 (QEMU never converges on its own
 *     while the guest dirties memory). Once the remaining bytes fall under `stopAt.remainingBytes` (or after
 *     `stopAt.maxRounds` passes) the copy is throttled to a trickle, so that the pass cannot end (a guest that dirties
 *     little would let QEMU finish and stop it on its own), and `beforeStop` runs: xsite holds the frames sent to the
 *     guest, so none reaches a guest that cannot read them. From then on it does not matter who stops the guest: the
 *     copy runs at full speed (`maxBandwidth` if one was given) while the guest still runs, and xsite stops it (QMP
 *     `stop`) once `stopAt.stopBytes` are left or after `stopAt.holdMs`, unless QEMU converged first. QEMU copies what
 *     is left with the guest stopped, with no throttle window to wait for;
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
  /** The URI the source migrated to (`tcp:HOST:PORT`, or the one given in `uris`). */
  uri: string;
  progress: MigrationProgress[];
}

/** Options of {@link liveMigrate}. */
export interface MigrateOptions {
  source: QemuProcess;
  destination: QemuProcess;
  /** Address the destination listens on (as seen inside its network namespace). Default 127.0.0.1. */
  host?: string;
  /**
   * The stream's own way instead of `host`: the URI the destination listens on (`migrate-incoming`) and the one the
   * source migrates to (`migrate`), e.g. the two ends of a relay (./migration-relay.ts).
   */
  uris?: { incoming: string; outgoing: string };
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
   * Runs before the guest stops for the final copy (see step 3). A rejection cancels the migration (the guest keeps
   * running at the source).
   */
  beforeStop?: () => Promise<void> | void;
  /** Called once the guest stopped at the source (by xsite or by QEMU), with `beforeStop`. */
  onStopped?: () => void;
  /**
   * With `beforeStop`: when it runs, at `remainingBytes` left (default 48 MiB) or after `maxRounds` passes (default
   * 8); when the guest stops after it, at `stopBytes` left (default 4 MiB) or `holdMs` after it (default 400 ms).
   */
  stopAt?: { remainingBytes?: number; maxRounds?: number; stopBytes?: number; holdMs?: number };
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

/** `max-bandwidth` while `beforeStop` runs (bytes/s): the pass cannot end meanwhile. */
const BRAKE_BYTES_PER_SEC = 64 * 1024;
/** `max-bandwidth` once the guest's frames are held, when none was given: the rest as fast as the link takes it. */
const HELD_BYTES_PER_SEC = 4 * 1024 * 1024 * 1024;
const PAST_ACTIVE = new Set(['pre-switchover', 'completed', 'device']);

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
  let outgoing: string | undefined = opts.uris?.outgoing;
  if (opts.uris !== undefined) await dst.execute('migrate-incoming', { uri: opts.uris.incoming });
  else {
    await dst.execute('migrate-incoming', { uri: `tcp:${host}:0` });
    const dq = await dst.execute<QueryMigrate>('query-migrate');
    const port = Number(dq['socket-address']?.find((a) => a.port)?.port);
    if (!Number.isInteger(port) || port <= 0) {
      throw new XsiteError('MIGRATION_FAILED', `destination reports no listening port: ${JSON.stringify(dq)}`);
    }
    outgoing = `tcp:${host}:${port}`;
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
  await src.execute('migrate', { uri: outgoing });
  let stoppedAt: number | undefined;
  // The bandwidth before the brake, while it is off (restored if the guest runs on at the source).
  let braked: number | undefined;
  try {
    if (opts.beforeStop !== undefined) {
      const holdAt = opts.stopAt?.remainingBytes ?? 48 * 1024 * 1024;
      const maxRounds = opts.stopAt?.maxRounds ?? 8;
      // Poll finely: the moment to hold is when the remaining bytes are few. Statuses past `active` mean QEMU
      // converged on its own (memory untouched).
      const reached = await waitStatus(src, PAST_ACTIVE, deadline, Math.min(pollMs, 10), sample, (q) => {
        const rounds = q.ram?.['dirty-sync-count'] ?? 0;
        return q.status === 'active' && ((q.ram?.remaining ?? Infinity) <= holdAt || rounds > maxRounds);
      });
      // Brake: a guest that dirties little lets QEMU finish the pass and stop it on its own within milliseconds, before
      // beforeStop (xsite's hold) ran, and frames that reach the source tap meanwhile die with it.
      if (reached.status === 'active') {
        const cur = await src.execute<{ 'max-bandwidth'?: number }>('query-migrate-parameters');
        braked = cur['max-bandwidth'] ?? opts.maxBandwidth;
        await src.execute('migrate-set-parameters', { 'max-bandwidth': BRAKE_BYTES_PER_SEC });
      }
      try {
        await opts.beforeStop();
      } catch (e) {
        // The guest runs on at the source, and a later migration must not crawl.
        if (braked !== undefined) await src.execute('migrate-set-parameters', { 'max-bandwidth': braked }).catch(() => undefined);
        braked = undefined;
        throw e;
      }
      // The frames to the guest are held: the rest of the pass may go, at full speed (no throttle window to wait for
      // once the guest is stopped), and QEMU may even stop the guest itself.
      if (braked !== undefined) await src.execute('migrate-set-parameters', { 'max-bandwidth': opts.maxBandwidth ?? Math.max(braked, HELD_BYTES_PER_SEC) });
      const stopBytes = opts.stopAt?.stopBytes ?? 4 * 1024 * 1024;
      const stopBy = Date.now() + (opts.stopAt?.holdMs ?? 400);
      const near = await waitStatus(src, PAST_ACTIVE, deadline, Math.min(pollMs, 5), sample, (q) => q.status === 'active' && ((q.ram?.remaining ?? Infinity) <= stopBytes || Date.now() >= stopBy));
      stoppedAt = Date.now();
      if (near.status === 'active') await src.execute('stop');
      opts.onStopped?.();
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
      uri: outgoing!,
      progress,
    };
    if (opts.stopSource ?? true) await opts.source.stop();
    return report;
  } catch (e) {
    // Leave the guest running on the source: cancel the outgoing migration (resumes the source guest; one that xsite
    // stopped is started again).
    await src.execute('migrate_cancel').catch(() => undefined);
    if (braked !== undefined) await src.execute('migrate-set-parameters', { 'max-bandwidth': braked }).catch(() => undefined);
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
