/**
 * The migration testbed on real Open vSwitch: the topology built as a lab (src/lab/ovs-dataplane.ts: one userspace
 * bridge per switch, VMs as network namespaces), the controllers in this process, each data center's listening on
 * a Unix socket for its bridges (no relay process between vswitchd and the controller), and the `netns` hypervisor (the VM's namespace moves, its processes frozen during the pause)
 * or the `qemu` hypervisor (the VMs named in `guests` run as QEMU guests plugged into the bridges). Every VM runs a
 * TCP echo service on port 7 (the QEMU guest's own); probes are ICMP echoes from the peer's namespace, counted at
 * the sender; TCP sessions are paced echo streams (src/lab/namespace-traffic.ts).
 */
import * as path from 'node:path';
import { NetnsHypervisor, type NetnsVmParams } from '../drivers/hypervisor/netns/netns-hypervisor';
import { QemuHypervisor } from '../drivers/hypervisor/qemu/qemu-hypervisor';
import type { Topology } from '../emulator/topology/model';
import { run } from '../lab/exec';
import { type IcmpProber, startIcmpProber, tcpEchoSession } from '../lab/namespace-traffic';
import { OvsDataplane } from '../lab/ovs-dataplane';
import type { Hypervisor } from '../ports/hypervisor';
import { startInProcessControllers } from './in-process-controllers';
import type { MigrationTestbed, ProbeStream } from './migration-testbed';

export interface OvsTestbedOptions {
  topology: Topology;
  hypervisor: 'netns' | 'qemu';
  /** Memory of the migrating VMs, MB (netns: the pre-copy model's; qemu: the guest's). */
  memoryMB: number;
  /** netns: the pre-copy model's other parameters. */
  netns?: Omit<NetnsVmParams, 'memoryMB'>;
  /** qemu: the VMs that run as QEMU guests (the others stay namespaces). */
  guests?: string[];
  natIdleTimeoutS?: number;
  log?: (line: string) => void;
}

/** TCP echo port of every VM (the QEMU guest's echo service listens on 7). */
export const ECHO_PORT = 7;
const UDP_SINK_PORT = 7001;

export async function startOvsTestbed(o: OvsTestbedOptions): Promise<MigrationTestbed> {
  const topo = o.topology;
  const log = o.log ?? (() => undefined);
  let dp: OvsDataplane | undefined;
  let hv: (Hypervisor & { close?: () => Promise<void> }) | undefined;
  const probers = new Set<IcmpProber>();
  const closeAll = async () => {
    for (const p of probers) await p.kill().catch(() => undefined);
    await hv?.close?.().catch((e: Error) => log(`hypervisor close: ${e.message}`));
    await dp?.close();
  };
  const ctl = await startInProcessControllers({
    topology: topo,
    natIdleTimeoutS: o.natIdleTimeoutS ?? 30,
    hypervisor: () => hv!,
    switches: {
      socket: async (controllerFor) => {
        dp = await OvsDataplane.up(topo, { controllerFor, log: (m) => log(`lab: ${m}`) });
      },
    },
  }).catch(async (e: unknown) => {
    await closeAll();
    throw e;
  });
  try {
    const d = dp!;
    await d.startServices(ECHO_PORT, UDP_SINK_PORT);
    if (o.hypervisor === 'netns') {
      hv = new NetnsHypervisor({ dataplane: d, defaults: { ...o.netns, memoryMB: o.memoryMB } });
    } else {
      const tb = Date.now();
      const built = await run('bash', [path.join(__dirname, '..', '..', '..', 'scripts', 'build-guest.sh')], { timeoutMs: 600_000 });
      const guestDir = built.stdout.trim().split('\n').pop()!;
      log(`guest (scripts/build-guest.sh) ready in ${guestDir} after ${Date.now() - tb} ms`);
      const q = new QemuHypervisor({ dataplane: d, memoryMB: o.memoryMB, guestDir, log: (m) => log(`qemu: ${m}`) });
      hv = q;
      for (const g of o.guests ?? []) {
        const info = await q.boot(g);
        log(`QEMU guest ${g} booted in ${info.bootMs} ms (pid ${info.pid}, ${info.bridge}:${info.ofport})`);
      }
    }
  } catch (e) {
    await closeAll();
    await ctl.close();
    throw e;
  }
  const d = dp!;
  const ipOf = (vm: string) => d.vm(vm).ip;
  return {
    dataplane: 'ovs',
    hypervisor: o.hypervisor,
    probeKind: 'icmp',
    topology: topo,
    ctl,
    labPrefix: d.lab.prefix,
    async reach(from, to) {
      const r = await d.ping(from, ipOf(to), { count: 1, timeoutMs: 2000 });
      return r.received > 0;
    },
    async startProbes(from, to, intervalMs): Promise<ProbeStream> {
      const p = await startIcmpProber(d.lab, d.vm(from).host, ipOf(to), intervalMs);
      probers.add(p);
      return {
        async stop() {
          try {
            const r = await p.stop();
            return { intervalMs, sent: r.sent, lost: r.lost, maxGapMs: r.maxGapMs, lostSentAt: r.lostProbes.map((x) => x.sentAt) };
          } finally {
            probers.delete(p);
          }
        },
      };
    },
    async tcpSession(from, to, s) {
      const r = await tcpEchoSession(d.lab, d.vm(from).host, ipOf(to), ECHO_PORT, s);
      return r.ok ? { kept: true } : { kept: false, ...(r.error !== undefined ? { error: r.error } : {}) };
    },
    leakedFrames: () => undefined,
    async close() {
      try {
        await closeAll();
      } finally {
        await ctl.close();
      }
    },
  };
}
