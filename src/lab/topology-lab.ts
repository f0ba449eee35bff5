/**
 * From an emulator topology (src/emulator/topology) to a lab topology (./topology.ts) that runs it on real Open
 * vSwitch:
 * - every switch becomes a bridge with the same datapath id, the controller target `controllerFor(switch.dc)`,
 *   OpenFlow13, and fail mode `opts.failMode` (default: the switch's own, which defaults to `secure`);
 * - every intra-DC link and every WAN link becomes a lab link (a veth pair) with the topology's port numbers as ofports;
 * - every VM becomes a lab host (a network namespace) on its switch's bridge, ofport = the VM's port, with the VM's MAC,
 *   its IP with the prefix length of its VN's subnet (/24 without one), address scope `<tenant>/<vn>` (VNs may reuse
 *   addresses) and a default route via {@link defaultGateway} (the DC's gatewayIp when inside the subnet, otherwise
 *   the subnet's last usable address).
 *
 * Lab names must be short (OVS port names `<bridge>-<host>` fit 15 characters), so bridges are named `b1`, `b2`, ...
 * and hosts `v1`, `v2`, ... in topology order; the returned maps give the correspondence. End hosts, gateways' public
 * addresses, link parameters (latency, bandwidth, loss) and VM VLAN tags are not represented.
 */
import { XsiteError } from '../core/errors';
import type { Topology as EmulatorTopology, FailMode } from '../emulator/topology/model';
import { defaultGateway } from '../local/dc-model';
import { validateTopology, type BridgeSpec, type HostSpec, type LinkSpec, type ValidTopology } from './topology';

/** Options of {@link labTopologyFromTopology}. */
export interface TopologyLabOptions {
  /** The controller target of the bridges of DC `dc` (`tcp:HOST:PORT`, `unix:PATH`), or null for none. */
  controllerFor: (dc: string) => string | null;
  /** Fail mode of every bridge; default: each switch's own (`secure` unless the topology says otherwise). */
  failMode?: FailMode;
}

/** Result of {@link labTopologyFromTopology}. */
export interface TopologyLab {
  /** The validated lab topology. */
  lab: ValidTopology;
  /** VM name -> lab host name. */
  vmHosts: Map<string, string>;
  /** Switch name -> lab bridge name. */
  switchBridges: Map<string, string>;
}

/** Prefix length of a CIDR, or undefined. */
function prefixLengthOf(cidr: string | undefined): number | undefined {
  if (cidr === undefined) return undefined;
  const m = /\/(\d{1,2})$/.exec(cidr);
  return m ? Number(m[1]) : undefined;
}

/**
 * The lab topology that runs `topology` (see the module comment). Pure. Throws `LAB_UNSUPPORTED_TOPOLOGY` for what
 * the lab cannot express (end hosts, a VM of an unknown VN or switch) and `LAB_BAD_TOPOLOGY` when the result does not
 * validate (e.g. a VM whose address is its gateway).
 */
export function labTopologyFromTopology(topology: EmulatorTopology, opts: TopologyLabOptions): TopologyLab {
  if (topology.endHosts.length > 0) {
    throw new XsiteError(
      'LAB_UNSUPPORTED_TOPOLOGY',
      `the OVS lab does not support end hosts (topology has ${topology.endHosts.length}: ${topology.endHosts.map((e) => e.name).join(', ')})`,
      { endHosts: topology.endHosts.map((e) => e.name) },
    );
  }
  const switchBridges = new Map<string, string>();
  const dcOf = new Map<string, string>();
  const bridges: BridgeSpec[] = topology.switches.map((s, i) => {
    const name = `b${i + 1}`;
    switchBridges.set(s.name, name);
    dcOf.set(s.name, s.dc);
    return { name, dpid: s.dpid, controller: opts.controllerFor(s.dc), failMode: opts.failMode ?? s.failMode, protocols: ['OpenFlow13'] };
  });
  const bridgeOf = (sw: string, what: string): string => {
    const b = switchBridges.get(sw);
    if (!b) throw new XsiteError('LAB_UNSUPPORTED_TOPOLOGY', `${what}: unknown switch "${sw}"`, { switch: sw });
    return b;
  };
  const links: LinkSpec[] = [...topology.links, ...topology.wanLinks].map((l) => ({
    a: bridgeOf(l.a, `link ${l.a}-${l.b}`),
    b: bridgeOf(l.b, `link ${l.a}-${l.b}`),
    ofportA: l.portA,
    ofportB: l.portB,
  }));
  const gatewayIpOf = new Map(topology.datacenters.map((d) => [d.name, d.gatewayIp]));
  const vmHosts = new Map<string, string>();
  const hosts: HostSpec[] = topology.vms.map((vm, i) => {
    const name = `v${i + 1}`;
    vmHosts.set(vm.name, name);
    const vn = topology.tenants.find((t) => t.name === vm.tenant)?.vns.find((v) => v.name === vm.vn);
    if (!vn) throw new XsiteError('LAB_UNSUPPORTED_TOPOLOGY', `VM ${vm.name}: unknown VN ${vm.tenant}/${vm.vn}`, { vm: vm.name });
    const bridge = bridgeOf(vm.switch, `VM ${vm.name}`);
    const subnet = vn.subnet ?? `${vm.ip}/24`;
    const prefixLength = prefixLengthOf(vn.subnet) ?? 24;
    const gateway = defaultGateway(subnet, gatewayIpOf.get(dcOf.get(vm.switch)!));
    return {
      name,
      bridge,
      ip: `${vm.ip}/${prefixLength}`,
      mac: vm.mac,
      ofport: vm.port,
      scope: `${vm.tenant}/${vm.vn}`,
      ...(gateway !== undefined && gateway !== vm.ip ? { gateway } : {}),
    };
  });
  const name = (topology.name ?? 'xsite').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40) || 'xsite';
  return { lab: validateTopology({ name, bridges, hosts, links }), vmHosts, switchBridges };
}
