/** A small data center for the local controller's tests: gateway, fabric, two vswitches, two tenants sharing addresses. */
import { TopologyBuilder } from '../../../src/emulator/topology/builder';
import type { Topology, Virtualisation } from '../../../src/emulator/topology/model';

/**
 * dc1: dc1-gw-sw, dc1-tor (fabric), dc1-h1-vs and dc1-h2-vs; acme/web (VN 100) and globex/app (VN 200) both use
 * 192.168.10.0/24. acme: a1 .1, a2 .2 on h1, a3 .3 on h2; globex: g1 .1 on h2, g2 .2 on h1, g5 .5 on h2.
 * With `remote`, a second DC dc2 (one vswitch) holds acme a9 .9, and VN other/db (300, no subnet) has d1 172.16.5.7 on dc1-h1.
 */
export function oneDc(virtualisation: Virtualisation, remote = false): Topology {
  const b = new TopologyBuilder('one-dc')
    .dc('dc1', { subnet: '10.1.0.0/16', gatewayIp: '192.168.10.254', virtualisation })
    .switch('dc1-gw-sw', { dc: 'dc1', role: 'gateway' })
    .switch('dc1-tor', { dc: 'dc1', role: 'fabric' })
    .switch('dc1-h1-vs', { dc: 'dc1', role: 'host' })
    .switch('dc1-h2-vs', { dc: 'dc1', role: 'host' })
    .host('dc1-h1', { dc: 'dc1', switch: 'dc1-h1-vs', address: '10.1.0.11' })
    .host('dc1-h2', { dc: 'dc1', switch: 'dc1-h2-vs', address: '10.1.0.12' })
    .link('dc1-tor', 'dc1-gw-sw')
    .link('dc1-tor', 'dc1-h1-vs')
    .link('dc1-tor', 'dc1-h2-vs')
    .tenant('acme', [{ name: 'web', id: 100, subnet: '192.168.10.0/24' }])
    .tenant('globex', [{ name: 'app', id: 200, subnet: '192.168.10.0/24' }])
    .vm('a1', { tenant: 'acme', vn: 'web', host: 'dc1-h1', ip: '192.168.10.1' })
    .vm('a2', { tenant: 'acme', vn: 'web', host: 'dc1-h1', ip: '192.168.10.2' })
    .vm('a3', { tenant: 'acme', vn: 'web', host: 'dc1-h2', ip: '192.168.10.3' })
    .vm('g1', { tenant: 'globex', vn: 'app', host: 'dc1-h2', ip: '192.168.10.1' })
    .vm('g2', { tenant: 'globex', vn: 'app', host: 'dc1-h1', ip: '192.168.10.2' })
    .vm('g5', { tenant: 'globex', vn: 'app', host: 'dc1-h2', ip: '192.168.10.5' });
  if (!remote) return b.build();
  return b
    .dc('dc2', { subnet: '10.2.0.0/16', gatewayIp: '192.168.10.254' })
    .switch('dc2-h1-vs', { dc: 'dc2', role: 'host' })
    .host('dc2-h1', { dc: 'dc2', switch: 'dc2-h1-vs', address: '10.2.0.11' })
    .tenant('other', [{ name: 'db', id: 300 }])
    .vm('a9', { tenant: 'acme', vn: 'web', host: 'dc2-h1', ip: '192.168.10.9' })
    .vm('d1', { tenant: 'other', vn: 'db', host: 'dc1-h1', ip: '172.16.5.7' })
    .build();
}

/**
 * dc1 (gateway, fabric, two vswitches; acme a1, a2 on h1, a3 on h2) and dc2 (gateway, one vswitch; acme x9, y8), with
 * gateways and a WAN link: for migrations of x9 into dc1 and the NAT flows of its cross-site flows.
 */
export function twoDcsWithGateways(virtualisation: Virtualisation): Topology {
  return new TopologyBuilder('arrival')
    .dc('dc1', { subnet: '10.1.0.0/16', gatewayIp: '192.168.10.254', virtualisation })
    .dc('dc2', { subnet: '10.2.0.0/16', gatewayIp: '192.168.10.254' })
    .switch('dc1-gw-sw', { dc: 'dc1', role: 'gateway' })
    .switch('dc1-tor', { dc: 'dc1', role: 'fabric' })
    .switch('dc1-h1-vs', { dc: 'dc1', role: 'host' })
    .switch('dc1-h2-vs', { dc: 'dc1', role: 'host' })
    .switch('dc2-gw-sw', { dc: 'dc2', role: 'gateway' })
    .switch('dc2-h1-vs', { dc: 'dc2', role: 'host' })
    .host('dc1-h1', { dc: 'dc1', switch: 'dc1-h1-vs', address: '10.1.0.11' })
    .host('dc1-h2', { dc: 'dc1', switch: 'dc1-h2-vs', address: '10.1.0.12' })
    .host('dc2-h1', { dc: 'dc2', switch: 'dc2-h1-vs', address: '10.2.0.11' })
    .link('dc1-tor', 'dc1-gw-sw')
    .link('dc1-tor', 'dc1-h1-vs')
    .link('dc1-tor', 'dc1-h2-vs')
    .link('dc2-gw-sw', 'dc2-h1-vs')
    .wan('dc1-gw-sw', 'dc2-gw-sw', { latencyMs: 5, bandwidthMbps: 100 })
    .gateway('dc1-gw', { dc: 'dc1', switch: 'dc1-gw-sw', publicIps: ['203.0.113.1'], portRange: [20000, 20999] })
    .gateway('dc2-gw', { dc: 'dc2', switch: 'dc2-gw-sw', publicIps: ['203.0.113.2'], portRange: [20000, 20999] })
    .tenant('acme', [{ name: 'web', id: 100, subnet: '192.168.10.0/24' }])
    .vm('a1', { tenant: 'acme', vn: 'web', host: 'dc1-h1', ip: '192.168.10.1' })
    .vm('a2', { tenant: 'acme', vn: 'web', host: 'dc1-h1', ip: '192.168.10.2' })
    .vm('a3', { tenant: 'acme', vn: 'web', host: 'dc1-h2', ip: '192.168.10.3' })
    .vm('x9', { tenant: 'acme', vn: 'web', host: 'dc2-h1', ip: '192.168.10.9' })
    .vm('y8', { tenant: 'acme', vn: 'web', host: 'dc2-h1', ip: '192.168.10.8' })
    .build();
}
