/**
 * The control-channel jobs of a live migration (seed 000 section 5), central -> local controller. Each is done when
 * the DC's switches confirmed it (bundle commit):
 *
 * - `migration.prepare { migrationId, vm }` (destination DC): the VM will be plugged into `vm.switch` port `vm.port`;
 *   classify its frames there from now on (installed ahead, nothing flows there yet).
 * - `migration.hold { migrationId, vm }` (source DC): the VM is about to pause; frames to it go to the controller,
 *   which keeps them.
 * - `migration.switchover { migrationId, vm, vms, crossSite }` (every DC of the VM's VN): the directory with the VM at
 *   its new place and the DC's cross-site flows (set up again for the new gateways), applied in one reconcile per
 *   switch; held frames then go on to the new place. Result: `{ flowMods }`.
 * - `migration.release { migrationId, vm }` (destination): the VM runs at its new place; the destination, which kept
 *   holding frames to it since its switchover (`hold: true`), delivers `frames` (base64, held by the other DCs during
 *   the pause and handed over in their switchover results), then its own. `settled` (default true): the last release
 *   of the migration, once the source flipped too; the destination's arrival guards go with it (earlier releases
 *   keep them for frames still on their way back and forth inside the DC). Result: `{ framesHeld }`.
 * - `migration.stage { migrationId, vm, flows }` (the DCs at either end of the VM's cross-site flows after the move):
 *   the flows as the switchover will set them up (tuples reserved ahead), before the pause; the gateways install the
 *   NAT flows no live packet matches yet. An empty list unstages. Result: `{ flowMods }`.
 * - `migration.precompute { migrationId, vm, vms, crossSite, hold }` (the DCs that switch over in the pause): the
 *   switchover as central expects to send it, before the pause; the DC computes it and opens its bundles uncommitted,
 *   so that the switchover only commits them when it brings the same (src/local/precomputed-switchover.ts).
 *   Result: `{ flowMods }` (changes waiting in bundles).
 * - `migration.commit { migrationId, vm }` (the DCs it was precomputed in, as the pause begins): commit the precomputed
 *   switchover as it was expected, while central still updates its directory; the `migration.switchover` that follows
 *   only checks that it brings the same (else it reconciles the difference). Result: `{ flowMods, committed }`.
 * - `migration.abort { migrationId, vm }` (source and destination): the migration was abandoned; no arrival, no hold,
 *   held frames go on to the VM where it still is.
 * - `migration.settle { migrationId, vm }` (the source DC of a move to another DC, a while after the migration ended):
 *   the returns its switchover installed for frames still on their way to the VM's old place go
 *   (src/local/managers/migration-departure.ts). Result: `{ flowMods }`.
 */
import { isCrossSiteFlow, type CrossSiteFlow } from '../model/cross-site-flow';
import type { SyncVm } from './local-sync';

export const MIGRATION_PREPARE_JOB = 'migration.prepare';
export const MIGRATION_HOLD_JOB = 'migration.hold';
export const MIGRATION_SWITCHOVER_JOB = 'migration.switchover';
export const MIGRATION_ABORT_JOB = 'migration.abort';
export const MIGRATION_RELEASE_JOB = 'migration.release';
export const MIGRATION_STAGE_JOB = 'migration.stage';
export const MIGRATION_PRECOMPUTE_JOB = 'migration.precompute';
export const MIGRATION_COMMIT_JOB = 'migration.commit';
export const MIGRATION_SETTLE_JOB = 'migration.settle';

/** A VM at a given place, as the destination DC must know it. */
export interface PreparedVm {
  name: string;
  tenant: string;
  vn: string;
  ip: string;
  mac: string;
  dc: string;
  switch: string;
  port: number;
}

export interface MigrationPrepareJob {
  migrationId: string;
  vm: PreparedVm;
}

export interface MigrationVmJob {
  migrationId: string;
  vm: string;
}

export interface MigrationSwitchoverJob {
  migrationId: string;
  vm: string;
  /** The DC's directory after the move (the `directory.vms` reply format). */
  vms: SyncVm[];
  crossSite: CrossSiteFlow[];
  /** Keep holding frames to the VM (at its new place) until `migration.release` (the destination DC). */
  hold?: boolean;
}

/**
 * Whether two switchover bodies bring a DC the same inputs, the flows' set-up generations aside (no flow depends on
 * them): central's check that the switchover it precomputed is the one the pause brings.
 */
export function sameSwitchoverInputs(a: MigrationSwitchoverJob, b: MigrationSwitchoverJob): boolean {
  const key = (j: MigrationSwitchoverJob) => JSON.stringify({ vm: j.vm, vms: j.vms, crossSite: j.crossSite.map(({ gen: _gen, ...f }) => f), hold: j.hold === true });
  return key(a) === key(b);
}

/** What a local answers to `migration.switchover`. */
export interface MigrationSwitchoverResult {
  flowMods: number;
  /** Frames the DC held during the pause (handed over in `frames`, base64). */
  framesHeld: number;
  frames?: string[];
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

export function isMigrationPrepareJob(x: unknown): x is MigrationPrepareJob {
  if (!isObject(x) || typeof x['migrationId'] !== 'string' || !isObject(x['vm'])) return false;
  const v = x['vm'];
  return ['name', 'tenant', 'vn', 'ip', 'mac', 'dc', 'switch'].every((k) => typeof v[k] === 'string') && Number.isInteger(v['port']);
}

export function isMigrationVmJob(x: unknown): x is MigrationVmJob {
  return isObject(x) && typeof x['migrationId'] === 'string' && typeof x['vm'] === 'string';
}

export function isMigrationSwitchoverJob(x: unknown): x is MigrationSwitchoverJob {
  return isMigrationVmJob(x) && Array.isArray((x as unknown as MigrationSwitchoverJob).vms) && Array.isArray((x as unknown as MigrationSwitchoverJob).crossSite) && (x as unknown as MigrationSwitchoverJob).crossSite.every(isCrossSiteFlow);
}

export interface MigrationStageJob {
  migrationId: string;
  vm: string;
  flows: CrossSiteFlow[];
}

export function isMigrationStageJob(x: unknown): x is MigrationStageJob {
  return isMigrationVmJob(x) && Array.isArray((x as unknown as MigrationStageJob).flows) && (x as unknown as MigrationStageJob).flows.every(isCrossSiteFlow);
}
