/** labTopologyFromTopology: an emulator topology as a lab topology (pure, no root needed). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isXsiteError } from '../../../src/core/errors';
import { exampleTopologyPath, loadTopologyFile, TopologyBuilder } from '../../../src/emulator/topology';
import { hostPortName, linkPortNames } from '../../../src/lab/names';
import { labTopologyFromTopology } from '../../../src/lab/topology-lab';
import { validateTopology } from '../../../src/lab/topology';

describe('labTopologyFromTopology', () => {
  const topo = loadTopologyFile(exampleTopologyPath('three-dcs'));
  const controllers: Record<string, string> = { dc1: 'tcp:127.0.0.1:6653', dc2: 'tcp:127.0.0.1:6654', dc3: 'unix:/tmp/c3.sock' };

  it('maps three-dcs: bridges keep the dpids, links and VMs keep their ports', () => {
    const asked: string[] = [];
    const { lab, vmHosts, switchBridges } = labTopologyFromTopology(topo, {
      controllerFor: (dc) => {
        asked.push(dc);
        return controllers[dc]!;
      },
    });
    assert.equal(lab.validated, true);
    assert.equal(lab.name, 'three-dcs');
    assert.deepEqual([...new Set(asked)].sort(), ['dc1', 'dc2', 'dc3']);

    // Bridges: one per switch, same dpid, the DC's controller, OpenFlow13, secure.
    assert.equal(lab.bridges.length, topo.switches.length);
    assert.equal(switchBridges.size, topo.switches.length);
    for (const s of topo.switches) {
      const b = lab.bridges.find((x) => x.name === switchBridges.get(s.name));
      assert.ok(b, s.name);
      assert.equal(b.dpid, s.dpid, s.name);
      assert.match(b.dpid, /^[0-9a-f]{16}$/);
      assert.equal(b.controller, controllers[s.dc]);
      assert.equal(b.failMode, 'secure');
      assert.deepEqual(b.protocols, ['OpenFlow13']);
    }
    assert.equal(new Set(lab.bridges.map((b) => b.dpid)).size, lab.bridges.length);

    // Links: intra-DC then WAN, same ofports.
    const all = [...topo.links, ...topo.wanLinks];
    assert.equal(topo.wanLinks.length, 3);
    assert.equal(lab.links.length, all.length);
    all.forEach((l, i) => {
      assert.deepEqual(lab.links[i], { a: switchBridges.get(l.a), b: switchBridges.get(l.b), ofportA: l.portA, ofportB: l.portB });
    });
    // Every switch port that is a link or WAN link is a lab link port with the same number.
    for (const s of topo.switches) {
      const b = switchBridges.get(s.name)!;
      const labPorts = new Set([
        ...lab.links.filter((l) => l.a === b).map((l) => l.ofportA),
        ...lab.links.filter((l) => l.b === b).map((l) => l.ofportB),
        ...lab.hosts.filter((h) => h.bridge === b).map((h) => h.ofport),
      ]);
      assert.deepEqual([...labPorts].sort((x, y) => x - y), s.ports.map((p) => p.port).sort((x, y) => x - y), s.name);
    }

    // VMs: host on the switch's bridge, ofport = port, MAC, IP/prefix, gateway.
    assert.equal(lab.hosts.length, topo.vms.length);
    for (const vm of topo.vms) {
      const h = lab.hosts.find((x) => x.name === vmHosts.get(vm.name));
      assert.ok(h, vm.name);
      assert.equal(h.bridge, switchBridges.get(vm.switch));
      assert.equal(h.ofport, vm.port);
      assert.equal(h.mac, vm.mac);
      assert.equal(h.address, vm.ip);
      assert.equal(h.prefixLength, 24);
      assert.equal(h.scope, `${vm.tenant}/${vm.vn}`);
      assert.equal(h.gateway, vm.vn === 'db' ? '192.168.20.254' : '192.168.10.254', vm.name);
    }
    // VNs reuse addresses: acme-web1 and globex-app1 are both 192.168.10.1.
    assert.equal(lab.hosts.find((h) => h.name === vmHosts.get('acme-web1'))!.address, '192.168.10.1');
    assert.equal(lab.hosts.find((h) => h.name === vmHosts.get('globex-app1'))!.address, '192.168.10.1');

    // Every OVS port name fits the 15-character interface name limit.
    for (const h of lab.hosts) assert.ok(hostPortName(h.bridge, h.name).length <= 15);
    for (const l of linkPortNames(lab)) assert.ok(l.a.length <= 15 && l.b.length <= 15);
  });

  it('honours failMode and null controllers', () => {
    const { lab } = labTopologyFromTopology(topo, { controllerFor: () => null, failMode: 'standalone' });
    assert.ok(lab.bridges.every((b) => b.controller === null && b.failMode === 'standalone'));
  });

  it('uses the subnet prefix length and the last usable address when the DC gateway is outside the subnet', () => {
    const t = new TopologyBuilder('t')
      .dc('dc1', { subnet: '10.1.0.0/16', gatewayIp: '192.168.10.254' })
      .switch('dc1-h1-vs', { dc: 'dc1', role: 'host' })
      .host('dc1-h1', { dc: 'dc1', switch: 'dc1-h1-vs', address: '10.1.0.11' })
      .tenant('acme', [{ name: 'web', subnet: '172.16.0.0/20' }, { name: 'free' }])
      .vm('vm-a', { tenant: 'acme', vn: 'web', host: 'dc1-h1', ip: '172.16.3.7' })
      .vm('vm-b', { tenant: 'acme', vn: 'free', host: 'dc1-h1', ip: '192.168.10.9' })
      .build();
    const { lab, vmHosts } = labTopologyFromTopology(t, { controllerFor: () => null });
    const a = lab.hosts.find((h) => h.name === vmHosts.get('vm-a'))!;
    assert.equal(a.ip, '172.16.3.7/20');
    assert.equal(a.gateway, '172.16.15.254');
    const b = lab.hosts.find((h) => h.name === vmHosts.get('vm-b'))!;
    assert.equal(b.ip, '192.168.10.9/24');
    assert.equal(b.gateway, '192.168.10.254');
  });

  it('rejects end hosts with a clear error', () => {
    const t = new TopologyBuilder('t')
      .dc('dc1', { subnet: '10.1.0.0/16' })
      .switch('s1', { dc: 'dc1', role: 'fabric' })
      .endHost('e1', { switch: 's1', ip: '10.1.0.5/24' })
      .build();
    assert.throws(
      () => labTopologyFromTopology(t, { controllerFor: () => null }),
      (e: unknown) => isXsiteError(e, 'LAB_UNSUPPORTED_TOPOLOGY') && /end hosts/.test((e as Error).message),
    );
  });

  it('lab address scopes: duplicates allowed across scopes, rejected within one', () => {
    const base = { name: 't', bridges: [{ name: 's1' }], links: [] };
    const ok = validateTopology({
      ...base,
      hosts: [
        { name: 'h1', bridge: 's1', ip: '10.0.0.1/24', mac: '02:00:00:00:00:01', scope: 'a' },
        { name: 'h2', bridge: 's1', ip: '10.0.0.1/24', mac: '02:00:00:00:00:02', scope: 'b' },
      ],
    });
    assert.deepEqual(ok.hosts.map((h) => h.scope), ['a', 'b']);
    assert.throws(
      () =>
        validateTopology({
          ...base,
          hosts: [
            { name: 'h1', bridge: 's1', ip: '10.0.0.1/24', mac: '02:00:00:00:00:01', scope: 'a' },
            { name: 'h2', bridge: 's1', ip: '10.0.0.1/24', mac: '02:00:00:00:00:02', scope: 'a' },
          ],
        }),
      (e: unknown) => isXsiteError(e, 'LAB_BAD_TOPOLOGY') && /hosts\[1\]\.ip/.test((e as Error).message),
    );
  });
});
