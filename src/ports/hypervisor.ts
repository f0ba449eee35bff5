/**
 * The hypervisor port: what xsite's migration needs of whatever runs the VMs (seed 000 section 5, seed 002). Three
 * drivers implement it: `qemu` (real guests over QMP, src/drivers/hypervisor/qemu), `netns` (a network namespace as
 * the VM, on the Open vSwitch lab) and `sim` (pre-copy modelled in the emulator, src/drivers/hypervisor/sim).
 *
 * A migration copies the VM's memory while it runs (pre-copy rounds; the guest dirties pages meanwhile), then pauses
 * it for the final copy. While it is paused the driver calls `beforeSwitchover`: xsite flips the network there (make
 * before break: the destination's flows are confirmed before traffic moves). When the hook resolves, the VM resumes
 * at the destination, plugged into `to.switch` port `to.port`, and announces itself (gratuitous ARP / RARP). When the
 * hook rejects, or anything fails before it, the migration is abandoned: the VM keeps running at the source, plugged
 * in where it was, and the driver leaves nothing behind at the destination.
 */

import type { CopyRoute } from '../model/migration-network';
import type { MigrationProgressRecord } from '../model/migration';

export type HypervisorKind = 'qemu' | 'netns' | 'sim';

/** A progress sample of a running migration (the record central journals, src/model/migration.ts). */
export type HypervisorProgress = MigrationProgressRecord;

export interface HypervisorMigrateRequest {
  vm: string;
  fromHost: string;
  toHost: string;
  /** Where the VM's NIC is plugged in at the destination. */
  to: { switch: string; port: number };
  /**
   * Where the copy stream runs: from the source host's migration endpoint to the destination host's, over the path
   * central set up in pre-migration (src/model/migration-network.ts). Drivers that cannot use it copy over their own.
   */
  copy?: CopyRoute;
  /**
   * Called once pre-copy converged, just before the VM is paused (drivers that cannot tell call it when the pause
   * begins): xsite starts holding the frames sent to the VM so that none reaches a paused VM. A rejection aborts.
   */
  beforePause?(): Promise<void>;
  /** The network switchover, run while the VM is paused; a rejection aborts the migration (the VM stays at the source). */
  beforeSwitchover(): Promise<void>;
  onProgress?(p: HypervisorProgress): void;
  /** Aborts the migration before the switchover (the VM stays at the source). */
  signal?: AbortSignal;
}

export interface HypervisorMigrateResult {
  /** From the start of the copy to the VM running at the destination. */
  totalMs: number;
  /** How long the VM was paused (the hook included). */
  downtimeMs: number;
  /** How long `beforeSwitchover` took. */
  hookMs: number;
  bytesCopied: number;
  rounds: number;
  /**
   * Where the memory went: over the copy route central gave (`route`: through the data plane), over the driver's own
   * loopback connection (`loopback`), or nowhere, its time computed from the path's figures (`model`, the `sim` driver).
   */
  copiedOver: CopiedOver;
}

/** See {@link HypervisorMigrateResult.copiedOver}. */
export type CopiedOver = 'route' | 'loopback' | 'model';

export interface Hypervisor {
  readonly kind: HypervisorKind;
  /**
   * Live-migrates `vm`; resolves when it runs at the destination. Rejects with XsiteError `HYPERVISOR_ABORTED` (hook
   * failed or aborted: the VM runs at the source), `HYPERVISOR_UNKNOWN_VM`, `HYPERVISOR_FAILED`.
   */
  migrate(req: HypervisorMigrateRequest): Promise<HypervisorMigrateResult>;
}
