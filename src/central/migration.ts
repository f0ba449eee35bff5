/**
 * Live migration across layer-3 sites, central's side (seed 000 section 5, figures 2-4): a journaled state machine
 * that drives the hypervisor and the local controllers.
 *
 *  pre-migration   the request is checked; the copy stream gets its path: when both hosts have a migration endpoint
 *                  (src/model/migration-network.ts) it runs between them, and across DCs central opens it as a
 *                  cross-site flow (its NAT tuple allocated, its NAT flows installed on both gateways) before the
 *                  hypervisor sends a byte: source host -> gateway -> gateway -> destination host. Without endpoints
 *                  only the tuple is reserved and the hypervisor copies over its own path. The destination DC
 *                  classifies the VM's frames at its new port ahead.
 *  migration       the hypervisor copies memory while the VM runs (progress is journaled and emitted). Once pre-copy
 *                  converged, the VM's cross-site flows get the tuples of their new gateways reserved, and the DCs at
 *                  their ends install the NAT flows of those tuples that no live packet matches yet (`migration.stage`);
 *                  the source DC starts holding frames sent to the VM (`migration.hold`), and the DCs that switch
 *                  over in the pause compute that switchover and open its bundles (`migration.precompute`); then the
 *                  VM pauses. In the pause (`beforeSwitchover`) those DCs commit (`migration.commit`: the destination
 *                  first, make before break, then the peers) while the directory moves the VM and its cross-site
 *                  flows take the reserved tuples; the switchover jobs then bring every DC of its VN except the
 *                  source the new state (a DC that committed what it gets has nothing left to do; the others apply it
 *                  in one bundle per switch, the destination first). When every such DC committed and would get
 *                  exactly what it precomputed, the pause ends there and those jobs, which only check, go out as the
 *                  VM resumes. The destination's switches flip all at once (its arrival guards turn a half-flipped
 *                  fabric's drops into forwarding).
 *  post-migration  from the moment the hypervisor reports the VM running at the destination: the destination delivers
 *                  what it held; the source flips once frames already on the WAN to it landed and hands those over;
 *                  the copy stream is closed (its tuple and NAT flows released) with the unused reservations; figures
 *                  recorded. A second later the source drops the returns its switchover installed for frames still on
 *                  their way to the old place (`migration.settle`, src/local/managers/migration-departure.ts).
 *
 * Migrations overlap, but one at a time goes from its hold to its release (the network section), and while one goes
 * from its precompute to the end of its switchover the others do not open their copy streams or prepare their
 * destinations (./pause-gate.ts): that would change the models the DCs precomputed against, and they would compute the
 * switchover again in the pause (30-45 ms instead of 5-15 ms in the OVS benchmark).
 *
 * Any failure before the switchover rolls back: the hypervisor leaves the VM running at the source, the DCs drop the
 * arrival and the hold (held frames go on to the VM where it is), the copy stream is closed. A failure during the
 * switchover after the directory moved is completed forward (the DCs are told the new state again). `recover()`,
 * called when central starts, does the same from the journal for migrations a previous process left active.
 *
 * Errors of `request`: VM_NOT_FOUND, HOST_NOT_FOUND, MIGRATION_SAME_HOST, MIGRATION_IN_PROGRESS (concurrent requests
 * for one VM: exactly one wins), FORBIDDEN (a tenant's request for another tenant's VM), MIGRATION_NO_CAPACITY,
 * MIGRATION_ENDPOINT (a host's migration endpoint is infrastructure, it does not migrate).
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { isXsiteError, XsiteError } from '../core/errors';
import type { Topology } from '../emulator/topology/model';
import { toDirectoryVms } from '../local/central-sync';
import type { CrossSiteFlow } from '../model/cross-site-flow';
import type { MigrationRecord } from '../model/migration';
import { type CopyRoute, copyStreamFlowId, isMigrationEndpoint, MIGRATION_LISTEN_PORTS, MIGRATION_SOURCE_PORTS, migrationEndpointName } from '../model/migration-network';
import { isActiveMigration } from '../model/migration';
import type { Hypervisor, HypervisorProgress } from '../ports/hypervisor';
import type { Store, StoreTx } from '../ports/store';
import type { CrossSiteService } from './cross-site';
import { CROSS_SITE_VERSION } from './cross-site-protocol';
import type { Directory } from './directory';
import type { OrderedDispatch } from './ordered-dispatch';
import { PauseGate } from './pause-gate';
import { vmsForDc, vmsForDcIn } from './local-sync';
import {
  MIGRATION_ABORT_JOB,
  MIGRATION_HOLD_JOB,
  MIGRATION_PREPARE_JOB,
  MIGRATION_RELEASE_JOB,
  MIGRATION_STAGE_JOB,
  MIGRATION_PRECOMPUTE_JOB,
  MIGRATION_COMMIT_JOB,
  MIGRATION_SETTLE_JOB,
  MIGRATION_SWITCHOVER_JOB,
  type MigrationSwitchoverJob,
  type MigrationSwitchoverResult,
  type PreparedVm,
  sameSwitchoverInputs,
} from './migration-protocol';

/** Who asks (the API's principal). */
export type MigrationPrincipal = { role: 'operator' } | { role: 'tenant'; tenant: string };

export interface MigrationRequest {
  vm: string;
  destinationHost: string;
}

export interface MigrationServiceOptions {
  store: Store;
  directory: Directory;
  crossSite: CrossSiteService;
  /** Jobs to the DCs, in the order their bodies were built (src/central/ordered-dispatch.ts); share it with CrossSiteService. */
  channel: OrderedDispatch;
  hypervisor: Hypervisor;
  /** The intent: host capacities, switch ports (the same file the local controllers read). */
  topology: Topology;
  /** Called after the directory changed (e.g. LocalSync.changed, so locals re-read it). */
  directoryChanged?: () => void;
  now?: () => number;
  /** How long a DC may take to confirm a migration job (ms); default 10 s. */
  jobTimeoutMs?: number;
  /** How long after a move to another DC its source DC keeps the departure returns (ms); default DEPARTURE_SETTLE_MS. */
  departureSettleMs?: number;
}

/**
 * Events: `state` (MigrationRecord) at every state change, `progress` (MigrationRecord) on copy progress,
 * `source-switched` (MigrationRecord) when the source DC of a move to another DC switched over after the pause.
 */
export class MigrationService extends EventEmitter {
  private readonly now: () => number;
  private readonly running = new Map<string, Promise<MigrationRecord>>();
  private readonly lastProgressWrite = new Map<string, number>();
  /** Frames the DCs held during a migration's pause, to hand to the destination with the release (base64). */
  private readonly handed = new Map<string, string[]>();
  /** Tuples reserved ahead of each migration's pause (flow id -> staging id) and the DCs that staged its flows. */
  private readonly staged = new Map<string, { tuples: Map<string, string>; dcs: string[]; flows: CrossSiteFlow[] }>();
  /** The DCs each migration's switchover was precomputed in (they discard it on rollback). */
  private readonly precomputedIn = new Map<string, string[]>();
  /** What each migration's precompute told each DC its switchover would bring (by migration, then DC). */
  private readonly predicted = new Map<string, Map<string, MigrationSwitchoverJob>>();
  private networkTail: Promise<void> = Promise.resolve();
  /** Other migrations' network changes wait while a migration pauses (./pause-gate.ts). */
  private readonly pauseGate = new PauseGate();
  private readonly copyPortSeq = { from: 0, to: 0 };
  /** Departure settles scheduled and not sent yet (settleLater). */
  private readonly settling = new Set<Promise<void>>();

  constructor(private readonly o: MigrationServiceOptions) {
    super();
    this.now = o.now ?? Date.now;
  }

  /** Checks and journals a migration and starts it; resolves with the record (state `requested`). */
  async request(req: MigrationRequest, principal: MigrationPrincipal = { role: 'operator' }): Promise<MigrationRecord> {
    const loc = await this.o.directory.vmByName(req.vm);
    if (principal.role === 'tenant' && principal.tenant !== loc.vm.tenant) {
      throw new XsiteError('FORBIDDEN', `VM ${req.vm} is not a VM of tenant ${principal.tenant}`, { vm: req.vm });
    }
    if (isMigrationEndpoint(loc.vm)) {
      throw new XsiteError('MIGRATION_ENDPOINT', `${req.vm} is the migration endpoint of host ${loc.host.name}: it stays with its host`, { vm: req.vm, host: loc.host.name });
    }
    const to = await this.o.store.getHost(req.destinationHost);
    if (to === undefined) throw new XsiteError('HOST_NOT_FOUND', `no host ${req.destinationHost}`, { host: req.destinationHost });
    if (to.name === loc.host.name) {
      throw new XsiteError('MIGRATION_SAME_HOST', `${req.vm} already runs on ${to.name}`, { vm: req.vm, host: to.name });
    }
    await this.checkCapacity(to.name, loc.vm.memoryMB);
    const at = this.now();
    let rec: MigrationRecord;
    try {
      // The port and the journal entry in one transaction: concurrent requests never get the same port, and of
      // concurrent requests for one VM exactly one is journaled.
      rec = await this.o.store.transaction(async (tx) => {
        const r: MigrationRecord = {
          id: randomUUID(),
          vm: loc.vm.name,
          tenant: loc.vm.tenant,
          fromHost: loc.host.name,
          toHost: to.name,
          fromDc: loc.dc,
          toDc: to.dc,
          toSwitch: to.switch,
          toPort: await this.freePort(tx, to.dc, to.switch),
          ...(await this.currentPlace(tx, loc.dc, loc.vm.name)),
          state: 'requested',
          createdAt: at,
          updatedAt: at,
          phases: {},
        };
        await tx.insertMigration(r);
        return r;
      });
    } catch (e) {
      if (isXsiteError(e, 'STORE_CONSTRAINT') && e.details?.['constraint'] === 'migration_active_vm') {
        throw new XsiteError('MIGRATION_IN_PROGRESS', `${req.vm} is already migrating`, { vm: req.vm });
      }
      throw e;
    }
    this.emit('state', rec);
    const run = this.run(rec);
    this.running.set(rec.id, run);
    void run.finally(() => this.running.delete(rec.id));
    return rec;
  }

  /** The journaled record; MIGRATION_NOT_FOUND. */
  async get(id: string): Promise<MigrationRecord> {
    const r = await this.o.store.getMigration(id);
    if (r === undefined) throw new XsiteError('MIGRATION_NOT_FOUND', `no migration ${id}`, { id });
    return r;
  }

  list(filter: { vm?: string; active?: boolean } = {}): Promise<MigrationRecord[]> {
    return this.o.store.listMigrations(filter);
  }

  /** Resolves with the final record once migration `id` is completed, rolled back or failed. */
  async wait(id: string): Promise<MigrationRecord> {
    const r = this.running.get(id);
    if (r !== undefined) return r;
    return this.get(id);
  }

  /**
   * Finishes what a previous central process left active in the journal: before the switchover -> rolled back (the
   * VM is where the directory says, at the source); from the switchover on -> completed forward.
   */
  async recover(): Promise<MigrationRecord[]> {
    const out: MigrationRecord[] = [];
    for (const rec of await this.o.store.listMigrations({ active: true })) {
      if (this.running.has(rec.id)) continue;
      const loc = await this.o.directory.vmByName(rec.vm).catch(() => undefined);
      if (loc !== undefined && loc.host.name === rec.toHost) {
        await this.pushSwitchover(rec, 'all').catch(() => undefined);
        await this.release(rec).catch(() => undefined);
        await this.releaseStaged(rec).catch(() => undefined);
        await this.releaseCopyTuple(rec).catch(() => undefined);
        this.settleLater(rec);
        out.push(await this.finish(rec, 'completed', { code: 'MIGRATION_RECOVERED', message: 'completed after a central restart' }));
      } else {
        out.push(await this.rollback(rec, new XsiteError('MIGRATION_INTERRUPTED', 'central restarted during the migration; rolled back')));
      }
    }
    return out;
  }

  // ---- the state machine

  private async run(rec: MigrationRecord): Promise<MigrationRecord> {
    let switched = false;
    let unlock: (() => void) | undefined;
    try {
      return await this.runLocked(rec, (u) => (unlock = u), () => (switched = true), () => switched);
    } finally {
      unlock?.();
    }
  }

  /**
   * The network's critical section of a migration, from the hold to the source's switchover and the release, runs
   * for one migration at a time: a switchover sends each DC its whole directory, and one migration's picture must not
   * flip another's source DC early (its frames on the WAN would find no NAT flow). The copy phases overlap freely;
   * a migration waits for the section before its VM pauses, so the wait is not downtime.
   */
  private networkSection(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const prev = this.networkTail;
    this.networkTail = prev.then(() => mine);
    return prev.then(() => release);
  }

  private async runLocked(rec: MigrationRecord, setUnlock: (u: () => void) => void, markSwitched: () => void, isSwitched: () => boolean): Promise<MigrationRecord> {
    // The switchover jobs sent after the pause, when they only bring the DCs what they committed already.
    let deferred: Promise<MigrationSwitchoverResult> | undefined;
    try {
      // Pre-migration.
      rec = await this.transition(rec, 'pre-migration', (r) => (r.phases.preMigration = { startedAt: this.now() }));
      const loc = await this.o.directory.vmByName(rec.vm);
      const prepared: PreparedVm = { name: loc.vm.name, tenant: loc.vm.tenant, vn: loc.vm.vn, ip: loc.vm.ip, mac: loc.vm.mac, dc: rec.toDc, switch: rec.toSwitch, port: rec.toPort };
      // Not in another migration's pause (it would spoil the switchover the DCs precomputed; see PauseGate).
      await this.pauseGate.change(async () => {
        await this.openCopyStream(rec);
        await this.job(rec.toDc, MIGRATION_PREPARE_JOB, rec.id, { migrationId: rec.id, vm: prepared });
      });
      rec.phases.preMigration!.endedAt = this.now();

      // Migration.
      rec = await this.transition(rec, 'migration', (r) => (r.phases.migration = { startedAt: this.now() }));
      let switchoverMs = 0;
      let flowMods = 0;
      let framesHeld = 0;
      let precomputed: boolean | undefined;
      // Post-migration starts as soon as the VM runs at the destination (the hypervisor's `resumed` progress), while
      // the driver still tidies up the source: the destination delivers what it held at once; the source flips once
      // the frames that were on their way to it over the WAN arrived, and hands those over too.
      let network: Promise<{ framesHeld: number; flowMods: number }> | undefined;
      const finishNetwork = (): Promise<{ framesHeld: number; flowMods: number }> => {
        if (network === undefined) {
          network = (async () => {
            rec.phases.migration!.endedAt = this.now();
            rec = await this.transition(rec, 'post-migration', (r) => (r.phases.postMigration = { startedAt: this.now() }));
            // The deferred switchover jobs reach each DC before the release.
            let mods = deferred !== undefined ? (await deferred).flowMods : 0;
            let held = await this.release(rec, rec.fromDc === rec.toDc);
            if (rec.fromDc !== rec.toDc) {
              await new Promise((r) => setTimeout(r, this.wanGraceMs()));
              mods += (await this.pushSwitchover(rec, 'after')).flowMods;
              this.emit('source-switched', rec);
              held += await this.release(rec, true);
            }
            return { framesHeld: held, flowMods: mods };
          })();
          network.catch(() => undefined);
        }
        return network;
      };
      // Held from before the precompute to the end of the switchover (other migrations' network changes wait).
      let openGate: (() => void) | undefined;
      const result = await this.o.hypervisor.migrate({
        vm: rec.vm,
        fromHost: rec.fromHost,
        toHost: rec.toHost,
        to: { switch: rec.toSwitch, port: rec.toPort },
        ...(rec.copyRoute !== undefined ? { copy: rec.copyRoute } : {}),
        onProgress: (p) => {
          void this.progress(rec, p);
          if (p.phase === 'resumed' && isSwitched()) void finishNetwork();
        },
        beforePause: async () => {
          const section = await this.networkSection();
          const gate = await this.pauseGate.hold();
          openGate = gate;
          setUnlock(() => {
            gate();
            section();
          });
          await this.stage(rec);
          await this.job(rec.fromDc, MIGRATION_HOLD_JOB, rec.id, { migrationId: rec.id, vm: rec.vm });
          // Frames the switch sent to the VM just before the hold took effect are still on the wire: let them land
          // while the VM runs. Meanwhile the DCs compute the switchover ahead (an optimisation: a failure only
          // means the switchover computes it in the pause).
          await Promise.all([this.precompute(rec).catch(() => undefined), new Promise((r) => setTimeout(r, HOLD_SETTLE_MS))]);
        },
        beforeSwitchover: async () => {
          const t0 = performance.now();
          rec = await this.transition(rec, 'switchover');
          markSwitched();
          // The DCs that precomputed the switchover commit it now, while the directory is updated (their switchover
          // below then only checks it got what it expected).
          const ahead = this.commitAhead(rec);
          await this.o.store.transaction(async (tx) => {
            await tx.setVmHost(rec.vm, rec.toHost, rec.toPort);
          });
          const staged = this.staged.get(rec.id);
          const re = await this.o.crossSite.resetupForVm(rec.vm, staged?.tuples);
          rec.nat = { allocated: (rec.nat?.allocated ?? 0) + re.allocated, released: (rec.nat?.released ?? 0) + re.released };
          // The directory is updated: compare what the DCs will get with what they precomputed while the commits are
          // still on their way.
          const asPredicted = this.asPredicted(rec);
          const early = await ahead;
          // Every DC of the pause committed what it computed ahead: the switchover jobs only check that, at once.
          // (precomputedIn: the pause's DCs as precompute() found them.)
          const checkOnly = early.committed.length > 0 && (this.precomputedIn.get(rec.id) ?? []).every((d) => early.committed.includes(d));
          if (rec.fromDc !== rec.toDc) precomputed = checkOnly;
          if (checkOnly && (await asPredicted)) {
            // Central would send every DC of the pause exactly what it predicted, and each committed that: the switches
            // confirmed the new flows. The switchover jobs then only bring the DCs' models the actual inputs (the
            // flows' set-up generations); they go out as the VM resumes, ahead of the release. Other migrations'
            // changes wait for them (a DC whose model changed first would reconcile instead of only checking).
            deferred = this.pushSwitchover(rec, 'pause', true);
            deferred.catch(() => undefined);
            flowMods = early.flowMods;
          } else {
            ({ flowMods } = await this.pushSwitchover(rec, 'pause', checkOnly));
            flowMods += early.flowMods;
          }
          switchoverMs = performance.now() - t0;
          if (deferred !== undefined) void deferred.finally(() => openGate?.()).catch(() => undefined);
          else openGate?.();
        },
      });
      // Post-migration (started already if the hypervisor reported the VM running at the destination).
      const net = await finishNetwork();
      framesHeld += net.framesHeld;
      flowMods += net.flowMods;
      await this.releaseCopyTuple(rec);
      await this.releaseStaged(rec);
      this.o.directoryChanged?.();
      rec.result = {
        totalMs: result.totalMs,
        hypervisorDowntimeMs: result.downtimeMs,
        copiedOver: result.copiedOver,
        switchoverMs,
        bytesCopied: result.bytesCopied,
        rounds: result.rounds,
        flowMods,
        framesHeld,
        ...(precomputed !== undefined ? { precomputed } : {}),
      };
      rec.phases.postMigration!.endedAt = this.now();
      const completed = await this.finish(rec, 'completed');
      this.settleLater(rec);
      return completed;
    } catch (e) {
      if (isSwitched()) {
        // The directory moved: finish forward so that every DC agrees with it (after the jobs of the pause).
        await deferred?.catch(() => undefined);
        await this.pushSwitchover(rec, 'all').catch(() => undefined);
        await this.release(rec).catch(() => undefined);
        await this.releaseCopyTuple(rec).catch(() => undefined);
        await this.releaseStaged(rec).catch(() => undefined);
        this.settleLater(rec);
        return this.finish(rec, 'completed', errorOf(e));
      }
      return this.rollback(rec, e);
    }
  }

  /**
   * Sends the switchover to the DCs of the VM's VN. `pause` (in the hypervisor's pause): the destination first (make
   * before break: a peer that flipped before the destination did lost frames in the OVS benchmark, arrival guards
   * notwithstanding), then the other DCs except the source; all at once with `checkOnly` (they all committed their
   * precomputed switchover already, the jobs only check it). `after` (the VM runs at the destination): the source, once
   * the frames that were on their way to it over the WAN arrived (it holds them, with those of its own senders, and
   * hands them over for the destination). `all`: both, for recovery. Resolves with what the DCs did.
   */
  private async pushSwitchover(rec: MigrationRecord, part: 'pause' | 'after' | 'all', checkOnly = false): Promise<MigrationSwitchoverResult> {
    const dcs = await this.switchoverDcs(rec);
    const send = async (dc: string): Promise<MigrationSwitchoverResult> => {
      const r = await this.job<MigrationSwitchoverResult>(dc, MIGRATION_SWITCHOVER_JOB, rec.id, () => this.switchoverBody(rec, dc));
      return { flowMods: typeof r?.flowMods === 'number' ? r.flowMods : 0, framesHeld: typeof r?.framesHeld === 'number' ? r.framesHeld : 0, ...(Array.isArray(r?.frames) ? { frames: r.frames } : {}) };
    };
    const total: MigrationSwitchoverResult = { flowMods: 0, framesHeld: 0, frames: [] };
    const add = (r: MigrationSwitchoverResult) => {
      total.flowMods += r.flowMods;
      total.frames!.push(...(r.frames ?? []));
    };
    const sourceLast = rec.fromDc !== rec.toDc;
    if (part !== 'after') {
      const others = dcs.filter((d) => d !== rec.toDc && !(sourceLast && d === rec.fromDc));
      if (checkOnly) for (const r of await Promise.all([rec.toDc, ...others].map(send))) add(r);
      else {
        add(await send(rec.toDc));
        for (const r of await Promise.all(others.map(send))) add(r);
      }
    }
    if (part !== 'pause' && sourceLast) add(await send(rec.fromDc));
    this.handed.set(rec.id, [...(this.handed.get(rec.id) ?? []), ...total.frames!]);
    return total;
  }

  /** The `migration.switchover` DC `dc` gets for `rec`: its directory and cross-site flows as the store has them now. */
  private async switchoverBody(rec: MigrationRecord, dc: string): Promise<MigrationSwitchoverJob> {
    return { migrationId: rec.id, vm: rec.vm, vms: await vmsForDc(this.o.store, dc), crossSite: await this.o.crossSite.flowsForDc(dc), hold: dc === rec.toDc };
  }

  /** Whether every DC `rec`'s switchover was precomputed in would get now what its precompute predicted. */
  private async asPredicted(rec: MigrationRecord): Promise<boolean> {
    const predicted = this.predicted.get(rec.id);
    const dcs = this.precomputedIn.get(rec.id) ?? [];
    if (predicted === undefined || dcs.length === 0 || !dcs.every((dc) => predicted.has(dc))) return false;
    const now = await Promise.all(dcs.map((dc) => this.switchoverBody(rec, dc)));
    return dcs.every((dc, i) => sameSwitchoverInputs(predicted.get(dc)!, now[i]!));
  }

  /** The DCs a switchover of `rec` goes to: those of the VM's VN, the source and the destination. */
  private async switchoverDcs(rec: MigrationRecord): Promise<string[]> {
    const loc = await this.o.directory.vmByName(rec.vm);
    const dcs = await this.o.directory.dcsOfVn(loc.vm.tenant, loc.vm.vn);
    for (const d of [rec.fromDc, rec.toDc]) if (!dcs.includes(d)) dcs.push(d);
    return dcs;
  }

  /**
   * Before the pause (the tuples reserved, the source holding): sends the DCs that switch over in the pause the
   * switchover central expects to send them, the VM at its new place and its flows with the reserved tuples
   * (`migration.precompute`). A DC that gets the same in the pause only commits the bundles it opened.
   */
  private async precompute(rec: MigrationRecord): Promise<void> {
    const dcs = await this.pauseDcs(rec);
    const staged = this.staged.get(rec.id);
    // The VM's open flows: after the move each is the staged one (with its reserved tuple) or closed (both ends in one
    // DC). A move inside a DC keeps them as they are.
    const mine = staged !== undefined ? new Set((await this.o.store.listFlows({ state: 'open', vm: rec.vm })).map((f) => f.id)) : new Set<string>();
    const crossSite = async (dc: string): Promise<CrossSiteFlow[]> => {
      const now = (await this.o.crossSite.flowsForDc(dc)).filter((f) => !mine.has(f.id));
      const after = (staged?.flows ?? []).filter((f) => f.a.dc === dc || f.b.dc === dc);
      return [...now, ...after].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    };
    this.precomputedIn.set(rec.id, dcs);
    const predicted = new Map<string, MigrationSwitchoverJob>();
    this.predicted.set(rec.id, predicted);
    const moved = { vm: rec.vm, host: rec.toHost, port: rec.toPort };
    await Promise.all(
      dcs.map((dc) =>
        this.job(dc, MIGRATION_PRECOMPUTE_JOB, rec.id, async () => {
          const body: MigrationSwitchoverJob = { migrationId: rec.id, vm: rec.vm, vms: await vmsForDc(this.o.store, dc, moved), crossSite: await crossSite(dc), hold: dc === rec.toDc };
          predicted.set(dc, body);
          return body;
        }),
      ),
    );
  }

  /**
   * Has the DCs that precomputed the switchover of a move to another DC commit it (`migration.commit`); resolves with
   * the flow changes they made. A DC that cannot (its model changed) does it all in the switchover.
   */
  private async commitAhead(rec: MigrationRecord): Promise<{ flowMods: number; committed: string[] }> {
    const dcs = rec.fromDc !== rec.toDc ? (this.precomputedIn.get(rec.id) ?? []) : [];
    const out = { flowMods: 0, committed: [] as string[] };
    const commit = async (dc: string) => {
      const r = await this.job<{ flowMods?: number; committed?: boolean }>(dc, MIGRATION_COMMIT_JOB, rec.id, { migrationId: rec.id, vm: rec.vm }).catch(() => undefined);
      out.flowMods += typeof r?.flowMods === 'number' ? r.flowMods : 0;
      if (r?.committed === true) out.committed.push(dc);
    };
    // Make before break: the destination first (it holds what arrives for the VM), then the peers, which send there.
    if (dcs.includes(rec.toDc)) await commit(rec.toDc);
    await Promise.all(dcs.filter((d) => d !== rec.toDc).map(commit));
    return out;
  }

  /** The DCs that switch over in the pause: the VM's VN's, the destination's, not the source's (when it is another). */
  private async pauseDcs(rec: MigrationRecord): Promise<string[]> {
    return (await this.switchoverDcs(rec)).filter((d) => !(rec.fromDc !== rec.toDc && d === rec.fromDc));
  }

  /**
   * A while after a move to another DC ended, has the source DC drop the returns its switchover installed for frames
   * still on their way to the VM's old place (`migration.settle`, src/local/managers/migration-departure.ts); like
   * any network change it waits while another migration pauses (./pause-gate.ts). Resolves when it was sent (tests
   * and the benchmark wait for {@link settled}).
   */
  private settleLater(rec: MigrationRecord): void {
    if (rec.fromDc === rec.toDc) return;
    const settle = new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        void this.pauseGate
          .change(() => this.job(rec.fromDc, MIGRATION_SETTLE_JOB, rec.id, { migrationId: rec.id, vm: rec.vm }))
          .catch(() => undefined)
          .finally(() => resolve());
      }, this.o.departureSettleMs ?? DEPARTURE_SETTLE_MS);
      t.unref();
    });
    this.settling.add(settle);
    void settle.finally(() => this.settling.delete(settle));
  }

  /** Resolves once every departure settle scheduled so far was sent (see settleLater). */
  async settled(): Promise<void> {
    while (this.settling.size > 0) await Promise.all([...this.settling]);
  }

  /** Longest one-way WAN latency of the topology (frames still on their way to the source when the peers flipped). */
  private wanGraceMs(): number {
    return Math.max(0, ...this.o.topology.wanLinks.map((l) => l.latencyMs)) + 5;
  }

  /**
   * Tells the destination the VM runs there; resolves with the frames it held and delivered. `settled`: the last
   * release of the migration (the destination drops its arrival guards too).
   */
  private async release(rec: MigrationRecord, settled = true): Promise<number> {
    const frames = this.handed.get(rec.id) ?? [];
    this.handed.delete(rec.id);
    const r = await this.job<{ framesHeld?: number }>(rec.toDc, MIGRATION_RELEASE_JOB, rec.id, { migrationId: rec.id, vm: rec.vm, frames, settled });
    return typeof r?.framesHeld === 'number' ? r.framesHeld : 0;
  }

  private async rollback(rec: MigrationRecord, cause: unknown): Promise<MigrationRecord> {
    try {
      rec = await this.transition(rec, 'rolling-back', (r) => (r.error = errorOf(cause)));
      // The DCs that may have staged flows for the move too (after a central restart the list is gone: every DC of
      // the VM's VN).
      const loc = await this.o.directory.vmByName(rec.vm).catch(() => undefined);
      const vnDcs = loc !== undefined ? await this.o.directory.dcsOfVn(loc.vm.tenant, loc.vm.vn) : [];
      const dcs = new Set([rec.fromDc, rec.toDc, ...(this.staged.get(rec.id)?.dcs ?? vnDcs), ...(this.precomputedIn.get(rec.id) ?? [])]);
      await Promise.all([...dcs].map((dc) => this.job(dc, MIGRATION_ABORT_JOB, rec.id, { migrationId: rec.id, vm: rec.vm })));
      await this.releaseCopyTuple(rec);
      await this.releaseStaged(rec);
      return await this.finish(rec, 'rolled-back', errorOf(cause));
    } catch (e) {
      return this.finish(rec, 'failed', errorOf(e));
    }
  }

  /**
   * Before the pause of a move to another DC: reserves the tuples the VM's cross-site flows will use after it
   * (CrossSiteService.stageMove) and has the DCs at their ends install the NAT flows no live packet matches yet.
   */
  private async stage(rec: MigrationRecord): Promise<void> {
    if (rec.fromDc === rec.toDc) return;
    const { flows, staged } = await this.o.crossSite.stageMove(rec.vm, rec.toDc, stageKey(rec.id));
    const byDc = new Map<string, typeof flows>();
    for (const f of flows) for (const dc of new Set([f.a.dc, f.b.dc])) byDc.set(dc, [...(byDc.get(dc) ?? []), f]);
    this.staged.set(rec.id, { tuples: staged, dcs: [...byDc.keys()], flows });
    await Promise.all([...byDc].map(([dc, fs]) => this.job(dc, MIGRATION_STAGE_JOB, rec.id, { migrationId: rec.id, vm: rec.vm, flows: fs })));
  }

  /**
   * Gives back the tuples reserved for a migration that no flow took. The ids are known from stage(); a migration a
   * previous process left (recovery) has them found in the store by their prefix.
   */
  private async releaseStaged(rec: MigrationRecord): Promise<void> {
    const known = this.staged.get(rec.id);
    this.staged.delete(rec.id);
    const prefix = `${stageKey(rec.id)}|`;
    const ids = known !== undefined ? [...known.tuples.values()] : (await this.o.store.listNatTuples()).map((t) => t.flowId).filter((id) => id.startsWith(prefix));
    for (const id of ids) {
      if ((await this.o.directory.allocator.release(id)) === undefined) continue;
      rec.nat = { allocated: (rec.nat?.allocated ?? 0) + 1, released: (rec.nat?.released ?? 0) + 1 };
    }
  }

  /**
   * Pre-migration: the copy stream's path. Between the two hosts' migration endpoints when both have one (across DCs
   * a cross-site flow: tuple allocated and NAT flows installed on both gateways, journaled with the route); else,
   * across DCs, only a reserved tuple (the hypervisor copies over its own path).
   */
  private async openCopyStream(rec: MigrationRecord): Promise<void> {
    const [fromEp, toEp] = await Promise.all([this.o.store.getVm(migrationEndpointName(rec.fromHost)), this.o.store.getVm(migrationEndpointName(rec.toHost))]);
    if (fromEp !== undefined && toEp !== undefined && fromEp.host === rec.fromHost && toEp.host === rec.toHost && isMigrationEndpoint(fromEp) && isMigrationEndpoint(toEp)) {
      const route: CopyRoute = {
        from: { vm: fromEp.name, ip: fromEp.ip, port: await this.copyPort(fromEp.name, 'from') },
        to: { vm: toEp.name, ip: toEp.ip, port: await this.copyPort(toEp.name, 'to') },
      };
      if (rec.fromDc !== rec.toDc) {
        // Journal the route first: a restart between the open and the journal would otherwise leak the flow.
        await this.journal(rec, (r) => (r.copyRoute = { ...route, flowId: copyStreamFlowId(route) }));
        const flow = await this.o.crossSite.open(rec.fromDc, { type: 'flow.open', v: CROSS_SITE_VERSION, protocol: 'tcp', srcVm: fromEp.name, dstVm: toEp.name, srcPort: route.from.port, dstPort: route.to.port });
        route.flowId = flow.id;
        rec.copyTuple = flow.tuple;
        rec.nat = { allocated: 1, released: 0 };
      }
      await this.journal(rec, (r) => (r.copyRoute = route));
      return;
    }
    if (rec.fromDc === rec.toDc) return;
    const [src, dst] = await Promise.all([this.o.store.listGateways(rec.fromDc), this.o.store.listGateways(rec.toDc)]);
    if (src[0] !== undefined && dst[0] !== undefined) {
      rec.copyTuple = await this.o.directory.allocator.allocate({ protocol: 'tcp', srcGateway: src[0].name, dstGateway: dst[0].name, flowId: copyFlowId(rec.id) });
      rec.nat = { allocated: 1, released: 0 };
    }
  }

  /**
   * A port of endpoint `vm` that no active migration's copy stream uses on that side (`from`: a source port, `to`: a
   * listen port, so that two migrations into one host at once have a receiver each); the next one, round robin.
   */
  private async copyPort(vm: string, side: 'from' | 'to'): Promise<number> {
    const used = new Set<number>();
    for (const m of await this.o.store.listMigrations({ active: true })) if (m.copyRoute?.[side].vm === vm) used.add(m.copyRoute[side].port);
    const [lo, hi] = side === 'from' ? MIGRATION_SOURCE_PORTS : MIGRATION_LISTEN_PORTS;
    for (let i = 0; i <= hi - lo; i++) {
      const port = lo + ((this.copyPortSeq[side]++ + i) % (hi - lo + 1));
      if (!used.has(port)) return port;
    }
    throw new XsiteError('MIGRATION_NO_PORT', `no free copy-stream ${side === 'from' ? 'source' : 'listen'} port on ${vm}`, { vm });
  }

  /** Records a change of `rec` in the journal without a state change (no event). */
  private async journal(rec: MigrationRecord, change: (r: MigrationRecord) => void): Promise<void> {
    change(rec);
    rec.updatedAt = this.now();
    await this.o.store.updateMigration(structuredClone(rec));
  }

  /** Closes the copy stream's flow (or releases its reserved tuple); idempotent. */
  private async releaseCopyTuple(rec: MigrationRecord): Promise<void> {
    let released = false;
    if (rec.copyRoute?.flowId !== undefined) released = await this.o.crossSite.close(rec.copyRoute.flowId);
    if ((await this.o.directory.allocator.release(copyFlowId(rec.id))) !== undefined) released = true;
    if (released) rec.nat = { allocated: rec.nat?.allocated ?? 1, released: (rec.nat?.released ?? 0) + 1 };
  }

  private async finish(rec: MigrationRecord, state: 'completed' | 'rolled-back' | 'failed', error?: { code: string; message: string }): Promise<MigrationRecord> {
    this.precomputedIn.delete(rec.id);
    this.predicted.delete(rec.id);
    this.handed.delete(rec.id);
    return this.transition(rec, state, (r) => {
      if (error !== undefined && state !== 'completed') r.error = error;
      for (const p of Object.values(r.phases)) if (p !== undefined && p.endedAt === undefined) p.endedAt = this.now();
    });
  }

  private async transition(rec: MigrationRecord, state: MigrationRecord['state'], change?: (r: MigrationRecord) => void): Promise<MigrationRecord> {
    const next: MigrationRecord = structuredClone(rec);
    next.state = state;
    next.updatedAt = this.now();
    change?.(next);
    await this.o.store.updateMigration(next);
    Object.assign(rec, next);
    this.emit('state', next);
    return next;
  }

  private async progress(rec: MigrationRecord, p: HypervisorProgress): Promise<void> {
    rec.progress = { ...p };
    this.emit('progress', structuredClone(rec));
    // Journal progress at most every 200 ms (and always the pause).
    const last = this.lastProgressWrite.get(rec.id) ?? 0;
    if (p.phase === 'precopy' && this.now() - last < 200) return;
    this.lastProgressWrite.set(rec.id, this.now());
    await this.o.store.updateMigration({ ...rec, updatedAt: this.now() }).catch(() => undefined);
  }

  /** Sends a job (its body built under the DC's dispatch lock when given as a function) and resolves with its result. */
  private async job<R>(dc: string, type: string, migrationId: string, body: unknown): Promise<R> {
    const build = typeof body === 'function' ? (body as () => Promise<unknown>) : async () => body;
    const r = await this.o.channel.dispatchBuilt<R>(dc, async () => ({ id: `${type}|${migrationId}|${dc}|${randomUUID()}`, type, body: await build() }), { timeoutMs: this.o.jobTimeoutMs ?? 10_000 });
    return r.value;
  }

  /**
   * The lowest port of switch `sw` (DC `dc`) that is not a link, not where a VM is plugged in now (the placement the
   * DC's local controller computes from the directory), and not promised to an active migration.
   */
  private async freePort(tx: StoreTx, dc: string, sw: string): Promise<number> {
    const taken = new Set<number>();
    for (const p of this.o.topology.switches.find((x) => x.name === sw)?.ports ?? []) if (p.kind !== 'vm') taken.add(p.port);
    for (const v of toDirectoryVms(await vmsForDcIn(tx, dc), this.o.topology, dc)) if (v.switch === sw && v.port !== undefined) taken.add(v.port);
    for (const m of await tx.listMigrations({ active: true })) {
      if (m.toSwitch === sw) taken.add(m.toPort);
      // A VM leaving is plugged in there until its migration ends, even after the directory moved it.
      if (m.fromSwitch === sw && m.fromPort !== undefined) taken.add(m.fromPort);
    }
    let port = 1;
    while (taken.has(port)) port++;
    if (port > 0xfeff) throw new XsiteError('MIGRATION_NO_PORT', `no free port on ${sw}`, { switch: sw });
    return port;
  }

  /** Where VM `name` of DC `dc` is plugged in now (the placement the DC's local controller computes). */
  private async currentPlace(tx: StoreTx, dc: string, name: string): Promise<{ fromSwitch?: string; fromPort?: number }> {
    const me = toDirectoryVms(await vmsForDcIn(tx, dc), this.o.topology, dc).find((v) => v.name === name);
    return me?.switch !== undefined && me.port !== undefined ? { fromSwitch: me.switch, fromPort: me.port } : {};
  }

  private async checkCapacity(host: string, memoryMB: number): Promise<void> {
    const h = this.o.topology.hosts.find((x) => x.name === host);
    const cap = h?.capacity;
    if (cap === undefined) return;
    // Migration endpoints are the host's infrastructure, not guests.
    const on = (await this.o.store.listVms({ host })).filter((v) => !isMigrationEndpoint(v));
    const incoming = (await this.o.store.listMigrations({ active: true })).filter((m) => m.toHost === host).length;
    if (cap.vms !== undefined && on.length + incoming + 1 > cap.vms) {
      throw new XsiteError('MIGRATION_NO_CAPACITY', `${host} has no room for another VM (${on.length + incoming}/${cap.vms})`, { host, vms: on.length + incoming, capacity: cap.vms });
    }
    const used = on.reduce((n, v) => n + v.memoryMB, 0);
    if (cap.memoryMB !== undefined && used + memoryMB > cap.memoryMB) {
      throw new XsiteError('MIGRATION_NO_CAPACITY', `${host} has ${cap.memoryMB - used} MB free, the VM needs ${memoryMB} MB`, { host, freeMB: cap.memoryMB - used, neededMB: memoryMB });
    }
  }
}

/**
 * How long the source DC of a move to another DC keeps its departure returns after the migration ended: frames that
 * a switch's datapath still forwards with the old verdict (until its revalidators caught up, normally a few ms) are
 * turned back meanwhile.
 */
export const DEPARTURE_SETTLE_MS = 1000;

/** Wait between the hold taking effect and the pause (frames already sent to the VM land meanwhile). */
export const HOLD_SETTLE_MS = 5;

/** The prefix of the ids under which tuples are reserved ahead of a migration's pause (`<prefix>|<flow id>`). */
export function stageKey(migrationId: string): string {
  return `stage|${migrationId}`;
}

/** The flow id under which a migration's copy-stream tuple is allocated. */
export function copyFlowId(migrationId: string): string {
  return `migration|${migrationId}`;
}

function errorOf(e: unknown): { code: string; message: string } {
  if (isXsiteError(e)) return { code: e.code, message: e.message };
  return { code: 'MIGRATION_FAILED', message: (e as Error)?.message ?? String(e) };
}

export { isActiveMigration };
