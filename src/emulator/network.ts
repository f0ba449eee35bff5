/**
 * The emulated network: builds a running network from a resolved topology (switches with OpenFlow agents, VMs and
 * end hosts with their network stacks, intra-DC and WAN links) and traces packets across it hop by hop.
 */
import type { Duplex } from 'node:stream';
import { type Clock, RealClock } from '../core/clock';
import { ipv4FromNumber, ipv4ToNumber } from '../core/addr';
import { XsiteError } from '../core/errors';
import { seededRandom } from '../core/random';
import { EmulatedHost } from './host/host';
import { Link } from './net/link';
import { OfAgent, type OfAgentOptions } from './switch/of-agent';
import { SoftSwitch } from './switch/soft-switch';
import { formatTrace, type TraceResult } from './switch/trace';
import type { Topology, Vm } from './topology/model';
import type { TcpOptions } from './host/tcp';
import { isMigrationEndpoint } from '../model/migration-network';

/**
 * TCP of the migration endpoints (src/model/migration-network.ts), which carry the `sim` hypervisor's copy streams:
 * 32000-byte segments (the switches see segmentation-offloaded super-frames, as a software switch with TSO/GRO does,
 * so that a memory copy costs the emulator thousands of frames, not tens of thousands) and a 16 MiB receive window
 * (window scaling) to fill a WAN's bandwidth-delay product.
 */
export const MIGRATION_ENDPOINT_TCP: Readonly<TcpOptions> = Object.freeze({ mss: 32000, rcvWindow: 16 * 1024 * 1024 });

export interface NetworkOptions {
  /** Real time by default (so switches interoperate with controllers over sockets); VirtualClock for simulations. */
  clock?: Clock;
  /** Seed of every random decision (link loss, MACs, TCP sequence numbers). Default 1. */
  seed?: number;
  /** OpenFlow agent options (echo interval, reconnect backoff). */
  agent?: OfAgentOptions;
}

/** What sits behind a switch port. */
export type PortPeer = { kind: 'switch'; name: string; port: number } | { kind: 'host'; name: string };

/** One switch visited by a network trace. */
export interface TraceHop {
  switch: string;
  inPort: number;
  result: TraceResult;
}

/** The path of one packet through the network. */
export interface NetworkTrace {
  hops: TraceHop[];
  /** Hosts that received a copy, with the frame as delivered. */
  delivered: { host: string; frame: Buffer; viaSwitch: string; port: number }[];
  /** Copies that left through a port with nothing behind it, or a link that is down. */
  lost: { switch: string; port: number; reason: string }[];
  /** True when the walk stopped at the hop limit (a loop). */
  truncated: boolean;
}

const MAX_TRACE_HOPS = 64;

/** The subnet of a VM: its VN's, or the /24 around its address when the VN has none. */
function vmSubnet(topology: Topology, vm: Vm): { network: number; prefix: number } {
  const vn = topology.tenants.find((t) => t.name === vm.tenant)?.vns.find((v) => v.name === vm.vn);
  const prefix = vn?.subnet ? Number(vn.subnet.split('/')[1]) : 24;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (ipv4ToNumber(vm.ip) & mask) >>> 0, prefix };
}

/**
 * A VM's default gateway (seed 003: the same gateway address in every DC, per VN): the DC's `gatewayIp` when it
 * lies in the VM's subnet, otherwise the last usable address of the subnet (e.g. .254 of a /24).
 */
export function vmGateway(topology: Topology, vm: Vm, dcGatewayIp: string | undefined): string | undefined {
  const { network, prefix } = vmSubnet(topology, vm);
  if (prefix >= 31) return undefined;
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  if (dcGatewayIp !== undefined && ((ipv4ToNumber(dcGatewayIp) & mask) >>> 0) === network) return dcGatewayIp;
  return ipv4FromNumber(((network | ~mask) >>> 0) - 1);
}

export class EmulatedNetwork {
  readonly clock: Clock;
  readonly switches = new Map<string, SoftSwitch>();
  /** VMs and end hosts by name. */
  readonly hosts = new Map<string, EmulatedHost>();
  readonly links: Link[] = [];
  readonly agents = new Map<string, OfAgent>();
  /** switch -> port -> what is behind it. */
  private readonly peers = new Map<string, Map<number, PortPeer>>();
  /** host -> (switch, port) it is plugged into. */
  private readonly hostPorts = new Map<string, { switch: string; port: number }>();

  private constructor(
    readonly topology: Topology,
    private readonly opts: NetworkOptions,
  ) {
    this.clock = opts.clock ?? new RealClock();
  }

  /** Builds every switch, host and link of `topology` (controllers are connected separately). */
  static build(topology: Topology, opts: NetworkOptions = {}): EmulatedNetwork {
    const net = new EmulatedNetwork(topology, opts);
    const seed = opts.seed ?? 1;
    const random = seededRandom(seed);
    for (const s of topology.switches) {
      const sw = new SoftSwitch({
        dpid: BigInt(`0x${s.dpid}`),
        name: s.name,
        clock: net.clock,
        nTables: s.tables,
        failMode: s.failMode,
        random,
      });
      net.switches.set(s.name, sw);
      net.peers.set(s.name, new Map());
    }
    const sw = (name: string): SoftSwitch => {
      const s = net.switches.get(name);
      if (!s) throw new XsiteError('NETWORK_UNKNOWN_SWITCH', `no switch named ${name}`);
      return s;
    };
    const join = (a: string, pa: number, b: string, pb: number, params: { latencyMs: number; bandwidthMbps: number; loss: number }) => {
      const ea = sw(a).addPort(pa, `${a}-p${pa}`);
      const eb = sw(b).addPort(pb, `${b}-p${pb}`);
      net.links.push(new Link(ea, eb, { clock: net.clock, random, latencyMs: params.latencyMs, bandwidthMbps: params.bandwidthMbps, lossRate: params.loss }));
      net.peers.get(a)!.set(pa, { kind: 'switch', name: b, port: pb });
      net.peers.get(b)!.set(pb, { kind: 'switch', name: a, port: pa });
    };
    for (const l of topology.links) join(l.a, l.portA, l.b, l.portB, l);
    for (const l of topology.wanLinks) join(l.a, l.portA, l.b, l.portB, l);
    const dcOfSwitch = new Map(topology.switches.map((s) => [s.name, s.dc]));
    const gatewayIpOf = (switchName: string): string | undefined =>
      topology.datacenters.find((d) => d.name === dcOfSwitch.get(switchName))?.gatewayIp;
    const plug = (name: string, switchName: string, port: number, host: EmulatedHost) => {
      const ep = sw(switchName).addPort(port, `${switchName}-${name}`.slice(0, 15));
      net.links.push(new Link(host.endpoint, ep, { clock: net.clock, random }));
      net.hosts.set(name, host);
      net.peers.get(switchName)!.set(port, { kind: 'host', name });
      net.hostPorts.set(name, { switch: switchName, port });
    };
    for (const vm of topology.vms) {
      const host = new EmulatedHost({
        name: vm.name,
        mac: vm.mac,
        ip: `${vm.ip}/${vmSubnet(topology, vm).prefix}`,
        gateway: vmGateway(topology, vm, gatewayIpOf(vm.switch)),
        vlan: vm.vlan,
        clock: net.clock,
        random: seededRandom(seed ^ net.hosts.size),
        ...(isMigrationEndpoint(vm) ? { tcp: { ...MIGRATION_ENDPOINT_TCP } } : {}),
      });
      plug(vm.name, vm.switch, vm.port, host);
    }
    for (const eh of topology.endHosts) {
      const host = new EmulatedHost({
        name: eh.name,
        mac: eh.mac,
        ip: eh.ip.includes('/') ? eh.ip : `${eh.ip}/24`,
        vlan: eh.vlan,
        clock: net.clock,
        random: seededRandom(seed ^ net.hosts.size),
      });
      plug(eh.name, eh.switch, eh.port, host);
    }
    return net;
  }

  /** The switch named `name` (throws NETWORK_UNKNOWN_SWITCH). */
  switch(name: string): SoftSwitch {
    const s = this.switches.get(name);
    if (!s) throw new XsiteError('NETWORK_UNKNOWN_SWITCH', `no switch named ${name}`);
    return s;
  }

  /** The VM or end host named `name` (throws NETWORK_UNKNOWN_HOST). */
  host(name: string): EmulatedHost {
    const h = this.hosts.get(name);
    if (!h) throw new XsiteError('NETWORK_UNKNOWN_HOST', `no VM or end host named ${name}`);
    return h;
  }

  /** What is behind port `port` of switch `sw`. */
  peerOf(sw: string, port: number): PortPeer | undefined {
    return this.peers.get(sw)?.get(port);
  }

  /** Where a host is plugged in. */
  attachmentOf(host: string): { switch: string; port: number } | undefined {
    return this.hostPorts.get(host);
  }

  /**
   * Plugs host `name`'s NIC into port `port` of switch `sw` with a new link (`params`, default: as the builder's, no
   * latency and unlimited bandwidth), as a live migration does: the NIC leaves wherever it was (its old link is
   * disconnected and dropped from `links`), the port is added to the switch when missing and must be free otherwise,
   * and `attachmentOf` / `peerOf` follow. Replugging where the host already is reconnects it there (an aborted
   * migration). The old port stays on its switch, empty. Throws NETWORK_PORT_IN_USE when something else holds the port.
   */
  replug(
    name: string,
    sw: string,
    port: number,
    params?: { latencyMs?: number; bandwidthMbps?: number; lossRate?: number; queueBytes?: number },
  ): Link {
    const host = this.host(name);
    const s = this.switch(sw);
    const peer = this.peers.get(sw)?.get(port);
    const existing = s.port(port);
    const own = host.link !== undefined && existing !== undefined && (host.link.a === existing || host.link.b === existing);
    if ((peer && !(peer.kind === 'host' && peer.name === name)) || (existing?.tx !== undefined && !own)) {
      const by = peer ? `${peer.kind} ${peer.name}` : 'another link';
      throw new XsiteError('NETWORK_PORT_IN_USE', `port ${port} of ${sw} is in use (${by})`, { switch: sw, port });
    }
    host.detach();
    for (let i = this.links.length - 1; i >= 0; i--) {
      const l = this.links[i]!;
      if (!l.connected && (l.a === host.endpoint || l.b === host.endpoint)) this.links.splice(i, 1);
    }
    const old = this.hostPorts.get(name);
    if (old) this.peers.get(old.switch)?.delete(old.port);
    const ep = existing ?? s.addPort(port, `${sw}-${name}`.slice(0, 15));
    const link = new Link(host.endpoint, ep, { clock: this.clock, ...params });
    this.links.push(link);
    this.peers.get(sw)!.set(port, { kind: 'host', name });
    this.hostPorts.set(name, { switch: sw, port });
    return link;
  }

  /** Connects switch `name` to a controller over TCP (reconnecting with backoff, as OVS does). */
  connectTcp(name: string, host: string, port: number): OfAgent {
    const agent = this.agentFor(name);
    agent.connectTcp(host, port);
    return agent;
  }

  /** Runs switch `name`'s OpenFlow session over `duplex` (e.g. one end of memoryDuplexPair()). */
  connectStream(name: string, duplex: Duplex): OfAgent {
    const agent = this.agentFor(name);
    agent.attach(duplex);
    return agent;
  }

  /**
   * Connects every switch to its data center's controller as the topology says: `{host, port}` over TCP; for
   * 'in-process' controllers `inProcess(dc, switchName)` must return a duplex (or undefined to leave it alone).
   */
  connectControllers(inProcess?: (dc: string, switchName: string) => Duplex | undefined): void {
    for (const s of this.topology.switches) {
      const dc = this.topology.datacenters.find((d) => d.name === s.dc)!;
      if (dc.controller === 'in-process') {
        const duplex = inProcess?.(dc.name, s.name);
        if (duplex) this.connectStream(s.name, duplex);
      } else {
        this.connectTcp(s.name, dc.controller.host, dc.controller.port);
      }
    }
  }

  /**
   * Follows a frame sent by host `from` through every switch it crosses (like ofproto/trace, but across the
   * network), without changing any state: no counters, no learning, no packet-ins sent.
   */
  trace(from: string, frame: Buffer): NetworkTrace {
    const at = this.hostPorts.get(from);
    if (!at) throw new XsiteError('NETWORK_UNKNOWN_HOST', `no VM or end host named ${from}`);
    return this.traceFrom(at.switch, at.port, frame);
  }

  /** Like trace(), starting with `frame` arriving at port `port` of switch `sw`. */
  traceFrom(sw: string, port: number, frame: Buffer): NetworkTrace {
    const out: NetworkTrace = { hops: [], delivered: [], lost: [], truncated: false };
    const queue: { sw: string; port: number; frame: Buffer }[] = [{ sw, port, frame }];
    while (queue.length > 0) {
      if (out.hops.length >= MAX_TRACE_HOPS) {
        out.truncated = true;
        break;
      }
      const next = queue.shift()!;
      const result = this.switch(next.sw).trace(next.port, next.frame);
      out.hops.push({ switch: next.sw, inPort: next.port, result });
      for (const o of result.outputs) {
        const peer = this.peerOf(next.sw, o.port);
        if (!peer) out.lost.push({ switch: next.sw, port: o.port, reason: 'nothing connected' });
        else if (peer.kind === 'host') out.delivered.push({ host: peer.name, frame: o.frame, viaSwitch: next.sw, port: o.port });
        else queue.push({ sw: peer.name, port: peer.port, frame: o.frame });
      }
    }
    return out;
  }

  /** Stops every agent and timer-driven activity of the switches. */
  close(): void {
    for (const a of this.agents.values()) a.close();
    for (const s of this.switches.values()) s.close();
    if (this.clock instanceof RealClock) this.clock.clearAll();
  }

  private agentFor(name: string): OfAgent {
    let agent = this.agents.get(name);
    if (!agent) {
      agent = new OfAgent(this.switch(name), this.opts.agent);
      this.agents.set(name, agent);
    }
    return agent;
  }
}

/** Human-readable network trace: every switch hop (as formatTrace prints it), then where copies ended up. */
export function formatNetworkTrace(t: NetworkTrace): string {
  const lines: string[] = [];
  t.hops.forEach((h, i) => {
    lines.push(`=== hop ${i + 1}: switch ${h.switch}, in_port ${h.inPort} ===`);
    lines.push(formatTrace(h.result));
  });
  lines.push('=== result ===');
  for (const d of t.delivered) lines.push(`delivered to ${d.host} (from ${d.viaSwitch} port ${d.port}, ${d.frame.length} bytes)`);
  for (const l of t.lost) lines.push(`lost at ${l.switch} port ${l.port}: ${l.reason}`);
  if (t.delivered.length === 0 && t.lost.length === 0) lines.push('dropped (no copy left the network)');
  if (t.truncated) lines.push(`stopped after ${MAX_TRACE_HOPS} hops (loop?)`);
  return lines.join('\n');
}
