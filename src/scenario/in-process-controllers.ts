/**
 * Central (store, directory, cross-site service, migration service) and one LocalController per data center in one
 * process, joined by direct calls where the processes use the control channel (jobs run through the same
 * `runLocalJob` as `xsite local`), with the topology's switches connected over in-memory OpenFlow connections. The
 * migration demo and benchmark run on it: the `sim` hypervisor lives in the emulator, in this process.
 */
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
  net: EmulatedNetwork;
  hypervisor: Hypervisor;
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
  const migrations = new MigrationService({ store, directory, crossSite, channel: ordered, hypervisor: o.hypervisor, topology: o.topology });
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
  o.net.connectControllers((dc) => {
    const [a, b] = memoryDuplexPair();
    controllers.get(dc)!.accept(a);
    return b;
  });
  await Promise.all([...locals.values()].map((l) => l.waitForSwitches(10_000)));
  return {
    store,
    directory,
    crossSite,
    migrations,
    locals,
    appErrors,
    jobs,
    close: async () => {
      for (const of of controllers.values()) await of.close();
      await store.close();
    },
  };
}
