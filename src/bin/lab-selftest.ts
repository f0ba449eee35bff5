/**
 * `xsite lab selftest`: two real OVS bridges with two namespaced hosts each, connected to an xsite controller
 * running the reactive L2 learning application; every host pair pings; flows are counted on the switches with
 * ovs-ofctl; the lab is torn down and checked for leftovers.
 */
import { L2LearningApp } from '../apps/l2-learning';
import { OpenFlowController } from '../openflow/controller';
import { Lab, leftovers } from '../lab/lab';
import type { Topology } from '../lab/topology';

export interface SelftestResult {
  pairs: number;
  pingOk: number;
  flowsOnSwitches: number;
  leftovers: number;
  failedPairs?: string[];
  leftoverItems?: string[];
  controller?: { packetIns: number; messagesSent: number };
  ms?: { up: number; connect: number; ping: number; down: number };
}

/** The selftest topology: s1(h1,h2) -- s2(h3,h4), all in 10.0.0.0/24, both bridges fail_mode secure. */
export function selftestTopology(controllerPort: number): Topology {
  const controller = `tcp:127.0.0.1:${controllerPort}`;
  return {
    name: 'selftest',
    bridges: [
      { name: 's1', dpid: '0000000000000001', controller, failMode: 'secure' },
      { name: 's2', dpid: '0000000000000002', controller, failMode: 'secure' },
    ],
    hosts: [
      { name: 'h1', bridge: 's1', ip: '10.0.0.1/24' },
      { name: 'h2', bridge: 's1', ip: '10.0.0.2/24' },
      { name: 'h3', bridge: 's2', ip: '10.0.0.3/24' },
      { name: 'h4', bridge: 's2', ip: '10.0.0.4/24' },
    ],
    links: [{ a: 's1', b: 's2' }],
  };
}

export async function runLabSelftest(opts: { keep?: boolean; log?: (s: string) => void } = {}): Promise<SelftestResult> {
  const log = opts.log ?? (() => undefined);
  const app = new L2LearningApp();
  const controller = new OpenFlowController();
  controller.use(app);
  const port = await controller.listen(0);
  const topo = selftestTopology(port);
  const t0 = Date.now();
  let lab: Lab | undefined;
  const result: SelftestResult = { pairs: 0, pingOk: 0, flowsOnSwitches: 0, leftovers: 0, failedPairs: [] };
  try {
    log(`controller on 127.0.0.1:${port}; building lab (2 bridges, 4 hosts) on Open vSwitch`);
    lab = await Lab.up(topo);
    const t1 = Date.now();
    await controller.waitForSwitches(topo.bridges.length, 20000);
    const t2 = Date.now();
    log(`switches connected: ${[...controller.switches.values()].map((c) => c.dpidHex).join(', ')}`);
    const hosts = topo.hosts;
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        const a = hosts[i]!;
        const b = hosts[j]!;
        result.pairs++;
        const ok = await lab.ping(a.name, b.ip.split('/')[0]!, { count: 1, timeoutSec: 2, retries: 2 });
        log(`ping ${a.name} -> ${b.name}: ${ok ? 'ok' : 'FAILED'}`);
        if (ok) result.pingOk++;
        else result.failedPairs!.push(`${a.name}-${b.name}`);
      }
    }
    const t3 = Date.now();
    for (const br of topo.bridges) result.flowsOnSwitches += (await lab.dumpFlows(br.name)).count;
    result.controller = { packetIns: app.packetIns, messagesSent: app.sent };
    if (opts.keep) {
      log(`lab kept in ${lab.dir}; remove it with: xsite lab down --dir ${lab.dir}`);
      lab = undefined;
    }
    result.ms = { up: t1 - t0, connect: t2 - t1, ping: t3 - t2, down: 0 };
  } finally {
    const t4 = Date.now();
    if (lab) await lab.down();
    await controller.close();
    if (result.ms) result.ms.down = Date.now() - t4;
  }
  if (!opts.keep) {
    const left = await leftovers();
    result.leftovers = left.length;
    result.leftoverItems = left.map(String);
  }
  if (result.failedPairs!.length === 0) delete result.failedPairs;
  return result;
}
