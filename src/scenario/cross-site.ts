/**
 * `xsite demo --scenario cross-site`: the proof of the controllers issue (seed 000 sections 3-4). It starts a central
 * controller and one local controller per data center as separate processes talking over their control channel,
 * brings up the topology's switches and VMs on a data plane (the emulator, or real Open vSwitch with the VMs in
 * network namespaces), and checks every ordered pair of VMs:
 *
 * - within a VN (across sites or not): ping, a TCP session that carries its bytes intact, a UDP datagram;
 * - across VNs: a UDP datagram to the peer's address and one forged straight to its MAC; none may arrive at any VM
 *   of another VN (tenants use the same addresses, so a datagram may reach the sender's own VN-mate: that is fine).
 *
 * Half way through it restarts the central controller, then one local controller, waits until they converged and
 * checks that the pairs already done still reach each other. At the end it waits until every cross-site flow went
 * idle and checks that central released every NAT tuple and that `GET /v1/audit` (when available) reports nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import { XsiteError } from '../core/errors';
import { EmulatedNetwork } from '../emulator/network';
import { loadTopologyFile } from '../emulator/topology/load';
import type { Topology } from '../emulator/topology/model';
import { OvsDataplane } from '../lab/ovs-dataplane';
import { ControllerProcess, freePort } from './controller-processes';
import type { ScenarioDataplane } from './dataplane';
import { EmulatorDataplane } from './emulator-dataplane';
import { LeakWatch } from './leak-watch';

export interface CrossSiteScenarioOptions {
  dataplane?: 'emulator' | 'ovs';
  /** Topology (intent) file; default examples/topologies/three-dcs.yaml of this package. */
  topologyFile?: string;
  /** Restart central and one local controller half way (default true). */
  restart?: boolean;
  /** Idle timeout of gateway NAT flows, seconds (default 2). */
  natIdleTimeoutS?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Also pass the controllers' own output to `log`. */
  verbose?: boolean;
}

export interface CrossSiteScenarioResult {
  scenario: 'cross-site';
  dataplane: 'emulator' | 'ovs';
  /** Ordered VM pairs checked. */
  pairs: number;
  /** Pairs of one VN for which ping, TCP and UDP all worked. */
  reachable: number;
  /** Pairs of different VNs for which nothing got through. */
  isolated: number;
  leaks: { packets: number; flows: number; tuples: number };
  /** Pairs of each kind that were expected. */
  expected: { reachable: number; isolated: number };
  checks: { ping: { ok: number; of: number }; tcp: { ok: number; of: number }; udp: { ok: number; of: number } };
  /** NAT tuples central allocated during the run (highest number in use at once, as sampled). */
  tuplesInUseMax: number;
  restarts: { controller: string; convergedMs: number; pairsRechecked: number; pairsOk: number }[];
  audit?: { leakedFlows: number; leakedTuples: number; mismatches: number };
  failures: string[];
  ms: number;
}

const TCP_PORT = 5001;
const UDP_PORT = 7000;

interface Tag {
  from: string;
  to: string;
  kind: 'udp' | 'raw';
}

/** Runs the scenario; never leaves processes, namespaces or temporary files behind. */
export async function runCrossSiteScenario(opts: CrossSiteScenarioOptions = {}): Promise<CrossSiteScenarioResult> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const kind = opts.dataplane ?? 'emulator';
  const idleS = opts.natIdleTimeoutS ?? 2;
  const topologyFile = path.resolve(opts.topologyFile ?? path.join(__dirname, '..', '..', '..', 'examples', 'topologies', 'three-dcs.yaml'));
  const topo = loadTopologyFile(topologyFile);
  const failures: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xsite-scenario-'));
  const token = randomBytes(12).toString('hex');
  const apiPort = await freePort();
  const channelPort = await freePort();
  const ofPorts = new Map<string, number>();
  for (const d of topo.datacenters) ofPorts.set(d.name, await freePort());
  const cfgFile = path.join(dir, 'central.yaml');
  fs.writeFileSync(
    cfgFile,
    toYaml({
      intent: topologyFile,
      db: path.join(dir, 'central.db'),
      api: { host: '127.0.0.1', port: apiPort },
      channel: { host: '127.0.0.1', port: channelPort },
      secrets: Object.fromEntries(topo.datacenters.map((d) => [d.name, randomBytes(12).toString('hex')])),
      tokens: { [token]: { role: 'operator' } },
    }),
  );
  const procLog = opts.verbose ? log : () => undefined;
  const api = `http://127.0.0.1:${apiPort}`;
  let central: ControllerProcess | undefined;
  const locals = new Map<string, ControllerProcess>();
  let dataplane: ScenarioDataplane | undefined;
  let leakWatch: LeakWatch | undefined;
  let net: EmulatedNetwork | undefined;
  let tuplesInUseMax = 0;

  const startCentral = async () => {
    central = new ControllerProcess('central', ['central', '--config', cfgFile], procLog);
    await central.waitFor(/API on http/);
  };
  const startLocal = async (dc: string) => {
    const p = new ControllerProcess(`local ${dc}`, ['local', '--dc', dc, '--config', cfgFile, '--openflow-port', String(ofPorts.get(dc)), '--nat-idle-timeout', String(idleS)], procLog);
    locals.set(dc, p);
    await p.waitFor(/OpenFlow 1\.3 listening/);
  };
  /** Waits until the local of `dc` synced a non-empty directory and reconciled every switch of its DC since `from`. */
  const converged = async (dc: string, from: number, timeoutMs = 30_000) => {
    const p = locals.get(dc)!;
    const deadline = Date.now() + timeoutMs;
    await p.waitFor(/directory synced: [1-9]\d* VMs/, { from, timeoutMs });
    for (const s of topo.switches.filter((x) => x.dc === dc)) {
      await p.waitFor(new RegExp(`switch ${s.name} reconciled`), { from, timeoutMs: Math.max(1, deadline - Date.now()) });
    }
  };
  const tuplesInUse = async (): Promise<number> => {
    const r = await fetch(`${api}/v1/nat/tuples`, { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) throw new XsiteError('SCENARIO_API', `GET /v1/nat/tuples: HTTP ${r.status}`);
    const n = ((await r.json()) as unknown[]).length;
    tuplesInUseMax = Math.max(tuplesInUseMax, n);
    return n;
  };

  const vms = topo.vms;
  const vnOf = new Map(vms.map((v) => [v.name, `${v.tenant}/${v.vn}`]));
  const reachablePairs: [string, string][] = [];
  const isolatedPairs: [string, string][] = [];
  for (const x of vms) for (const y of vms) if (x.name !== y.name) (vnOf.get(x.name) === vnOf.get(y.name) ? reachablePairs : isolatedPairs).push([x.name, y.name]);
  const checks = { ping: { ok: 0, of: 0 }, tcp: { ok: 0, of: 0 }, udp: { ok: 0, of: 0 } };
  const pairOk = new Map<string, boolean>();
  const restarts: CrossSiteScenarioResult['restarts'] = [];
  let audit: CrossSiteScenarioResult['audit'];

  const vm = (n: string) => vms.find((v) => v.name === n)!;
  const tag = (t: Tag) => JSON.stringify(t);
  const checkReachable = async ([x, y]: [string, string]) => {
    const dst = vm(y);
    const p = await dataplane!.ping(x, dst.ip, { count: 2, intervalMs: 50, timeoutMs: 3000 });
    checks.ping.of++;
    const pingOk = p.received === p.sent && p.sent === 2;
    if (pingOk) checks.ping.ok++;
    else failures.push(`ping ${x} -> ${y}: ${p.received}/${p.sent}`);
    const t = await dataplane!.tcpEcho(x, dst.ip, TCP_PORT, 16 * 1024, 15_000);
    checks.tcp.of++;
    if (t.ok) checks.tcp.ok++;
    else failures.push(`tcp ${x} -> ${y}: ${t.error}`);
    await dataplane!.udpSend(x, dst.ip, UDP_PORT, [tag({ from: x, to: y, kind: 'udp' })]);
    pairOk.set(`${x}>${y}`, pingOk && t.ok);
    log(`  ${x} -> ${y} (${vnOf.get(x)}): ping ${p.received}/${p.sent}, tcp ${t.ok ? 'intact' : 'FAILED'}`);
  };
  const probeIsolated = async ([x, y]: [string, string]) => {
    const dst = vm(y);
    await dataplane!.udpSend(x, dst.ip, UDP_PORT, [tag({ from: x, to: y, kind: 'udp' })]);
    await dataplane!.udpSendRaw(x, dst.mac, dst.ip, UDP_PORT, tag({ from: x, to: y, kind: 'raw' }));
  };

  try {
    log(`cross-site scenario on the ${kind === 'ovs' ? 'Open vSwitch lab' : 'emulator'}: ${topo.datacenters.length} DCs, ${vms.length} VMs, ${new Set(vnOf.values()).size} VNs`);
    await startCentral();
    for (const d of topo.datacenters) await startLocal(d.name);
    log(`central (pid ${central!.pid}) and ${locals.size} local controllers (pids ${[...locals.values()].map((p) => p.pid).join(', ')}) running`);
    const controllerFor = (dc: string) => `tcp:127.0.0.1:${ofPorts.get(dc)}`;
    if (kind === 'ovs') {
      dataplane = await OvsDataplane.up(topo, { controllerFor });
    } else {
      net = EmulatedNetwork.build(topo);
      for (const s of topo.switches) net.connectTcp(s.name, '127.0.0.1', ofPorts.get(s.dc)!);
      leakWatch = new LeakWatch(net, topo);
      dataplane = new EmulatorDataplane(net, topo);
    }
    await Promise.all(topo.datacenters.map((d) => converged(d.name, 0)));
    await dataplane.startServices(TCP_PORT, UDP_PORT);
    log('switches connected and reconciled; checking pairs');

    const half = Math.ceil(reachablePairs.length / 2);
    const halfI = Math.ceil(isolatedPairs.length / 2);
    for (const p of reachablePairs.slice(0, half)) await checkReachable(p);
    for (const p of isolatedPairs.slice(0, halfI)) await probeIsolated(p);
    await tuplesInUse();

    if (opts.restart ?? true) {
      const recheck = async (controller: string, t0: number) => {
        let ok = 0;
        const done = reachablePairs.slice(0, half);
        for (const [x, y] of done) {
          const r = await dataplane!.ping(x, vm(y).ip, { count: 1, timeoutMs: 3000 });
          if (r.received === 1) ok++;
          else failures.push(`after restarting ${controller}: ping ${x} -> ${y} failed`);
        }
        restarts.push({ controller, convergedMs: Date.now() - t0, pairsRechecked: done.length, pairsOk: ok });
        log(`restarted ${controller}: converged, ${ok}/${done.length} pairs still reach each other`);
      };
      // Central: the locals reconnect, resync, keep their switches' flows.
      let t0 = Date.now();
      const marks = new Map([...locals].map(([dc, p]) => [dc, p.lines.length]));
      await central!.stop();
      await startCentral();
      for (const [dc, p] of locals) {
        await p.waitFor(/connected to central/, { from: marks.get(dc)!, timeoutMs: 30_000 });
        await p.waitFor(/directory synced: [1-9]\d* VMs/, { from: marks.get(dc)!, timeoutMs: 30_000 });
      }
      await recheck('central', t0);
      // One local: its switches reconnect to the new process, which gets the directory and open flows back.
      const dc = topo.datacenters[1]?.name ?? topo.datacenters[0]!.name;
      t0 = Date.now();
      await locals.get(dc)!.stop();
      await startLocal(dc);
      await converged(dc, 0);
      await recheck(`local ${dc}`, t0);
    }

    for (const p of reachablePairs.slice(half)) await checkReachable(p);
    for (const p of isolatedPairs.slice(halfI)) await probeIsolated(p);
    await tuplesInUse();
    await new Promise((r) => setTimeout(r, 1000));

    // What every VM's UDP sink received.
    const received = new Map<string, Tag[]>();
    for (const v of vms) {
      received.set(
        v.name,
        (await dataplane.udpReceived(v.name)).flatMap((s) => {
          try {
            return [JSON.parse(s) as Tag];
          } catch {
            return [];
          }
        }),
      );
    }
    let leakedPackets = 0;
    const leakedFrom = new Set<string>();
    for (const [r, tags] of received) {
      for (const t of tags) {
        if (vnOf.get(t.from) !== vnOf.get(r)) {
          leakedPackets++;
          leakedFrom.add(`${t.from}>${t.to}`);
          failures.push(`leak: ${t.kind} datagram ${t.from} -> ${t.to} arrived at ${r}`);
        }
      }
    }
    for (const l of leakWatch?.leaks ?? []) failures.push(`leak: a frame from ${l.srcMac} reached ${l.vm}`);
    leakedPackets += leakWatch?.leaks.length ?? 0;
    let reachable = 0;
    for (const [x, y] of reachablePairs) {
      const udpOk = received.get(y)!.some((t) => t.from === x && t.to === y && t.kind === 'udp');
      checks.udp.of++;
      if (udpOk) checks.udp.ok++;
      else failures.push(`udp ${x} -> ${y}: datagram did not arrive`);
      if (udpOk && pairOk.get(`${x}>${y}`)) reachable++;
    }
    const isolated = isolatedPairs.filter(([x, y]) => !leakedFrom.has(`${x}>${y}`)).length;

    // Every flow idles out; central must release every tuple, and the audit must find nothing.
    log(`waiting for the cross-site flows to go idle (${idleS} s) and their tuples to be released`);
    const deadline = Date.now() + (idleS * 4 + 20) * 1000;
    let left = await tuplesInUse();
    while (left > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      left = await tuplesInUse();
    }
    if (left > 0) failures.push(`${left} NAT tuples still in use after every flow went idle`);
    const a = await fetch(`${api}/v1/audit`, { headers: { authorization: `Bearer ${token}` } });
    if (a.ok) {
      const j = (await a.json()) as { leakedFlows: number; leakedTuples: number; mismatches: number };
      audit = { leakedFlows: j.leakedFlows, leakedTuples: j.leakedTuples, mismatches: j.mismatches };
      if (j.leakedFlows + j.leakedTuples + j.mismatches > 0) failures.push(`audit: ${JSON.stringify(audit)}`);
    } else if (a.status !== 404) {
      failures.push(`GET /v1/audit: HTTP ${a.status}`);
    }
    const result: CrossSiteScenarioResult = {
      scenario: 'cross-site',
      dataplane: kind,
      pairs: reachablePairs.length + isolatedPairs.length,
      reachable,
      isolated,
      leaks: { packets: leakedPackets, flows: audit?.leakedFlows ?? 0, tuples: left + (audit?.leakedTuples ?? 0) },
      expected: { reachable: reachablePairs.length, isolated: isolatedPairs.length },
      checks,
      tuplesInUseMax,
      restarts,
      ...(audit !== undefined ? { audit } : {}),
      failures,
      ms: Date.now() - started,
    };
    return result;
  } finally {
    leakWatch?.close();
    await dataplane?.close().catch((e: unknown) => log(`data plane close failed: ${(e as Error).message}`));
    net?.close();
    for (const p of locals.values()) await p.stop();
    await central?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether a result proves the scenario: every pair as expected, nothing leaked, no failure. */
export function crossSitePassed(r: CrossSiteScenarioResult): boolean {
  return (
    r.reachable === r.expected.reachable &&
    r.isolated === r.expected.isolated &&
    r.leaks.packets === 0 &&
    r.leaks.flows === 0 &&
    r.leaks.tuples === 0 &&
    r.failures.length === 0
  );
}

export type { Topology };
