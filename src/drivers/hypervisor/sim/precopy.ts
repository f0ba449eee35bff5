/**
 * An analytical model of pre-copy live migration (what QEMU does, reduced to rates), pure and synchronous.
 *
 * - Round 1 copies the whole memory while the guest runs. Each next round copies what the guest dirtied during the
 *   previous round: `dirtyBytesPerSec * roundMs`, capped at the memory size (a page dirtied twice is copied once).
 * - A round of `b` bytes takes `b / bandwidth + rtt`: the bytes on the wire plus one round trip (the source waits for
 *   the destination to take the round before it syncs the dirty bitmap again; a simplification of TCP pipelining).
 * - After each round the model checks, as QEMU does with its `downtime-limit`, whether what is left could be copied
 *   while the guest is paused: `remaining / bandwidth <= downtimeLimitMs` (the RTT is not part of that estimate, as
 *   in QEMU). If so, or after `maxRounds` rounds (a guest that dirties memory faster than it can be copied never
 *   converges: the dirty set grows to the whole memory), pre-copy ends and the guest is paused for the stop-and-copy
 *   of what is left, which takes `remaining / bandwidth + rtt` (the last bytes plus the final handshake).
 *
 * Not modelled: a writable working set (real guests re-dirty a hot set, so the dirty volume saturates below the
 * memory size), zero-page and compression savings, auto-converge throttling, device state, TCP slow start and loss.
 */
import { XsiteError } from '../../../core/errors';

export interface PrecopyInput {
  /** The guest's memory, bytes (>= 0). */
  memoryBytes: number;
  /** How fast the guest dirties memory while it runs, bytes/s (>= 0). */
  dirtyBytesPerSec: number;
  /** Copy rate of the migration stream, bytes/s (> 0). */
  bandwidthBytesPerSec: number;
  /** Round-trip time of the path between source and destination, ms (>= 0). */
  rttMs: number;
  /** Longest acceptable pause for the final copy, ms (>= 0; QEMU's default is 300). */
  downtimeLimitMs: number;
  /** Pre-copy rounds after which the guest is paused whatever is left (integer >= 1). */
  maxRounds: number;
}

/** One pre-copy round. */
export interface PrecopyRound {
  /** 1-based. */
  round: number;
  /** Bytes copied in this round. */
  bytes: number;
  /** How long the round took. */
  ms: number;
  /** Bytes dirtied during the round (left to copy after it). */
  dirtiedBytes: number;
}

export interface PrecopyPlan {
  rounds: PrecopyRound[];
  /** Sum of the rounds' durations: how long the guest runs while being copied. */
  precopyMs: number;
  /** Bytes copied while the guest is paused. */
  stopCopyBytes: number;
  /** How long the paused copy takes (the model's downtime, before any switchover work). */
  stopCopyMs: number;
  /** Every byte sent: all rounds plus the stop-and-copy. */
  totalBytes: number;
  /** True when the stop-and-copy fits the downtime limit; false when pre-copy stopped at `maxRounds`. */
  converged: boolean;
}

function check(input: PrecopyInput): void {
  const bad = (field: keyof PrecopyInput, rule: string): XsiteError =>
    new XsiteError('PRECOPY_BAD_PARAM', `pre-copy ${field} ${String(input[field])} invalid: ${rule}`, { [field]: input[field] });
  const finiteAtLeast0 = (field: keyof PrecopyInput): void => {
    const v = input[field];
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw bad(field, 'must be a finite number >= 0');
  };
  finiteAtLeast0('memoryBytes');
  finiteAtLeast0('dirtyBytesPerSec');
  finiteAtLeast0('rttMs');
  finiteAtLeast0('downtimeLimitMs');
  const bw = input.bandwidthBytesPerSec;
  if (!(typeof bw === 'number' && Number.isFinite(bw) && bw > 0)) throw bad('bandwidthBytesPerSec', 'must be a finite number > 0');
  if (!(Number.isInteger(input.maxRounds) && input.maxRounds >= 1)) throw bad('maxRounds', 'must be an integer >= 1');
}

/** Plans a pre-copy migration (throws PRECOPY_BAD_PARAM on invalid input). */
export function planPrecopy(input: PrecopyInput): PrecopyPlan {
  check(input);
  const { memoryBytes, dirtyBytesPerSec, bandwidthBytesPerSec: bw, rttMs, downtimeLimitMs, maxRounds } = input;
  const copyMs = (bytes: number): number => (bytes * 1000) / bw;
  const rounds: PrecopyRound[] = [];
  let precopyMs = 0;
  let totalBytes = 0;
  let toCopy = memoryBytes;
  let remaining = memoryBytes;
  let converged = false;
  for (let r = 1; r <= maxRounds; r++) {
    const ms = copyMs(toCopy) + rttMs;
    remaining = Math.min(memoryBytes, Math.round((dirtyBytesPerSec * ms) / 1000));
    rounds.push({ round: r, bytes: toCopy, ms, dirtiedBytes: remaining });
    precopyMs += ms;
    totalBytes += toCopy;
    if (copyMs(remaining) <= downtimeLimitMs) {
      converged = true;
      break;
    }
    toCopy = remaining;
  }
  totalBytes += remaining;
  return { rounds, precopyMs, stopCopyBytes: remaining, stopCopyMs: copyMs(remaining) + rttMs, totalBytes, converged };
}

/** What a driver that copies over a real stream decides after each measured round (see {@link afterRound}). */
export interface RoundOutcome {
  /** Bytes the guest dirtied during the round: the next round's (or the stop-and-copy's) size. */
  dirtiedBytes: number;
  /** Pause now: what is left fits the downtime limit at the measured rate, or the last round was the `maxRounds`th. */
  pause: boolean;
}

/**
 * Pre-copy driven by measurement (the same rules as {@link planPrecopy}, with the round's real duration and copy
 * rate instead of the path's nominal ones): after round `round` copied `bytes` in `ms`, the guest dirtied
 * `dirtyBytesPerSec * ms` (capped at the memory), and pre-copy ends when that can be copied within the downtime
 * limit at the rate just measured, or after `maxRounds` rounds.
 */
export function afterRound(input: Omit<PrecopyInput, 'bandwidthBytesPerSec' | 'rttMs'>, round: number, bytes: number, ms: number): RoundOutcome {
  const dirtiedBytes = Math.min(input.memoryBytes, Math.round((input.dirtyBytesPerSec * Math.max(0, ms)) / 1000));
  const rate = ms > 0 ? (bytes * 1000) / ms : Infinity;
  const pause = round >= input.maxRounds || (dirtiedBytes * 1000) / rate <= input.downtimeLimitMs;
  return { dirtiedBytes, pause };
}
