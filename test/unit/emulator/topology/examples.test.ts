import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  generateLargeTopology,
  loadExampleTopology,
  loadTopologyFile,
  resolveTopology,
  threeDcsBuilder,
  tinyBuilder,
  validateTopology,
} from '../../../../src/emulator/topology';
import { isXsiteError } from '../../../../src/core/errors';

test('three-dcs.yaml parses to the expected model', () => {
  const t = loadExampleTopology('three-dcs');
  assert.equal(t.name, 'three-dcs');
  assert.deepEqual(t.datacenters.map((d) => [d.name, d.subnet, d.virtualisation]), [
    ['dc1', '10.1.0.0/16', 'mac'],
    ['dc2', '10.2.0.0/16', 'mac'],
    ['dc3', '10.3.0.0/16', 'vlan'],
  ]);
  assert.ok(t.datacenters.every((d) => d.controller === 'in-process' && d.gatewayIp === '192.168.10.254'));
  for (const dc of ['dc1', 'dc2', 'dc3']) {
    const roles = t.switches.filter((s) => s.dc === dc).map((s) => s.role).sort();
    assert.deepEqual(roles, ['fabric', 'gateway', 'host', 'host']);
  }
  assert.equal(t.hosts.length, 6);
  assert.equal(t.gateways.length, 3);
  assert.deepEqual(t.gateways[2]!.publicIps, ['203.0.113.3', '203.0.113.4']);
  // WAN triangle, 20 ms / 1 Gbit/s, between gateway switches of different DCs
  assert.deepEqual(t.wanLinks.map((l) => [l.a, l.b, l.latencyMs, l.bandwidthMbps, l.loss]), [
    ['dc1-gw-sw', 'dc2-gw-sw', 20, 1000, 0],
    ['dc2-gw-sw', 'dc3-gw-sw', 20, 1000, 0],
    ['dc3-gw-sw', 'dc1-gw-sw', 20, 1000, 0],
  ]);
  // two tenants whose VNs use the same private addresses
  assert.deepEqual(t.tenants, [
    { name: 'acme', vns: [{ name: 'web', id: 100, subnet: '192.168.10.0/24' }] },
    { name: 'globex', vns: [{ name: 'app', id: 200, subnet: '192.168.10.0/24' }, { name: 'db', id: 1, subnet: '192.168.20.0/24' }] },
  ]);
  assert.equal(t.vms.length, 8);
  assert.deepEqual(new Set(t.vms.map((v) => t.hosts.find((h) => h.name === v.host)!.dc)), new Set(['dc1', 'dc2', 'dc3']));
  const web1 = t.vms.find((v) => v.name === 'acme-web1')!;
  const app1 = t.vms.find((v) => v.name === 'globex-app1')!;
  assert.equal(web1.ip, app1.ip);
  assert.deepEqual(web1, {
    name: 'acme-web1',
    tenant: 'acme',
    vn: 'web',
    host: 'dc1-h1',
    switch: 'dc1-h1-vs',
    port: 2,
    ip: '192.168.10.1',
    mac: '02:00:00:00:00:01',
    memoryMB: 1024,
  });
  // every VM sits on a port of its host's virtual switch, listed on that switch
  for (const v of t.vms) {
    const sw = t.switches.find((s) => s.name === v.switch)!;
    assert.deepEqual(sw.ports.find((p) => p.port === v.port), { port: v.port, kind: 'vm', peer: v.name });
  }
  const gw1 = t.switches.find((s) => s.name === 'dc1-gw-sw')!;
  assert.deepEqual(gw1.ports, [
    { port: 1, kind: 'link', peer: 'dc1-tor', peerPort: 1 },
    { port: 2, kind: 'wan', peer: 'dc2-gw-sw', peerPort: 2 },
    { port: 3, kind: 'wan', peer: 'dc3-gw-sw', peerPort: 3 },
  ]);
  assert.equal(new Set(t.switches.map((s) => s.dpid)).size, 12);
});

test('tiny.yaml parses to the expected model', () => {
  assert.deepEqual(loadExampleTopology('tiny'), {
    name: 'tiny',
    datacenters: [{ name: 'dc1', subnet: '10.0.0.0/16', controller: 'in-process', virtualisation: 'mac' }],
    switches: [
      {
        name: 's1',
        dc: 'dc1',
        role: 'fabric',
        dpid: '0000000000000001',
        failMode: 'secure',
        tables: 254,
        ports: [
          { port: 1, kind: 'endHost', peer: 'h1' },
          { port: 2, kind: 'endHost', peer: 'h2' },
        ],
      },
    ],
    hosts: [],
    gateways: [],
    links: [],
    wanLinks: [],
    tenants: [],
    vms: [],
    endHosts: [
      { name: 'h1', switch: 's1', port: 1, ip: '10.0.0.1/24', mac: '02:01:00:00:00:01' },
      { name: 'h2', switch: 's1', port: 2, ip: '10.0.0.2/24', mac: '02:01:00:00:00:02' },
    ],
  });
});

test('the builder and the YAML file give equal models', () => {
  assert.deepEqual(threeDcsBuilder().build(), loadExampleTopology('three-dcs'));
  assert.deepEqual(tinyBuilder().build(), loadExampleTopology('tiny'));
});

test('loadTopologyFile: a missing file is TOPOLOGY_UNREADABLE', () => {
  assert.throws(() => loadTopologyFile('/nonexistent/topology.yaml'), (e: unknown) => isXsiteError(e, 'TOPOLOGY_UNREADABLE'));
});

test('the 10,000-host generated topology validates and resolves in well under a second', () => {
  const spec = generateLargeTopology({ switches: 100, hosts: 10_000 });
  const t0 = performance.now();
  const t = resolveTopology(validateTopology(spec));
  const ms = performance.now() - t0;
  assert.equal(t.switches.length, 100);
  assert.equal(t.vms.length, 10_000);
  assert.equal(t.datacenters.length, 3);
  assert.equal(t.wanLinks.length, 3);
  assert.equal(new Set(t.vms.map((v) => v.mac)).size, 10_000);
  assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
});

test('the generator can attach end hosts instead of VMs', () => {
  const t = resolveTopology(validateTopology(generateLargeTopology({ switches: 10, hosts: 1000, datacenters: 1, attach: 'endHosts' })));
  assert.equal(t.endHosts.length, 1000);
  assert.equal(t.vms.length, 0);
  assert.equal(t.switches.length, 10);
  // 8 host vswitches share the 1000 end hosts round-robin: 125 each, after their uplink on port 1
  const vs = t.switches.find((s) => s.name === 'dc1-h1-vs')!;
  assert.equal(vs.ports.length, 126);
  assert.deepEqual(vs.ports[0], { port: 1, kind: 'link', peer: 'dc1-tor', peerPort: 2 });
});

test('the generator refuses impossible sizes', () => {
  assert.throws(() => generateLargeTopology({ switches: 5, datacenters: 2 }), (e: unknown) => isXsiteError(e, 'BAD_ARGUMENT'));
});
