import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LINK_PARAMS, parseTopology, TopologyBuilder } from '../../../../src/emulator/topology';

const base = (): TopologyBuilder =>
  new TopologyBuilder()
    .dc('dc1', { subnet: '10.1.0.0/16' })
    .switch('tor', { dc: 'dc1', role: 'fabric' })
    .switch('vs1', { dc: 'dc1', role: 'host' })
    .host('h1', { dc: 'dc1', switch: 'vs1', address: '10.1.0.1' })
    .tenant('t', [{ name: 'n' }]);

test('ports: explicit numbers are reserved first; the rest get the lowest free, links then WAN then VMs then end hosts', () => {
  const t = base()
    .endHost('e1', { switch: 'vs1', ip: '10.9.0.1' }) // end hosts come last whatever the call order
    .vm('vm1', { tenant: 't', vn: 'n', host: 'h1', ip: '10.8.0.1' })
    .vm('vm2', { tenant: 't', vn: 'n', host: 'h1', ip: '10.8.0.2', port: 1 })
    .link('tor', 'vs1')
    .link('vs1', 'tor', { portA: 3 })
    .build();
  const vs1 = t.switches.find((s) => s.name === 'vs1')!;
  assert.deepEqual(vs1.ports, [
    { port: 1, kind: 'vm', peer: 'vm2' },
    { port: 2, kind: 'link', peer: 'tor', peerPort: 1 },
    { port: 3, kind: 'link', peer: 'tor', peerPort: 2 },
    { port: 4, kind: 'vm', peer: 'vm1' },
    { port: 5, kind: 'endHost', peer: 'e1' },
  ]);
  assert.deepEqual(t.links.map((l) => [l.portA, l.portB]), [[1, 2], [3, 2]]);
});

test('dpids: explicit kept as 16 hex digits, others the lowest unused from 1 in file order', () => {
  const t = new TopologyBuilder()
    .dc('dc1', { subnet: '10.1.0.0/16' })
    .switch('a', { dc: 'dc1', role: 'fabric' })
    .switch('b', { dc: 'dc1', role: 'fabric', dpid: '00:00:00:00:00:00:00:01' })
    .switch('c', { dc: 'dc1', role: 'fabric', dpid: 0xabc })
    .switch('d', { dc: 'dc1', role: 'fabric' })
    .build();
  assert.deepEqual(t.switches.map((s) => s.dpid), ['0000000000000002', '0000000000000001', '0000000000000abc', '0000000000000003']);
});

test('MACs: 02:KK:index, skipping explicit ones; VN ids: the lowest unused', () => {
  const t = base()
    .tenant('u', [{ name: 'a', id: 1 }, { name: 'b' }])
    .vm('vm1', { tenant: 't', vn: 'n', host: 'h1', ip: '10.8.0.1', mac: '02:00:00:00:00:02' })
    .vm('vm2', { tenant: 't', vn: 'n', host: 'h1', ip: '10.8.0.2' })
    .vm('vm3', { tenant: 't', vn: 'n', host: 'h1', ip: '10.8.0.3', mac: '02:AB:00:00:00:09' })
    .build();
  assert.deepEqual(t.vms.map((v) => v.mac), ['02:00:00:00:00:02', '02:00:00:00:00:03', '02:ab:00:00:00:09']);
  assert.equal(t.hosts[0]!.mac, '02:02:00:00:00:01');
  assert.deepEqual(t.tenants.flatMap((x) => x.vns.map((vn) => [vn.name, vn.id])), [['n', 2], ['a', 1], ['b', 3]]);
});

test('link and switch defaults; addresses written canonically', () => {
  const t = parseTopology(`
datacenters:
  - { name: dc1, subnet: "2001:DB8:0:0::/64", controller: { host: 127.0.0.1, port: 16653 } }
switches:
  - { name: s1, dc: dc1, role: fabric, failMode: standalone, tables: 8 }
  - { name: s2, dc: dc1, role: fabric }
links:
  - { a: s1, b: s2 }
  - { a: s1, b: s2, latencyMs: 2, loss: 0.01 }
endHosts:
  - { name: e1, switch: s1, ip: "2001:DB8::0001/64", mac: "02:AA:BB:CC:DD:EE" }
`);
  assert.deepEqual(t.datacenters[0], { name: 'dc1', subnet: '2001:db8::/64', controller: { host: '127.0.0.1', port: 16653 }, virtualisation: 'mac' });
  assert.deepEqual([t.switches[0]!.failMode, t.switches[0]!.tables, t.switches[1]!.failMode, t.switches[1]!.tables], ['standalone', 8, 'secure', 254]);
  assert.deepEqual(t.links[0], { a: 's1', b: 's2', portA: 1, portB: 1, ...DEFAULT_LINK_PARAMS });
  assert.deepEqual(t.links[1], { a: 's1', b: 's2', portA: 2, portB: 2, latencyMs: 2, bandwidthMbps: DEFAULT_LINK_PARAMS.bandwidthMbps, loss: 0.01 });
  assert.deepEqual([t.endHosts[0]!.ip, t.endHosts[0]!.mac, t.endHosts[0]!.port], ['2001:db8::1/64', '02:aa:bb:cc:dd:ee', 3]);
});

test('resolving is deterministic: same spec, same topology', () => {
  const b = base().vm('vm1', { tenant: 't', vn: 'n', host: 'h1', ip: '10.8.0.1' });
  assert.deepEqual(b.build(), b.build());
});

test('range: a switch cannot have more attachments than port numbers', () => {
  const b = new TopologyBuilder().dc('dc1', { subnet: '10.1.0.0/16' }).switch('s1', { dc: 'dc1', role: 'fabric' });
  for (let i = 0; i < 0xfeff + 1; i++) b.endHost(`e${i}`, { switch: 's1', ip: '10.9.0.1' });
  const issues = b.check().issues;
  assert.deepEqual(issues.map((i) => [i.rule, i.path]), [['range', 'switches[0].name']]);
});
