/**
 * Central's cross-site service and one LocalController per DC in one process, joined by direct calls instead of the
 * control channel (the channel itself is tested in test/unit/channel; the processes in separate-processes.test.ts),
 * with the emulated switches of every DC connected over in-memory OpenFlow connections.
 */
import { CrossSiteService } from '../../../src/central/cross-site';
import { isNatInstallJob, isNatRemoveJob } from '../../../src/central/cross-site-protocol';
import { Directory } from '../../../src/central/directory';
import { SqliteStore } from '../../../src/drivers/store/sqlite/sqlite-store';
import { EmulatedNetwork } from '../../../src/emulator/network';
import type { Topology } from '../../../src/emulator/topology/model';
import { directoryFromTopology } from '../../../src/local/dc-model';
import { LocalController } from '../../../src/local/local-controller';
import { OpenFlowController } from '../../../src/openflow/controller';
import { memoryDuplexPair } from '../../../src/openflow/memory-duplex';
import type { ChannelJob } from '../../../src/ports/control-channel';

export interface CrossSiteHarness {
  net: EmulatedNetwork;
  store: SqliteStore;
  directory: Directory;
  service: CrossSiteService;
  locals: Map<string, LocalController>;
  appErrors: unknown[];
  close(): Promise<void>;
}

export async function crossSiteHarness(topo: Topology, opts: { idleTimeoutS?: number } = {}): Promise<CrossSiteHarness> {
  const store = await SqliteStore.open(':memory:');
  const directory = new Directory(store);
  await directory.loadIntent(topo);
  const locals = new Map<string, LocalController>();
  const controllers = new Map<string, OpenFlowController>();
  const appErrors: unknown[] = [];
  const service = new CrossSiteService(store, directory, {
    async dispatchJob(dc: string, job: ChannelJob) {
      const lc = locals.get(dc);
      if (lc === undefined) throw new Error(`no local controller for ${dc}`);
      let value: unknown;
      if (isNatInstallJob(job.body)) value = await lc.installCrossSite(job.body.flow);
      else if (isNatRemoveJob(job.body)) value = await lc.removeCrossSite(job.body.flowId);
      else throw new Error(`unknown job ${job.type}`);
      return { jobId: job.id, dc, value: value as never };
    },
  });
  const vms = directoryFromTopology(topo);
  for (const dc of topo.datacenters) {
    const lc = new LocalController({
      topology: topo,
      dc: dc.name,
      vms,
      ...(opts.idleTimeoutS !== undefined ? { nat: { idleTimeoutS: opts.idleTimeoutS } } : {}),
      crossSite: {
        open: (req) => service.open(dc.name, req),
        reopen: (req) => service.reopen(dc.name, req),
        idle: (flowId, gen) => void service.reportIdle(dc.name, flowId, gen),
      },
    });
    const of = new OpenFlowController();
    of.use(lc);
    of.on('app_error', (e) => appErrors.push(e));
    locals.set(dc.name, lc);
    controllers.set(dc.name, of);
  }
  const net = EmulatedNetwork.build(topo);
  net.connectControllers((dc) => {
    const [a, b] = memoryDuplexPair();
    controllers.get(dc)!.accept(a);
    return b;
  });
  await Promise.all([...locals.values()].map((l) => l.waitForSwitches(5000)));
  return {
    net,
    store,
    directory,
    service,
    locals,
    appErrors,
    close: async () => {
      net.close();
      for (const of of controllers.values()) await of.close();
      await store.close();
    },
  };
}
