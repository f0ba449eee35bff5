/**
 * The migration testbed on the emulator: the topology's switches and VMs emulated in this process, the `sim`
 * hypervisor (pre-copy modelled, its copy stream carried by the emulated WAN), the controllers in this process over
 * in-memory OpenFlow connections. Probes are UDP datagrams counted at the migrating VM; TCP sessions are checked
 * byte for byte by the receiver (src/emulator/host/stream.ts); a {@link LeakWatch} counts frames that reach a VM of
 * another VN.
 */
import { SimHypervisor, type SimVmParams } from '../drivers/hypervisor/sim/sim-hypervisor';
import { ProbeReceiver, ProbeSender, probeReport } from '../emulator/host/probe';
import { verifyStream } from '../emulator/host/stream';
import { EmulatedNetwork } from '../emulator/network';
import type { Topology } from '../emulator/topology/model';
import { startInProcessControllers } from './in-process-controllers';
import { LeakWatch } from './leak-watch';
import type { MigrationTestbed, ProbeStream, SessionOptions, SessionOutcome } from './migration-testbed';

export interface EmulatorTestbedOptions {
  topology: Topology;
  /** Memory of every VM for the pre-copy model, MB. */
  memoryMB: number;
  natIdleTimeoutS?: number;
}

export async function startEmulatorTestbed(o: EmulatorTestbedOptions): Promise<MigrationTestbed> {
  const topo = o.topology;
  const net = EmulatedNetwork.build(topo);
  const params: SimVmParams = { memoryMB: o.memoryMB };
  const hv = new SimHypervisor({ net, topology: topo, vmParams: () => params });
  const ctl = await startInProcessControllers({ topology: topo, switches: { net }, hypervisor: hv, natIdleTimeoutS: o.natIdleTimeoutS ?? 30 });
  const leaks = new LeakWatch(net, topo);
  const ipOf = (vm: string) => {
    const v = topo.vms.find((x) => x.name === vm);
    if (v === undefined) throw new Error(`no VM ${vm}`);
    return v.ip;
  };
  let nextPort = 7100;
  const closers: (() => void)[] = [];
  return {
    dataplane: 'emulator',
    hypervisor: 'sim',
    probeKind: 'udp',
    topology: topo,
    ctl,
    async reach(from, to) {
      const r = await net.host(from).ping(ipOf(to), { count: 1, timeoutMs: 2000 });
      return r.received > 0;
    },
    async startProbes(from, to, intervalMs): Promise<ProbeStream> {
      const port = nextPort++;
      const rx = new ProbeReceiver(net.host(to), { port });
      const tx = new ProbeSender(net.host(from), { dstIp: ipOf(to), dstPort: port, intervalMs, stream: port });
      const close = () => {
        tx.close();
        rx.close();
      };
      closers.push(close);
      tx.start();
      return {
        async stop() {
          tx.stop();
          await new Promise((r) => setTimeout(r, 200));
          const pr = probeReport(tx, rx);
          close();
          return { intervalMs, sent: pr.sent, lost: pr.lost, maxGapMs: pr.maxGapMs };
        },
      };
    },
    async tcpSession(from, to, s: SessionOptions): Promise<SessionOutcome> {
      const r = await verifyStream({ client: net.host(from), server: net.host(to), serverIp: ipOf(to), port: nextPort++, ...s });
      return r.kept ? { kept: true } : { kept: false, error: `${r.bytesReceived} bytes arrived intact${r.reset ? ', reset' : ''}${r.timedOut ? ', timed out' : ''}` };
    },
    leakedFrames: () => leaks.leaks.length,
    async close() {
      for (const c of closers) c();
      leaks.close();
      net.close();
      await ctl.close();
    },
  };
}
