/**
 * A live migration as central journals it (seed 000 section 5): one record per request, rewritten at every state
 * change, so that a restarted central knows where each migration stood. States, in order:
 *
 *   requested -> pre-migration -> migration -> switchover -> post-migration -> completed
 *
 * and, when something fails before the network flipped, `rolling-back` -> `rolled-back` (the VM keeps running at
 * the source, nothing installed for the migration stays behind); `failed` when even that went wrong. A migration is
 * *active* until it is completed, rolled back or failed; a VM has at most one active migration (the store enforces it).
 */
import type { CopyRoute } from './migration-network';
import type { NatTuple } from './flow';

export type MigrationState =
  | 'requested'
  | 'pre-migration'
  | 'migration'
  | 'switchover'
  | 'post-migration'
  | 'completed'
  | 'rolling-back'
  | 'rolled-back'
  | 'failed';

export const TERMINAL_MIGRATION_STATES: readonly MigrationState[] = ['completed', 'rolled-back', 'failed'];

/** Start and end (epoch ms) of a phase. */
export interface PhaseTimes {
  startedAt: number;
  endedAt?: number;
}

/** A progress sample of the memory copy (what a hypervisor driver reports, src/ports/hypervisor.ts). */
export interface MigrationProgressRecord {
  /** precopy: copying while the VM runs; paused: final copy / switchover; resumed: running at the destination. */
  phase: 'precopy' | 'paused' | 'resumed';
  /** Pre-copy round (1-based). */
  round: number;
  bytesCopied: number;
  /** The VM's memory size. */
  bytesTotal: number;
  /** Bytes still to copy (dirty or never copied). */
  remainingBytes: number;
  /** Rate at which the guest dirties memory, bytes/s (0 if unknown). */
  dirtyBytesPerSec: number;
  /** Copy rate, bytes/s (0 if unknown). */
  copyBytesPerSec: number;
  elapsedMs: number;
  /** Estimated time until the switchover, when the driver can tell. */
  estimatedRemainingMs?: number;
}

export interface MigrationRecord {
  id: string;
  vm: string;
  tenant: string;
  fromHost: string;
  toHost: string;
  fromDc: string;
  toDc: string;
  /** Where the VM is plugged in at the destination. */
  toSwitch: string;
  toPort: number;
  /** Where it was plugged in at the source (kept taken until the migration ends). */
  fromSwitch?: string;
  fromPort?: number;
  state: MigrationState;
  createdAt: number;
  updatedAt: number;
  phases: { preMigration?: PhaseTimes; migration?: PhaseTimes; postMigration?: PhaseTimes };
  /** The copy stream's NAT tuple between the two gateways (cross-DC migrations). */
  copyTuple?: NatTuple;
  /** Where the copy stream runs: between the migration endpoints of the two hosts (when the topology has them). */
  copyRoute?: CopyRoute;
  progress?: MigrationProgressRecord;
  /** Figures of a completed migration. */
  result?: {
    totalMs: number;
    hypervisorDowntimeMs: number;
    switchoverMs: number;
    bytesCopied: number;
    rounds: number;
    flowMods: number;
    framesHeld: number;
    /**
     * A move to another DC: whether every DC that switched over in the pause committed the switchover it had
     * computed before the pause (false: one computed it in the pause, because its model changed meanwhile).
     */
    precomputed?: boolean;
    /** Where the hypervisor copied the memory (HypervisorMigrateResult.copiedOver). */
    copiedOver?: 'route' | 'loopback' | 'model';
  };
  nat?: { allocated: number; released: number };
  error?: { code: string; message: string };
}

export interface MigrationFilter {
  vm?: string;
  /** Only migrations that are not completed, rolled back or failed. */
  active?: boolean;
}

export function isActiveMigration(state: MigrationState): boolean {
  return !TERMINAL_MIGRATION_STATES.includes(state);
}
