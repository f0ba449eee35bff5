/**
 * Derives everything a topology may leave out, turning a validated {@link TopologySpec} into a {@link Topology}.
 * Every rule is deterministic: the same spec always gives the same topology.
 *
 * - **dpids**: explicit ones are kept (as 16 hex digits); each other switch, in file order, gets the lowest unused
 *   value from 1.
 * - **MACs** (locally administered unicast, first octet `02`): an object without one gets
 *   `02:KK:NN:NN:NN:NN`, where `KK` is the kind (`00` VM, `01` end host, `02` hypervisor host, `03` gateway) and
 *   `NN..` the object's 1-based position in its list (so `vms[0]` gets `02:00:00:00:00:01`). If that MAC is taken
 *   (by an explicit MAC or an earlier derived one) the next free value is used.
 * - **VN ids**: explicit ones are kept; each other VN, in file order (tenants, then their VNs), gets the lowest unused
 *   id from 1.
 * - **ports**: see the port numbering rule in `model.ts`.
 * - **links**: {@link DEFAULT_LINK_PARAMS} for intra-DC links; `loss: 0` for WAN links.
 * - DCs: controller `in-process`, virtualisation `mac`; switches: failMode `secure`, {@link DEFAULT_TABLES} tables;
 *   VMs: {@link DEFAULT_VM_MEMORY_MB}. Addresses are written in canonical text (IPv6 per RFC 5952, MACs lowercase).
 */
import { macFromNumber, macToNumber } from '../../core/addr';
import { parseCidr, parseIfaceAddr, parseIp } from './cidr';
import {
  DEFAULT_LINK_PARAMS,
  DEFAULT_TABLES,
  DEFAULT_VM_MEMORY_MB,
  type Datacenter,
  type EndHost,
  type Gateway,
  type Host,
  type Link,
  type PortAttachment,
  type Switch,
  type Tenant,
  type Topology,
  type TopologySpec,
  type Vm,
  type WanLink,
} from './model';
import { normalizeDpid } from './validate';

/** MAC kind byte per object kind (the second octet of a derived MAC). */
export const MAC_KIND = Object.freeze({ vm: 0x00, endHost: 0x01, host: 0x02, gateway: 0x03 });

const canonIp = (text: string): string => {
  const ip = parseIp(text);
  return typeof ip === 'object' ? ip.text : text;
};
const canonCidr = (text: string): string => {
  const c = parseCidr(text);
  return typeof c === 'object' ? c.text : text;
};

/** Hands out the lowest free values of a number space, with some values reserved up front. */
class LowestFree {
  private readonly used = new Set<number>();
  private next: number;
  constructor(first: number) {
    this.next = first;
  }
  reserve(n: number): void {
    this.used.add(n);
  }
  take(): number {
    while (this.used.has(this.next)) this.next++;
    this.used.add(this.next);
    return this.next;
  }
}

/**
 * Applies every default to a validated spec. The spec must have passed {@link validateTopology}; on an unvalidated
 * spec the result is unspecified.
 */
export function resolveTopology(spec: TopologySpec): Topology {
  const switchesIn = spec.switches ?? [];
  const hostsIn = spec.hosts ?? [];
  const gatewaysIn = spec.gateways ?? [];
  const linksIn = spec.links ?? [];
  const wanIn = spec.wanLinks ?? [];
  const tenantsIn = spec.tenants ?? [];
  const vmsIn = spec.vms ?? [];
  const endHostsIn = spec.endHosts ?? [];

  const datacenters: Datacenter[] = spec.datacenters.map((d) => ({
    name: d.name,
    subnet: canonCidr(d.subnet),
    controller: d.controller === undefined || d.controller === 'in-process' ? 'in-process' : { host: d.controller.host, port: d.controller.port },
    ...(d.gatewayIp !== undefined ? { gatewayIp: canonIp(d.gatewayIp) } : {}),
    virtualisation: d.virtualisation ?? 'mac',
  }));

  // dpids
  const dpidTaken = new Set(switchesIn.filter((s) => s.dpid !== undefined).map((s) => normalizeDpid(s.dpid!)));
  let nextDpid = 1n;
  const dpidOf = (dpid: string | number | undefined): string => {
    if (dpid !== undefined) return normalizeDpid(dpid);
    let d: string;
    do d = (nextDpid++).toString(16).padStart(16, '0');
    while (dpidTaken.has(d));
    dpidTaken.add(d);
    return d;
  };

  // MACs
  const macTaken = new Set<number>();
  for (const list of [hostsIn, gatewaysIn, vmsIn, endHostsIn]) {
    for (const o of list as ReadonlyArray<{ mac?: string }>) if (o.mac !== undefined) macTaken.add(macToNumber(o.mac));
  }
  const macOf = (mac: string | undefined, kind: keyof typeof MAC_KIND, index: number): string => {
    if (mac !== undefined) return mac.toLowerCase();
    let n = 0x02_00_0000_0000 + MAC_KIND[kind] * 2 ** 32 + index + 1;
    while (macTaken.has(n)) n++;
    macTaken.add(n);
    return macFromNumber(n);
  };

  // ports: reserve explicit ones, then hand out the rest in the documented order
  const portSpace = new Map<string, LowestFree>(switchesIn.map((s) => [s.name, new LowestFree(1)]));
  const attachments = new Map<string, PortAttachment[]>(switchesIn.map((s) => [s.name, []]));
  const reserve = (sw: string, port: number | undefined): void => {
    if (port !== undefined) portSpace.get(sw)!.reserve(port);
  };
  linksIn.forEach((l) => (reserve(l.a, l.portA), reserve(l.b, l.portB)));
  wanIn.forEach((l) => (reserve(l.a, l.portA), reserve(l.b, l.portB)));
  const hostByName = new Map(hostsIn.map((h) => [h.name, h]));
  vmsIn.forEach((v) => reserve(hostByName.get(v.host)!.switch, v.port));
  endHostsIn.forEach((e) => reserve(e.switch, e.port));
  const portOn = (sw: string, port: number | undefined): number => port ?? portSpace.get(sw)!.take();
  const attach = (sw: string, a: PortAttachment): void => void attachments.get(sw)!.push(a);

  const links: Link[] = linksIn.map((l) => {
    const portA = portOn(l.a, l.portA);
    const portB = portOn(l.b, l.portB);
    attach(l.a, { port: portA, kind: 'link', peer: l.b, peerPort: portB });
    attach(l.b, { port: portB, kind: 'link', peer: l.a, peerPort: portA });
    return {
      a: l.a,
      b: l.b,
      portA,
      portB,
      latencyMs: l.latencyMs ?? DEFAULT_LINK_PARAMS.latencyMs,
      bandwidthMbps: l.bandwidthMbps ?? DEFAULT_LINK_PARAMS.bandwidthMbps,
      loss: l.loss ?? DEFAULT_LINK_PARAMS.loss,
    };
  });
  const wanLinks: WanLink[] = wanIn.map((l) => {
    const portA = portOn(l.a, l.portA);
    const portB = portOn(l.b, l.portB);
    attach(l.a, { port: portA, kind: 'wan', peer: l.b, peerPort: portB });
    attach(l.b, { port: portB, kind: 'wan', peer: l.a, peerPort: portA });
    return { a: l.a, b: l.b, portA, portB, latencyMs: l.latencyMs, bandwidthMbps: l.bandwidthMbps, loss: l.loss ?? 0 };
  });

  // VN ids
  const vnIds = new LowestFree(1);
  for (const t of tenantsIn) for (const vn of t.vns) if (vn.id !== undefined) vnIds.reserve(vn.id);
  const tenants: Tenant[] = tenantsIn.map((t) => ({
    name: t.name,
    vns: t.vns.map((vn) => ({ name: vn.name, id: vn.id ?? vnIds.take(), ...(vn.subnet !== undefined ? { subnet: canonCidr(vn.subnet) } : {}) })),
  }));

  const vms: Vm[] = vmsIn.map((v, i) => {
    const sw = hostByName.get(v.host)!.switch;
    const port = portOn(sw, v.port);
    attach(sw, { port, kind: 'vm', peer: v.name });
    return {
      name: v.name,
      tenant: v.tenant,
      vn: v.vn,
      host: v.host,
      switch: sw,
      port,
      ip: canonIp(v.ip),
      mac: macOf(v.mac, 'vm', i),
      ...(v.vlan !== undefined ? { vlan: v.vlan } : {}),
      memoryMB: v.memoryMB ?? DEFAULT_VM_MEMORY_MB,
    };
  });
  const endHosts: EndHost[] = endHostsIn.map((e, i) => {
    const port = portOn(e.switch, e.port);
    attach(e.switch, { port, kind: 'endHost', peer: e.name });
    const addr = parseIfaceAddr(e.ip);
    return {
      name: e.name,
      switch: e.switch,
      port,
      ip: typeof addr === 'object' ? addr.text : e.ip,
      mac: macOf(e.mac, 'endHost', i),
      ...(e.vlan !== undefined ? { vlan: e.vlan } : {}),
    };
  });
  const hosts: Host[] = hostsIn.map((h, i) => ({
    name: h.name,
    dc: h.dc,
    switch: h.switch,
    address: canonIp(h.address),
    mac: macOf(h.mac, 'host', i),
    ...(h.capacity !== undefined ? { capacity: { ...h.capacity } } : {}),
  }));
  const gateways: Gateway[] = gatewaysIn.map((g, i) => ({
    name: g.name,
    dc: g.dc,
    switch: g.switch,
    publicIps: g.publicIps.map(canonIp),
    portRange: [g.portRange[0], g.portRange[1]],
    mac: macOf(g.mac, 'gateway', i),
  }));

  const switches: Switch[] = switchesIn.map((s) => ({
    name: s.name,
    dc: s.dc,
    role: s.role,
    dpid: dpidOf(s.dpid),
    failMode: s.failMode ?? 'secure',
    tables: s.tables ?? DEFAULT_TABLES,
    ports: attachments.get(s.name)!.sort((x, y) => x.port - y.port),
  }));

  return {
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    datacenters,
    switches,
    hosts,
    gateways,
    links,
    wanLinks,
    tenants,
    vms,
    endHosts,
  };
}
