/**
 * Central (store, directory, cross-site service, migration service) and one LocalController per data center in one
 * process, joined by direct calls where the processes use the control channel (jobs run through the same
 * `runLocalJob` as `xsite local`). The topology's switches connect either over in-memory OpenFlow connections (the
 * emulator, `net`) or over TCP to one listener per data center (`tcp`: Open vSwitch bridges of the lab). The
 * migration demo and benchmark run on it, with the `sim` hypervisor in the emulator or `netns` / `qemu` on the lab.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CrossSiteService } from '../central/cross-site';
import { Directory } from '../central/directory';
import { MigrationService } from '../central/migration';
import { OrderedDispatch } from '../central/ordered-dispatch';
import { SqliteStore } from '../drivers/store/sqlite/sqlite-store';
import type { EmulatedNetwork } from '../emulator/network';
import type { Topology } from '../emulator/topology/model';
import { directoryFromTopology } from '../local/dc-model';
import { runLocalJob } from '../local/jobs';
import { LocalController } from '../local/local-controller';
import { OpenFlowController } from '../openflow/controller';
import { memoryDuplexPair } from '../openflow/memory-duplex';
import type { ChannelJob } from '../ports/control-channel';
import type { Hypervisor } from '../ports/hypervisor';

export interface InProcessControllers {
  store: SqliteStore;
  directory: Directory;
  crossSite: CrossSiteService;
  migrations: MigrationService;
  locals: Map<string, LocalController>;
  /** Errors thrown by controller apps (should stay empty). */
  appErrors: unknown[];
  /** Jobs dispatched, by type. */
  jobs: Map<string, number>;
  close(): Promise<void>;
}

export interface InProcessOptions {
  topology: Topology;
  /**
   * How the switches reach the controllers: the emulator's switches over in-memory connections, or `socket`: each
   * data center's controller listens on a Unix socket of its own (a private temporary directory) and the function is
   * called with the target of each DC's bridges (`unix:PATH`, which reaches a vswitchd in another network namespace
   * without a relay process); it brings the switches up (e.g. {@link OvsDataplane.up}) and resolves when they are.
   */
  switches: { net: EmulatedNetwork } | { socket: (controllerFor: (dc: string) => string) => Promise<void> };
  /** The hypervisor, or a function that returns it on first use (when it needs the switches that `tcp` brings up). */
  hypervisor: Hypervisor | (() => Hypervisor);
  /** Idle timeout of gateway NAT flows, seconds. */
  natIdleTimeoutS?: number;
  /** SQLite file for central's store (default in memory). */
  db?: string;
}

/** Starts the controllers and connects every switch of `net`; resolves once every switch was reconciled. */
export async function startInProcessControllers(o: InProcessOptions): Promise<InProcessControllers> {
  const store = await SqliteStore.open(o.db ?? ':memory:');
  const directory = new Directory(store);
  await directory.loadIntent(o.topology);
  const locals = new Map<string, LocalController>();
  const controllers = new Map<string, OpenFlowController>();
  const appErrors: unknown[] = [];
  const jobs = new Map<string, number>();
  const channel = {
    async dispatchJob<R>(dc: string, job: ChannelJob) {
      const lc = locals.get(dc);
      if (lc === undefined) throw new Error(`no local controller for ${dc}`);
      jobs.set(job.type, (jobs.get(job.type) ?? 0) + 1);
      const value = (await runLocalJob(lc, o.topology, dc, job)) as R;
      return { jobId: job.id, dc, value };
    },
  };
  const ordered = new OrderedDispatch(channel);
  const crossSite = new CrossSiteService(store, directory, ordered);
  const hv = o.hypervisor;
  const hypervisor: Hypervisor = typeof hv === 'function' ? { get kind() { return hv().kind; }, migrate: (req) => hv().migrate(req) } : hv;
  const migrations = new MigrationService({ store, directory, crossSite, channel: ordered, hypervisor, topology: o.topology });
  const vms = directoryFromTopology(o.topology);
  for (const dc of o.topology.datacenters) {
    const lc = new LocalController({
      topology: o.topology,
      dc: dc.name,
      vms,
      ...(o.natIdleTimeoutS !== undefined ? { nat: { idleTimeoutS: o.natIdleTimeoutS } } : {}),
      crossSite: {
        open: (req) => crossSite.open(dc.name, req),
        reopen: (req) => crossSite.reopen(dc.name, req),
        idle: (flowId, gen) => void crossSite.reportIdle(dc.name, flowId, gen),
      },
    });
    const of = new OpenFlowController();
    of.use(lc);
    of.on('app_error', (e) => appErrors.push(e));
    locals.set(dc.name, lc);
    controllers.set(dc.name, of);
  }
  let socketDir: string | undefined;
  const close = async () => {
    for (const of of controllers.values()) await of.close();
    if (socketDir !== undefined) fs.rmSync(socketDir, { recursive: true, force: true });
    await store.close();
  };
  try {
    if ('net' in o.switches) {
      o.switches.net.connectControllers((dc) => {
        const [a, b] = memoryDuplexPair();
        controllers.get(dc)!.accept(a);
        return b;
      });
    } else {
      socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xsite-of-'));
      const paths = new Map<string, string>();
      for (const [dc, of] of controllers) {
        const p = path.join(socketDir, `${paths.size + 1}.sock`);
        await of.listenUnix(p);
        paths.set(dc, p);
      }
      await o.switches.socket((dc) => `unix:${paths.get(dc)}`);
    }
    await Promise.all([...locals.values()].map((l) => l.waitForSwitches(15_000)));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    store,
    directory,
    crossSite,
    migrations,
    locals,
    appErrors,
    jobs,
    close,
  };
}
