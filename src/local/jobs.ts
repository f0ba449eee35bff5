/**
 * What a local controller does with the jobs central sends it (cross-site NAT flows and migrations), independent of
 * how they arrive (the control channel in `xsite local`, direct calls in in-process set-ups). Each resolves once the
 * DC's switches confirmed the change; a job of an unknown type or shape is LOCAL_UNKNOWN_JOB.
 */
import { isNatInstallJob, isNatRemoveJob, NAT_INSTALL_JOB, NAT_REMOVE_JOB } from '../central/cross-site-protocol';
import {
  isMigrationPrepareJob,
  isMigrationStageJob,
  isMigrationSwitchoverJob,
  isMigrationVmJob,
  MIGRATION_ABORT_JOB,
  MIGRATION_HOLD_JOB,
  MIGRATION_PREPARE_JOB,
  MIGRATION_RELEASE_JOB,
  MIGRATION_STAGE_JOB,
  MIGRATION_PRECOMPUTE_JOB,
  MIGRATION_COMMIT_JOB,
  MIGRATION_SETTLE_JOB,
  MIGRATION_SWITCHOVER_JOB,
  type MigrationSwitchoverResult,
} from '../central/migration-protocol';
import { XsiteError } from '../core/errors';
import type { Topology } from '../emulator/topology/model';
import type { ChannelJob } from '../ports/control-channel';
import { toDirectoryVms } from './central-sync';
import type { LocalController } from './local-controller';
import type { ReconcileReport } from './reconciler';

const mods = (reports: Iterable<ReconcileReport>): number => {
  let n = 0;
  for (const r of reports) n += r.added + r.modified + r.deleted;
  return n;
};

/** Runs `job` on `app` (the local controller of DC `dc` of `topology`). */
export async function runLocalJob(app: LocalController, topology: Topology, dc: string, job: ChannelJob): Promise<unknown> {
  const b = job.body;
  if (job.type === NAT_INSTALL_JOB && isNatInstallJob(b)) {
    const r = await app.installCrossSite(b.flow);
    return { reconciled: r !== undefined };
  }
  if (job.type === NAT_REMOVE_JOB && isNatRemoveJob(b)) {
    const r = await app.removeCrossSite(b.flowId);
    return { reconciled: r !== undefined };
  }
  if (job.type === MIGRATION_PREPARE_JOB && isMigrationPrepareJob(b)) {
    return { flowMods: mods((await app.prepareIncoming(b.vm)).values()) };
  }
  if (job.type === MIGRATION_STAGE_JOB && isMigrationStageJob(b)) {
    return { flowMods: mods((await app.stage(b.vm, b.flows)).values()) };
  }
  if (job.type === MIGRATION_HOLD_JOB && isMigrationVmJob(b)) {
    return { flowMods: mods((await app.hold(b.vm)).values()) };
  }
  if (job.type === MIGRATION_SWITCHOVER_JOB && isMigrationSwitchoverJob(b)) {
    const reports = await app.switchover(b.vm, toDirectoryVms(b.vms, topology, dc), b.crossSite, { holdUntilRelease: b.hold === true, migrationId: b.migrationId });
    const frames = b.hold === true ? [] : app.takeHeld(b.vm).map((f) => f.toString('base64'));
    const result: MigrationSwitchoverResult = { flowMods: mods(reports.values()), framesHeld: frames.length, frames };
    return result;
  }
  if (job.type === MIGRATION_PRECOMPUTE_JOB && isMigrationSwitchoverJob(b)) {
    return { flowMods: await app.precompute(b.vm, toDirectoryVms(b.vms, topology, dc), b.crossSite, { holdUntilRelease: b.hold === true }) };
  }
  if (job.type === MIGRATION_COMMIT_JOB && isMigrationVmJob(b)) {
    const reports = await app.commitAhead(b.vm);
    return { flowMods: reports !== undefined ? mods(reports.values()) : 0, committed: reports !== undefined };
  }
  if (job.type === MIGRATION_RELEASE_JOB && isMigrationVmJob(b)) {
    const raw = (b as unknown as { frames?: unknown }).frames;
    const handed = Array.isArray(raw) ? raw.filter((f): f is string => typeof f === 'string').map((f) => Buffer.from(f, 'base64')) : [];
    const settled = (b as unknown as { settled?: unknown }).settled !== false;
    return { framesHeld: await app.release(b.vm, handed, { settled }) };
  }
  if (job.type === MIGRATION_SETTLE_JOB && isMigrationVmJob(b)) {
    return { flowMods: mods((await app.settleDeparture(b.vm, b.migrationId)).values()) };
  }
  if (job.type === MIGRATION_ABORT_JOB && isMigrationVmJob(b)) {
    return { flowMods: mods((await app.abortMigration(b.vm)).values()) };
  }
  throw new XsiteError('LOCAL_UNKNOWN_JOB', `unknown job ${job.type} (or a body of the wrong shape)`, { type: job.type });
}
