/**
 * Central's cross-site service and one LocalController per DC in one process (src/scenario/in-process-controllers.ts,
 * jobs by direct calls instead of the control channel, which has its own tests), with the emulated switches of every
 * DC connected over in-memory OpenFlow connections. No hypervisor: these tests do not migrate.
 */
import type { CrossSiteService } from '../../../src/central/cross-site';
import type { Directory } from '../../../src/central/directory';
import type { SqliteStore } from '../../../src/drivers/store/sqlite/sqlite-store';
import { EmulatedNetwork } from '../../../src/emulator/network';
import type { Topology } from '../../../src/emulator/topology/model';
import type { LocalController } from '../../../src/local/local-controller';
import type { Hypervisor } from '../../../src/ports/hypervisor';
import { startInProcessControllers } from '../../../src/scenario/in-process-controllers';

export interface CrossSiteHarness {
  net: EmulatedNetwork;
  store: SqliteStore;
  directory: Directory;
  service: CrossSiteService;
  locals: Map<string, LocalController>;
  appErrors: unknown[];
  close(): Promise<void>;
}

const NO_HYPERVISOR: Hypervisor = { kind: 'sim', migrate: () => Promise.reject(new Error('no hypervisor in this harness')) };

export async function crossSiteHarness(topo: Topology, opts: { idleTimeoutS?: number } = {}): Promise<CrossSiteHarness> {
  const net = EmulatedNetwork.build(topo);
  const ctl = await startInProcessControllers({
    topology: topo,
    switches: { net },
    hypervisor: NO_HYPERVISOR,
    ...(opts.idleTimeoutS !== undefined ? { natIdleTimeoutS: opts.idleTimeoutS } : {}),
  });
  return {
    net,
    store: ctl.store,
    directory: ctl.directory,
    service: ctl.crossSite,
    locals: ctl.locals,
    appErrors: ctl.appErrors,
    close: async () => {
      net.close();
      await ctl.close();
    },
  };
}
