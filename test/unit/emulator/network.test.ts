import assert from 'node:assert/strict';
import { test } from 'node:test';
import { L2LearningApp } from '../../../src/apps/l2-learning';
import { VirtualClock } from '../../../src/core/clock';
import { buildPacket } from '../../../src/codec/packet';
import type { MessageOf } from '../../../src/codec/openflow/types';
import { EmulatedNetwork, formatNetworkTrace, vmGateway } from '../../../src/emulator/network';
import { verifyStream } from '../../../src/emulator/host/stream';
import { TopologyBuilder } from '../../../src/emulator/topology/builder';
import { loadExampleTopology } from '../../../src/emulator/topology/examples';
import { OpenFlowController } from '../../../src/openflow/controller';
import { memoryDuplexPair } from '../../../src/openflow/memory-duplex';

function twoSwitches() {
  return new TopologyBuilder('two')
    .dc('dc1', { subnet: '10.0.0.0/16' })
    .switch('s1', { dc: 'dc1', role: 'fabric' })
    .switch('s2', { dc: 'dc1', role: 'fabric' })
    .link('s1', 's2')
    .endHost('h1', { switch: 's1', ip: '10.0.0.1/24' })
    .endHost('h2', { switch: 's2', ip: '10.0.0.2/24' })
    .build();
}

test('an xsite controller drives emulated switches over OpenFlow: hosts ping and keep a TCP session', async () => {
  const net = EmulatedNetwork.build(twoSwitches());
  const controller = new OpenFlowController();
  const app = new L2LearningApp();
  controller.use(app);
  try {
    net.connectControllers((_dc, _sw) => {
      const [a, b] = memoryDuplexPair();
      controller.accept(a);
      return b;
    });
    await controller.waitForSwitches(2, 5000);
    // The handshake saw the emulated switches' ports and datapath ids.
    assert.deepEqual([...controller.switches.keys()].sort(), [1n, 2n]);
    const r = await net.host('h1').ping('10.0.0.2', { count: 3, intervalMs: 10, timeoutMs: 1000 });
    assert.equal(r.received, 3);
    assert.ok(app.packetIns > 0, 'the controller saw packet-ins');
    const s = await verifyStream({ client: net.host('h1'), server: net.host('h2'), serverIp: '10.0.0.2', bytes: 64 * 1024 });
    assert.equal(s.kept, true);
    // Flows the controller installed are on the emulated switch, visible through flow stats like on OVS.
    const flows = await controller.switches.get(1n)!.multipart({ mpType: 'flow', tableId: 0xff, outPort: 0xffffffff, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match: [] });
    assert.ok(flows.stats.length >= 2, `flows on s1: ${flows.stats.length}`);
  } finally {
    await controller.close();
    net.close();
  }
});

test('network trace follows a packet across switches without changing state', () => {
  const clock = new VirtualClock();
  const net = EmulatedNetwork.build(twoSwitches(), { clock });
  const fm = (sw: string, inPort: number, outPort: number) => {
    const replies = net.switch(sw).handleMessage({
      type: 'flow_mod', cookie: 0n, cookieMask: 0n, tableId: 0, command: 0, idleTimeout: 0, hardTimeout: 0, priority: 10,
      bufferId: 0xffffffff, outPort: 0xffffffff, outGroup: 0xffffffff, flags: 0, match: [{ field: 'in_port', value: inPort }],
      instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: outPort, maxLen: 0 }] }],
    } as MessageOf<'flow_mod'>);
    assert.deepEqual(replies, []);
  };
  const s1h1 = net.attachmentOf('h1')!;
  const s2h2 = net.attachmentOf('h2')!;
  const s1s2 = [...Array(8).keys()].find((p) => net.peerOf('s1', p)?.kind === 'switch')!;
  const s2s1 = (net.peerOf('s1', s1s2) as { port: number }).port;
  fm('s1', s1h1.port, s1s2);
  fm('s2', s2s1, s2h2.port);
  const frame = buildPacket({ eth: { src: net.host('h1').mac, dst: net.host('h2').mac }, ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { srcPort: 1000, dstPort: 2000 } });
  const t = net.trace('h1', frame);
  assert.deepEqual(t.hops.map((h) => h.switch), ['s1', 's2']);
  assert.deepEqual(t.delivered.map((d) => d.host), ['h2']);
  assert.equal(t.truncated, false);
  assert.match(formatNetworkTrace(t), /hop 2: switch s2/);
  // No state changed: flow counters are still zero.
  const stats = net.switch('s1').handleMessage({ type: 'multipart_request', flags: 0, body: { mpType: 'flow', tableId: 0xff, outPort: 0xffffffff, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match: [] } });
  const body = (stats[0] as MessageOf<'multipart_reply'>).body;
  assert.ok(body.mpType === 'flow' && body.stats.every((s) => s.packetCount === 0n));
  net.close();
});

test('the three-DC example builds: every switch, VM and link', () => {
  const topo = loadExampleTopology('three-dcs');
  const clock = new VirtualClock();
  const net = EmulatedNetwork.build(topo, { clock });
  assert.equal(net.switches.size, topo.switches.length);
  assert.equal(net.hosts.size, topo.vms.length + topo.endHosts.length);
  assert.equal(net.links.length, topo.links.length + topo.wanLinks.length + topo.vms.length + topo.endHosts.length);
  // Every VM's attachment matches the topology's port numbering.
  for (const vm of topo.vms) assert.deepEqual(net.attachmentOf(vm.name), { switch: vm.switch, port: vm.port });
  net.close();
});

test('VM default gateway: the DC gateway address when it is in the VN subnet, else the subnet\'s last usable address', () => {
  const topo = loadExampleTopology('three-dcs');
  const vm = topo.vms[0]!;
  const inSubnet = vm.ip.split('.').slice(0, 3).join('.') + '.1';
  assert.equal(vmGateway(topo, { ...vm, ip: vm.ip }, inSubnet), inSubnet);
  assert.equal(vmGateway(topo, { ...vm, ip: '10.9.8.7' }, '192.0.2.1'), '10.9.8.254');
});
