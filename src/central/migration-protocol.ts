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
 * - `migration.abort { migrationId, vm }` (source and destination): the migration was abandoned; no arrival, no hold,
 *   held frames go on to the VM where it still is.
 */
import { isCrossSiteFlow, type CrossSiteFlow } from '../model/cross-site-flow';
import type { SyncVm } from './local-sync';

export const MIGRATION_PREPARE_JOB = 'migration.prepare';
export const MIGRATION_HOLD_JOB = 'migration.hold';
export const MIGRATION_SWITCHOVER_JOB = 'migration.switchover';
export const MIGRATION_ABORT_JOB = 'migration.abort';

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
}

/** What a local answers to `migration.switchover`. */
export interface MigrationSwitchoverResult {
  flowMods: number;
  /** Frames the DC held during the pause and sent on. */
  framesHeld: number;
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
