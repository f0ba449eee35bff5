/**
 * The example topologies: where their YAML files are, the same topologies written with the builder (kept equal to
 * the files by a test), and the large generated topology for the scale benchmark.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { TopologyBuilder } from './builder';
import { loadTopologyFile } from './load';
import type { Topology } from './model';
export { generateLargeTopology, type LargeTopologyOptions } from './generate';

/** Names of the YAML examples in `examples/topologies/`. */
export type ExampleTopologyName = 'three-dcs' | 'tiny';

/** The repository root, from this module's place in `src/` or in `dist/src/`. */
function repoRoot(): string {
  let dir = resolve(__dirname, '../../..');
  if (basename(dir) === 'dist') dir = dirname(dir);
  return dir;
}

/** Absolute path of `examples/topologies/<name>.yaml`. */
export function exampleTopologyPath(name: ExampleTopologyName): string {
  return join(repoRoot(), 'examples', 'topologies', `${name}.yaml`);
}

/** Loads, validates and resolves an example file. */
export function loadExampleTopology(name: ExampleTopologyName): Topology {
  return loadTopologyFile(exampleTopologyPath(name));
}

/** `examples/topologies/three-dcs.yaml`, written with the builder. */
export function threeDcsBuilder(): TopologyBuilder {
  const b = new TopologyBuilder('three-dcs', '3 DCs, 2 tenants with overlapping VNs, 8 VMs');
  const capacity = { vms: 4, memoryMB: 16384 };
  b.dc('dc1', { subnet: '10.1.0.0/16', controller: 'in-process', gatewayIp: '192.168.10.254' })
    .dc('dc2', { subnet: '10.2.0.0/16', gatewayIp: '192.168.10.254' })
    .dc('dc3', { subnet: '10.3.0.0/16', gatewayIp: '192.168.10.254', virtualisation: 'vlan' });
  for (const d of [1, 2, 3]) {
    const dc = `dc${d}`;
    b.switch(`${dc}-gw-sw`, { dc, role: 'gateway' })
      .switch(`${dc}-tor`, { dc, role: 'fabric' })
      .switch(`${dc}-h1-vs`, { dc, role: 'host' })
      .switch(`${dc}-h2-vs`, { dc, role: 'host' });
  }
  for (const d of [1, 2, 3]) {
    for (const h of [1, 2]) b.host(`dc${d}-h${h}`, { dc: `dc${d}`, switch: `dc${d}-h${h}-vs`, address: `10.${d}.0.1${h}`, capacity });
  }
  b.gateway('dc1-gw', { dc: 'dc1', switch: 'dc1-gw-sw', publicIps: ['203.0.113.1'], portRange: [20000, 29999] })
    .gateway('dc2-gw', { dc: 'dc2', switch: 'dc2-gw-sw', publicIps: ['203.0.113.2'], portRange: [20000, 29999] })
    .gateway('dc3-gw', { dc: 'dc3', switch: 'dc3-gw-sw', publicIps: ['203.0.113.3', '203.0.113.4'], portRange: [20000, 29999] });
  for (const d of [1, 2, 3]) {
    b.link(`dc${d}-tor`, `dc${d}-gw-sw`).link(`dc${d}-tor`, `dc${d}-h1-vs`).link(`dc${d}-tor`, `dc${d}-h2-vs`);
  }
  const wan = { latencyMs: 20, bandwidthMbps: 1000 };
  b.wan('dc1-gw-sw', 'dc2-gw-sw', wan).wan('dc2-gw-sw', 'dc3-gw-sw', wan).wan('dc3-gw-sw', 'dc1-gw-sw', wan);
  b.tenant('acme', [{ name: 'web', id: 100, subnet: '192.168.10.0/24' }]).tenant('globex', [
    { name: 'app', id: 200, subnet: '192.168.10.0/24' },
    { name: 'db', subnet: '192.168.20.0/24' },
  ]);
  return b
    .vm('acme-web1', { tenant: 'acme', vn: 'web', host: 'dc1-h1', ip: '192.168.10.1' })
    .vm('acme-web2', { tenant: 'acme', vn: 'web', host: 'dc2-h1', ip: '192.168.10.2' })
    .vm('acme-web3', { tenant: 'acme', vn: 'web', host: 'dc3-h1', ip: '192.168.10.3', memoryMB: 2048 })
    .vm('acme-web4', { tenant: 'acme', vn: 'web', host: 'dc1-h1', ip: '192.168.10.4' })
    .vm('globex-app1', { tenant: 'globex', vn: 'app', host: 'dc1-h2', ip: '192.168.10.1' })
    .vm('globex-app2', { tenant: 'globex', vn: 'app', host: 'dc2-h2', ip: '192.168.10.2' })
    .vm('globex-app3', { tenant: 'globex', vn: 'app', host: 'dc3-h1', ip: '192.168.10.3' })
    .vm('globex-db1', { tenant: 'globex', vn: 'db', host: 'dc3-h2', ip: '192.168.20.1', mac: '02:aa:00:00:00:01' });
}

/** `examples/topologies/tiny.yaml`, written with the builder. */
export function tinyBuilder(): TopologyBuilder {
  return new TopologyBuilder('tiny')
    .dc('dc1', { subnet: '10.0.0.0/16' })
    .switch('s1', { dc: 'dc1', role: 'fabric', dpid: '1' })
    .endHost('h1', { switch: 's1', ip: '10.0.0.1/24' })
    .endHost('h2', { switch: 's1', ip: '10.0.0.2/24' });
}
