/**
 * The `qemu` hypervisor on real Open vSwitch: a one-DC topology (two host switches linked, three VMs), standalone
 * bridges with no controller (OVS learns MACs; after a migration QEMU's self-announce teaches it the VM's new place).
 * web1 becomes a real QEMU guest (the tiny guest of scripts/build-guest.sh) hybrid-plugged where its namespace was;
 * it is live-migrated to the other switch with a TCP echo session from web3 running across the migration, then a
 * migration with a failing switchover hook is rolled back. Needs root, openvswitch-switch and qemu-system-x86.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import readline from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { isXsiteError } from '../../src/core/errors';
import { QemuHypervisor } from '../../src/drivers/hypervisor/qemu/qemu-hypervisor';
import { parseTopology } from '../../src/emulator/topology/load';
import { leftovers } from '../../src/lab/lab';
import { run } from '../../src/lab/exec';
import { hostPortName } from '../../src/lab/names';
import { killAndWait, processCmdline } from '../../src/lab/ovs-daemon';
import { OvsDataplane } from '../../src/lab/ovs-dataplane';
import type { HypervisorProgress } from '../../src/ports/hypervisor';
import { labSkipReason } from '../support/lab-guard';
import { qemuSkipReason } from '../support/qemu-guard';
import { ECHO_STREAM_CLIENT } from '../support/echo-stream-client';

const skip = labSkipReason() || qemuSkipReason();
const ROOT = path.resolve(__dirname, '../../..');

const YAML = `
name: qemu-hv
datacenters:
  - { name: dc1, subnet: 10.1.0.0/16, gatewayIp: 192.168.61.254 }
switches:
  - { name: dc1-h1-vs, dc: dc1, role: host, dpid: "00000000000000c1" }
  - { name: dc1-h2-vs, dc: dc1, role: host, dpid: "00000000000000c2" }
hosts:
  - { name: dc1-h1, dc: dc1, switch: dc1-h1-vs, address: 10.1.0.11 }
  - { name: dc1-h2, dc: dc1, switch: dc1-h2-vs, address: 10.1.0.12 }
links:
  - { a: dc1-h1-vs, b: dc1-h2-vs, portA: 7, portB: 9 }
tenants:
  - name: acme
    vns:
      - { name: web, subnet: 192.168.61.0/24 }
vms:
  - { name: web1, tenant: acme, vn: web, host: dc1-h1, ip: 192.168.61.1, port: 3 }
  - { name: web2, tenant: acme, vn: web, host: dc1-h1, ip: 192.168.61.2, port: 4 }
  - { name: web3, tenant: acme, vn: web, host: dc1-h2, ip: 192.168.61.3, port: 12 }
`;

const GUEST_IP = '192.168.61.1';
const ECHO_PORT = 7;
const HOOK_MS = 80;


const alive = (pid: number): boolean => processCmdline(pid) !== undefined;

describe('QemuHypervisor on Open vSwitch', { skip, concurrency: false }, () => {
  const topo = parseTopology(YAML, 'qemu-hv.yaml');
  let dp: OvsDataplane | undefined;
  let hv: QemuHypervisor | undefined;
  let prefix = '';
  let guestDir = '';
  let client: ChildProcess | undefined;
  const allPids = new Set<number>();

  const bridgeOf = (sw: string): string => dp!.lab.topology.bridges.find((b) => b.dpid === topo.switches.find((s) => s.name === sw)!.dpid)!.name;
  /** Where the guest's OVS port really is (OVS's view). */
  const where = async (vm: string): Promise<{ bridge: string; ofport: number }> => {
    const port = hv!.guest(vm)!.plug.names.ovsVeth;
    const bridge = (await dp!.lab.vsctl('port-to-br', port)).trim();
    const ofport = Number((await dp!.lab.vsctl('get', 'Interface', port, 'ofport')).trim());
    return { bridge, ofport };
  };
  const fdbPort = async (bridge: string, mac: string): Promise<number | undefined> => {
    const line = (await dp!.lab.appctl('fdb/show', bridge)).split('\n').find((l) => l.includes(mac));
    return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
  };
  /** Interfaces of the hybrid plugs in the switch namespace. */
  const plugLinks = async (): Promise<string[]> => {
    const r = await run('ip', ['-n', dp!.lab.switchNamespace, '-o', 'link', 'show']);
    return r.stdout
      .split('\n')
      .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined && new RegExp(`^${prefix}[tqbo][a-z0-9]+$`).test(n));
  };

  before(async () => {
    const t0 = Date.now();
    guestDir = (await run('bash', [path.join(ROOT, 'scripts/build-guest.sh')], { timeoutMs: 300000 })).stdout.trim().split('\n').pop()!;
    dp = await OvsDataplane.up(topo, { controllerFor: () => null, failMode: 'standalone' });
    prefix = dp.lab.prefix;
    process.stderr.write(`# guest checked + OvsDataplane.up ${Date.now() - t0} ms (${dp.lab.dir})\n`);
  });

  after(async () => {
    if (client && client.pid !== undefined && client.exitCode === null && client.signalCode === null) await killAndWait(client.pid, 2000).catch(() => undefined);
    if (hv) await hv.close().catch(() => undefined);
    if (dp) await dp.close();
    for (const pid of allPids) assert.equal(alive(pid), false, `QEMU ${pid} gone`);
    if (prefix) assert.deepEqual((await leftovers(prefix)).map(String), []);
  });

  it('boots web1 as a QEMU guest at its namespace\'s place; reachable by ping and TCP', async (t) => {
    const d = dp!;
    hv = new QemuHypervisor({ dataplane: d, guestDir, log: (m) => t.diagnostic(m) });
    assert.equal(hv.kind, 'qemu');
    assert.equal(hv.memoryMB, 128);
    await assert.rejects(hv.boot('nope'), (e) => isXsiteError(e, 'HYPERVISOR_UNKNOWN_VM'));
    await assert.rejects(
      hv.migrate({ vm: 'web2', fromHost: 'dc1-h1', toHost: 'dc1-h2', to: { switch: 'dc1-h2-vs', port: 20 }, beforeSwitchover: async () => assert.fail('no hook') }),
      (e) => isXsiteError(e, 'HYPERVISOR_UNKNOWN_VM'),
    );

    const b1 = bridgeOf('dc1-h1-vs');
    const v1 = d.vm('web1');
    const nsPort = hostPortName(d.lab.host(v1.host).bridge, v1.host);
    const t0 = Date.now();
    const g = await hv.boot('web1');
    t.diagnostic(`web1 booted in ${g.bootMs.toFixed(0)} ms (boot() ${Date.now() - t0} ms), QEMU pid ${g.pid}, plug ${g.plug.id}`);
    allPids.add(g.pid);
    assert.ok(alive(g.pid));
    await assert.rejects(hv.boot('web1'), (e) => isXsiteError(e, 'HYPERVISOR_FAILED'));
    // Same bridge, same ofport; the namespace's port is off the bridge.
    assert.deepEqual(await where('web1'), { bridge: b1, ofport: 3 });
    assert.equal((await d.lab.vsctl('--if-exists', 'port-to-br', nsPort).catch(() => '')).trim(), '');
    for (const n of Object.values(g.plug.names)) assert.ok(n.length <= 15 && n.startsWith(prefix), n);
    assert.deepEqual((await plugLinks()).sort(), Object.values(g.plug.names).sort());

    assert.deepEqual(await d.ping('web2', GUEST_IP, { count: 2, intervalMs: 200, timeoutMs: 2000 }), { sent: 2, received: 2 });
    assert.deepEqual(await d.ping('web3', GUEST_IP, { count: 1, timeoutMs: 2000 }), { sent: 1, received: 1 });
    assert.deepEqual(await d.tcpEcho('web2', GUEST_IP, ECHO_PORT, 100_000, 10000), { ok: true });
    assert.equal(await fdbPort(b1, v1.mac), 3, 'b1 learned the guest MAC on port 3');
  });

  it('migrates web1 to switch h2 with a TCP session kept; hooks in order; source QEMU gone', async (t) => {
    const d = dp!;
    const h = hv!;
    const b1 = bridgeOf('dc1-h1-vs');
    const b2 = bridgeOf('dc1-h2-vs');
    const src = h.guest('web1')!;

    // web3's paced echo stream to the guest, running across the migration.
    client = d.lab.spawn(d.vm('web3').host, [process.execPath, '-e', ECHO_STREAM_CLIENT, GUEST_IP, String(ECHO_PORT), '10', '1280'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const messages: Record<string, unknown>[] = [];
    const waiters: { type: string; resolve: (m: Record<string, unknown>) => void }[] = [];
    readline.createInterface({ input: client.stdout! }).on('line', (l) => {
      const m = JSON.parse(l) as Record<string, unknown>;
      messages.push(m);
      for (const w of waiters.filter((x) => x.type === m.type)) w.resolve(m);
    });
    const waitMsg = (type: string, ms: number): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        const have = messages.find((m) => m.type === type);
        if (have) return resolve(have);
        const timer = setTimeout(() => reject(new Error(`client: no ${type} within ${ms} ms; got ${JSON.stringify(messages)}`)), ms);
        waiters.push({ type, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    await waitMsg('echoing', 10000);

    const calls: string[] = [];
    const events: HypervisorProgress[] = [];
    let incomingPid: number | undefined;
    let runningInHold: { sent: number; received: number } | undefined;
    const r = await h.migrate({
      vm: 'web1',
      fromHost: 'dc1-h1',
      toHost: 'dc1-h2',
      to: { switch: 'dc1-h2-vs', port: 20 },
      onProgress: (p) => events.push({ ...p }),
      beforePause: async () => {
        calls.push('beforePause');
        // xsite's hold takes a while; the guest should still run meanwhile (QEMU throttled, not finishing on its own
        // and stopping it), else frames that reach it now die in the source tap.
        await new Promise((res) => setTimeout(res, 150));
        runningInHold = await d.ping('web2', GUEST_IP, { count: 2, intervalMs: 20, timeoutMs: 1000 });
      },
      beforeSwitchover: async () => {
        calls.push('beforeSwitchover');
        // The destination QEMU waits, plugged in at b2:20; the guest is still at b1:3.
        const inc = h.processes().filter((p) => p.role === 'incoming');
        assert.equal(inc.length, 1, 'one incoming QEMU');
        incomingPid = inc[0]!.pid;
        allPids.add(incomingPid);
        assert.deepEqual(await where('web1'), { bridge: b1, ofport: 3 });
        const dstPort = (await plugLinks()).find((n) => n.startsWith(`${prefix}o`) && n !== src.plug.names.ovsVeth)!;
        assert.equal((await d.lab.vsctl('port-to-br', dstPort)).trim(), b2);
        assert.equal((await d.lab.vsctl('get', 'Interface', dstPort, 'ofport')).trim(), '20');
        await new Promise((res) => setTimeout(res, HOOK_MS));
      },
    });
    const det = h.lastMigration('web1')!;
    t.diagnostic(
      `migration: total ${r.totalMs.toFixed(0)} ms, downtime ${r.downtimeMs.toFixed(0)} ms (QEMU ${det.qemuDowntimeMs}, measured ${det.measuredPauseMs.toFixed(0)}), ` +
        `hook ${r.hookMs.toFixed(0)} ms, precopy ${det.precopyMs} ms, ${r.bytesCopied} bytes, ${r.rounds} rounds, announced by ${det.announcedBy} ` +
        `(${det.announceMs?.toFixed(0)} ms), ${events.length} progress events`,
    );
    assert.deepEqual(calls, ['beforePause', 'beforeSwitchover']);
    // The brake engages well before the pass could end (48 MiB left, a few of QEMU's copy windows): the guest still
    // runs while xsite holds its frames, so none reaches a guest that cannot read it.
    t.diagnostic(`guest answered ${runningInHold?.received ?? 0}/${runningInHold?.sent ?? 0} pings 150 ms into beforePause`);
    assert.ok(runningInHold !== undefined && runningInHold.sent === 2 && runningInHold.received === 2, `the guest ran through beforePause: ${JSON.stringify(runningInHold)}`);
    assert.ok(r.hookMs >= HOOK_MS - 2, `hookMs ${r.hookMs}`);
    assert.ok(r.downtimeMs >= r.hookMs && r.downtimeMs < 5000, `downtime ${r.downtimeMs} includes the hook ${r.hookMs}`);
    assert.ok(r.totalMs >= r.downtimeMs, `total ${r.totalMs}`);
    assert.ok(r.bytesCopied > 0 && r.rounds >= 1);
    // Progress: precopy samples, then paused, then resumed; bytes never shrink.
    const phases = events.map((e) => e.phase);
    const firstPaused = phases.indexOf('paused');
    assert.ok(firstPaused >= 1, `precopy events first: ${phases.join(',')}`);
    assert.ok(phases.slice(0, firstPaused).every((p) => p === 'precopy'));
    assert.ok(phases.slice(firstPaused, -1).every((p) => p === 'paused'));
    assert.equal(phases.at(-1), 'resumed');
    for (let i = 1; i < events.length; i++) {
      assert.ok(events[i]!.bytesCopied >= events[i - 1]!.bytesCopied, 'bytes never shrink');
      assert.ok(events[i]!.elapsedMs >= events[i - 1]!.elapsedMs, 'time never goes back');
    }
    // QEMU's RAM total: the guest's 128 MB plus a little (ROMs, video RAM blocks).
    const MB = 1024 * 1024;
    assert.ok(events[0]!.bytesTotal >= 128 * MB && events[0]!.bytesTotal < 160 * MB, `bytesTotal ${events[0]!.bytesTotal}`);

    // The source QEMU is gone, its plug removed; the destination runs at b2:20 and the data plane knows it.
    assert.equal(alive(src.pid), false, 'source QEMU gone');
    assert.throws(() => process.kill(src.pid, 0), /ESRCH/);
    const now = h.guest('web1')!;
    assert.equal(now.pid, incomingPid);
    assert.ok(alive(now.pid));
    assert.deepEqual(h.processes(), [{ vm: 'web1', role: 'guest', pid: now.pid }]);
    assert.deepEqual(await where('web1'), { bridge: b2, ofport: 20 });
    assert.deepEqual((await plugLinks()).sort(), Object.values(now.plug.names).sort());
    const v = d.vm('web1');
    assert.deepEqual({ switch: v.switch, bridge: v.bridge, ofport: v.ofport }, { switch: 'dc1-h2-vs', bridge: b2, ofport: 20 });

    // The guest announced itself (QEMU self-announce): both learning switches know its new place.
    assert.equal(det.announcedBy, 'guest', 'a frame from the guest reached the destination port');
    assert.equal(await fdbPort(b2, v.mac), 20, 'b2 learned web1 on port 20');
    assert.equal(await fdbPort(b1, v.mac), 7, 'b1 learned web1 behind the link (port 7)');

    // Reachable at the new place; the session kept echoing through the migration.
    assert.deepEqual(await d.ping('web2', GUEST_IP, { count: 2, intervalMs: 100, timeoutMs: 2000 }), { sent: 2, received: 2 });
    assert.deepEqual(await d.ping('web3', GUEST_IP, { count: 2, intervalMs: 100, timeoutMs: 2000 }), { sent: 2, received: 2 });
    await new Promise((res) => setTimeout(res, 500));
    client.stdin!.write('stop\n');
    const result = await waitMsg('result', 15000);
    t.diagnostic(`echo stream: ${JSON.stringify(result)}`);
    assert.equal(result.error, null, 'no socket error (no reset)');
    assert.equal(result.closed, false, 'session not closed by the guest');
    assert.equal(result.mismatchAt, -1, 'every echoed byte in order');
    assert.equal(result.received, result.sent, 'no loss');
    assert.ok((result.sent as number) > 64 * 50, 'the stream ran through the migration');
  });

  it('a rejecting beforeSwitchover rolls back: guest still at its place, destination QEMU gone', async () => {
    const d = dp!;
    const h = hv!;
    const b2 = bridgeOf('dc1-h2-vs');
    const before = h.guest('web1')!;
    // Port 12 is web3's, port 9 the link's: refused, nothing started.
    await assert.rejects(
      h.migrate({ vm: 'web1', fromHost: 'dc1-h2', toHost: 'dc1-h1', to: { switch: 'dc1-h2-vs', port: 12 }, beforeSwitchover: async () => assert.fail('no hook') }),
      (e) => isXsiteError(e, 'HYPERVISOR_FAILED') && /in use/.test(e.message),
    );
    await assert.rejects(
      h.migrate({ vm: 'web1', fromHost: 'dc1-h2', toHost: 'dc1-h1', to: { switch: 'nope-vs', port: 30 }, beforeSwitchover: async () => assert.fail('no hook') }),
      (e) => isXsiteError(e, 'HYPERVISOR_FAILED'),
    );
    const boom = new Error('flows not confirmed');
    let incomingPid: number | undefined;
    await assert.rejects(
      h.migrate({
        vm: 'web1',
        fromHost: 'dc1-h2',
        toHost: 'dc1-h1',
        to: { switch: 'dc1-h1-vs', port: 30 },
        beforeSwitchover: async () => {
          incomingPid = h.processes().find((p) => p.role === 'incoming')?.pid;
          if (incomingPid) allPids.add(incomingPid);
          throw boom;
        },
      }),
      (e) => isXsiteError(e, 'HYPERVISOR_ABORTED') && e.cause === boom && e.details?.cause === boom,
    );
    assert.ok(incomingPid !== undefined, 'a destination QEMU ran');
    assert.equal(alive(incomingPid!), false, 'destination QEMU gone');
    const g = h.guest('web1')!;
    assert.equal(g.pid, before.pid, 'same source QEMU');
    assert.ok(alive(g.pid));
    assert.deepEqual(h.processes(), [{ vm: 'web1', role: 'guest', pid: g.pid }]);
    assert.deepEqual(await where('web1'), { bridge: b2, ofport: 20 });
    assert.equal(d.vm('web1').ofport, 20);
    assert.deepEqual((await plugLinks()).sort(), Object.values(g.plug.names).sort(), 'destination plug removed');
    assert.deepEqual(await d.ping('web2', GUEST_IP, { count: 2, intervalMs: 100, timeoutMs: 2000 }), { sent: 2, received: 2 });
    assert.deepEqual(await d.tcpEcho('web3', GUEST_IP, ECHO_PORT, 20_000, 10000), { ok: true });
  });

  it('an aborted signal cancels the migration: HYPERVISOR_ABORTED, no hook called, guest untouched', async () => {
    const d = dp!;
    const h = hv!;
    const b2 = bridgeOf('dc1-h2-vs');
    const before = h.guest('web1')!;
    const ac = new AbortController();
    let hooks = 0;
    const t0 = Date.now();
    // Pre-copy of the 128 MB guest takes ~500 ms on loopback: abort well inside it.
    const timer = setTimeout(() => ac.abort(new Error('operator cancelled')), 150);
    await assert.rejects(
      h.migrate({
        vm: 'web1',
        fromHost: 'dc1-h2',
        toHost: 'dc1-h1',
        to: { switch: 'dc1-h1-vs', port: 31 },
        signal: ac.signal,
        beforePause: async () => void hooks++,
        beforeSwitchover: async () => void hooks++,
      }),
      (e) => isXsiteError(e, 'HYPERVISOR_ABORTED'),
    );
    clearTimeout(timer);
    assert.ok(Date.now() - t0 < 5000, `aborted promptly (${Date.now() - t0} ms)`);
    assert.equal(hooks, 0);
    const g = h.guest('web1')!;
    assert.equal(g.pid, before.pid);
    assert.deepEqual(h.processes(), [{ vm: 'web1', role: 'guest', pid: g.pid }]);
    assert.deepEqual(await where('web1'), { bridge: b2, ofport: 20 });
    assert.deepEqual((await plugLinks()).sort(), Object.values(g.plug.names).sort());
    assert.deepEqual(await d.ping('web2', GUEST_IP, { count: 1, timeoutMs: 2000 }), { sent: 1, received: 1 });
  });

  it('close() stops every QEMU and removes every plug; the lab leaves nothing behind', async () => {
    const d = dp!;
    const h = hv!;
    const pids = h.processes().map((p) => p.pid);
    for (const p of pids) allPids.add(p);
    await h.close();
    await h.close();
    for (const pid of allPids) assert.equal(alive(pid), false, `QEMU ${pid} gone`);
    assert.deepEqual(h.processes(), []);
    assert.deepEqual(await plugLinks(), []);
    await assert.rejects(h.boot('web2'), (e) => isXsiteError(e, 'HYPERVISOR_FAILED'));
    await d.close();
    assert.deepEqual((await leftovers(prefix)).map(String), []);
  });
});
