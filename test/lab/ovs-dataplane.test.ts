/**
 * OvsDataplane on real Open vSwitch: a one-DC emulator topology (two hypervisor switches linked, three VMs in one VN)
 * with standalone bridges and no controller, so OVS acts as a learning switch. Needs root and openvswitch-switch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseTopology } from '../../src/emulator/topology/load';
import { leftovers } from '../../src/lab/lab';
import { processCmdline } from '../../src/lab/ovs-daemon';
import { OvsDataplane } from '../../src/lab/ovs-dataplane';
import { labSkipReason } from '../support/lab-guard';

const skip = labSkipReason();

const YAML = `
name: one-dc
datacenters:
  - { name: dc1, subnet: 10.1.0.0/16, gatewayIp: 192.168.50.254 }
switches:
  - { name: dc1-h1-vs, dc: dc1, role: host, dpid: "00000000000000a1" }
  - { name: dc1-h2-vs, dc: dc1, role: host, dpid: "00000000000000a2" }
hosts:
  - { name: dc1-h1, dc: dc1, switch: dc1-h1-vs, address: 10.1.0.11 }
  - { name: dc1-h2, dc: dc1, switch: dc1-h2-vs, address: 10.1.0.12 }
links:
  - { a: dc1-h1-vs, b: dc1-h2-vs, portA: 7, portB: 9 }
tenants:
  - name: acme
    vns:
      - { name: web, subnet: 192.168.50.0/24 }
vms:
  - { name: acme-web1, tenant: acme, vn: web, host: dc1-h1, ip: 192.168.50.1, port: 3 }
  - { name: acme-web2, tenant: acme, vn: web, host: dc1-h1, ip: 192.168.50.2 }
  - { name: acme-web3, tenant: acme, vn: web, host: dc1-h2, ip: 192.168.50.3, port: 12 }
`;

const TCP_PORT = 7100;
const UDP_PORT = 7101;

describe('OvsDataplane on Open vSwitch', { skip, concurrency: false }, () => {
  const topo = parseTopology(YAML, 'one-dc.yaml');
  let dp: OvsDataplane | undefined;
  let prefix = '';
  let pids: number[] = [];

  before(async () => {
    const t0 = Date.now();
    dp = await OvsDataplane.up(topo, { controllerFor: () => null, failMode: 'standalone' });
    prefix = dp.lab.prefix;
    await dp.startServices(TCP_PORT, UDP_PORT);
    pids = [...dp.servicePids().values()];
    process.stderr.write(`# OvsDataplane.up + startServices ${Date.now() - t0} ms (${dp.lab.dir})\n`);
  });

  after(async () => {
    if (dp) await dp.close();
    if (prefix) assert.deepEqual((await leftovers(prefix)).map(String), []);
  });

  it('builds the switches with their dpids and ports, VMs with TX checksum offload off', async () => {
    const d = dp!;
    assert.equal(d.kind, 'ovs');
    for (const s of topo.switches) {
      const bridge = d.lab.topology.bridges.find((b) => b.dpid === s.dpid);
      assert.ok(bridge, `a bridge with dpid ${s.dpid}`);
      assert.equal((await d.lab.vsctl('get', 'Bridge', bridge.name, 'other_config:datapath-id')).trim(), `"${s.dpid}"`);
      assert.equal((await d.lab.vsctl('get', 'Bridge', bridge.name, 'fail_mode')).trim(), 'standalone');
    }
    const b1 = d.vm('acme-web1').bridge;
    const b3 = d.vm('acme-web3').bridge;
    assert.notEqual(b1, b3);
    assert.equal((await d.lab.vsctl('get', 'Interface', `${b1}-${b3}`, 'ofport')).trim(), '7');
    assert.equal((await d.lab.vsctl('get', 'Interface', `${b3}-${b1}`, 'ofport')).trim(), '9');
    assert.equal(pids.length, 3);
    for (const vm of topo.vms) {
      const v = d.vm(vm.name);
      assert.equal(v.ofport, vm.port);
      assert.equal(v.bridge, vm.switch === 'dc1-h1-vs' ? b1 : b3);
      assert.equal((await d.lab.vsctl('get', 'Interface', `${v.bridge}-${v.host}`, 'ofport')).trim(), String(vm.port));
      const addr = await d.lab.exec(v.host, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
      assert.match(addr.stdout, new RegExp(`inet ${vm.ip.replace(/\./g, '\\.')}/24 `));
      const link = await d.lab.exec(v.host, ['ip', '-o', 'link', 'show', 'dev', 'eth0']);
      assert.match(link.stdout, new RegExp(`link/ether ${vm.mac}`));
      const route = await d.lab.exec(v.host, ['ip', 'route', 'show', 'default']);
      assert.match(route.stdout, /default via 192\.168\.50\.254 dev eth0/);
      const k = await d.lab.exec(v.host, ['ethtool', '-k', 'eth0']);
      assert.match(k.stdout, /tx-checksumming: off/);
    }
    assert.equal(topo.vms.find((v) => v.name === 'acme-web2')!.port, 1);
    assert.throws(() => d.vm('nope'), /no VM "nope"/);
  });

  it('pings within a switch and across the link, and reports losses', async () => {
    const d = dp!;
    assert.deepEqual(await d.ping('acme-web1', '192.168.50.2', { count: 3, intervalMs: 100, timeoutMs: 2000 }), { sent: 3, received: 3 });
    assert.deepEqual(await d.ping('acme-web1', '192.168.50.3', { count: 3, intervalMs: 100, timeoutMs: 2000 }), { sent: 3, received: 3 });
    assert.deepEqual(await d.ping('acme-web3', '192.168.50.2', { count: 2, intervalMs: 50, timeoutMs: 2000 }), { sent: 2, received: 2 });
    assert.deepEqual(await d.ping('acme-web1', '192.168.50.99', { count: 2, intervalMs: 100, timeoutMs: 500 }), { sent: 2, received: 0 });
  });

  it('echoes TCP across the link (checksum offload handled)', async () => {
    const d = dp!;
    assert.deepEqual(await d.tcpEcho('acme-web1', '192.168.50.3', TCP_PORT, 300_000, 10000), { ok: true });
    assert.deepEqual(await d.tcpEcho('acme-web3', '192.168.50.2', TCP_PORT, 1000, 5000), { ok: true });
    const refused = await d.tcpEcho('acme-web1', '192.168.50.3', TCP_PORT + 50, 100, 3000);
    assert.equal(refused.ok, false);
    assert.match(refused.error ?? '', /ECONNREFUSED/);
  });

  it('delivers UDP payloads to the right sink only', async () => {
    const d = dp!;
    const payloads = ['web1->web3 #1', 'web1->web3 #2', 'ünïcode ✓ "quoted"\\'];
    await d.udpSend('acme-web1', '192.168.50.3', UDP_PORT, payloads, 40001);
    assert.deepEqual(await d.waitUdpReceived('acme-web3', payloads.length, 3000), payloads);
    await d.udpSend('acme-web3', '192.168.50.2', UDP_PORT, ['web3->web2']);
    assert.deepEqual(await d.waitUdpReceived('acme-web2', 1, 3000), ['web3->web2']);
    assert.deepEqual(await d.udpReceived('acme-web1'), []);
    assert.deepEqual(await d.udpReceived('acme-web3'), payloads);
  });

  it('udpSendRaw: arrives with the right MAC, not with a wrong one', async () => {
    const d = dp!;
    const web2 = d.vm('acme-web2');
    const web3 = d.vm('acme-web3');
    const before2 = await d.udpReceived('acme-web2');
    const before3 = await d.udpReceived('acme-web3');
    // Wrong MACs first (a learned one, web2's, and an unknown one that is flooded), then the right one: once the
    // right one has arrived, the wrong ones had their chance.
    await d.udpSendRaw('acme-web1', web2.mac, web3.ip, UDP_PORT, 'raw wrong learned mac', 40002);
    await d.udpSendRaw('acme-web1', '02:de:ad:be:ef:01', web3.ip, UDP_PORT, 'raw wrong unknown mac');
    await d.udpSendRaw('acme-web1', web3.mac, web3.ip, UDP_PORT, 'raw right mac', 40003);
    const got3 = await d.waitUdpReceived('acme-web3', before3.length + 1, 3000);
    assert.deepEqual(got3.slice(before3.length), ['raw right mac']);
    assert.deepEqual(await d.udpReceived('acme-web2'), before2);
    assert.deepEqual(await d.udpReceived('acme-web1'), []);
  });

  it('close() stops the services and leaves nothing behind (idempotent)', async () => {
    const d = dp!;
    await d.close();
    await d.close();
    for (const pid of pids) assert.equal(processCmdline(pid), undefined, `service process ${pid} still running`);
    assert.deepEqual((await leftovers(prefix)).map(String), []);
    await assert.rejects(() => d.ping('acme-web1', '192.168.50.2', { count: 1, timeoutMs: 500 }), /closed/);
  });
});
