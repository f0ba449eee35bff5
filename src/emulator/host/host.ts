/**
 * An emulated host (a VM or a bare-metal server): one NIC plus ARP, IPv4, ICMP, UDP and TCP.
 *
 * `endpoint` is what a Link plugs into. For a VM moving between ports (live migration): `detach()` unplugs the NIC
 * (its link is disconnected), `attach(peer, params)` plugs it into `peer` with a new Link, `announce()` sends the
 * gratuitous ARP and RARP frames a hypervisor sends after the move. Connections, sockets and the ARP cache are
 * kept across the move, as in a real live migration.
 *
 * Received frames are parsed once (checksums verified) and dispatched; malformed ones are dropped and counted.
 */
import type { Clock } from '../../core/clock';
import { type Random, seededRandom } from '../../core/random';
import { tryParsePacket } from '../../codec/packet';
import type { Endpoint } from '../net/endpoint';
import { Link, type LinkParams } from '../net/link';
import { Arp, type ArpOptions } from './arp';
import { Icmp, type PingOptions, type PingResult } from './icmp';
import { Ipv4 } from './ip';
import { Nic } from './nic';
import { TcpStack, type TcpOptions } from './tcp';
import { Udp } from './udp';

export interface EmulatedHostOptions {
  name: string;
  mac: string;
  /** Address and prefix, e.g. `10.0.0.5/24`. */
  ip: string;
  /** Default gateway (must be in the subnet); without one only on-link destinations are reachable. */
  gateway?: string | undefined;
  /** Tag frames with this VLAN (a VM on a tagged port). */
  vlan?: number | undefined;
  clock: Clock;
  /** Seeds TCP initial sequence numbers, ephemeral ports, ping ids [seeded from the name]. */
  random?: Random;
  arp?: ArpOptions;
  tcp?: TcpOptions;
  /** TTL of sent datagrams [64]. */
  ttl?: number;
}

/** Frames the host could not decode. */
export interface HostCounters {
  rxMalformed: number;
  /** Ethertypes other than ARP/RARP/IPv4 (IPv6 included: not implemented here). */
  rxUnsupported: number;
}

function nameSeed(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class EmulatedHost {
  readonly name: string;
  readonly clock: Clock;
  readonly nic: Nic;
  readonly arp: Arp;
  readonly ipv4: Ipv4;
  readonly icmp: Icmp;
  readonly udp: Udp;
  readonly tcp: TcpStack;
  readonly counters: HostCounters = { rxMalformed: 0, rxUnsupported: 0 };

  constructor(options: EmulatedHostOptions) {
    this.name = options.name;
    this.clock = options.clock;
    const random = options.random ?? seededRandom(nameSeed(options.name));
    this.nic = new Nic({ name: `${options.name}:eth0`, mac: options.mac, vlan: options.vlan });
    const address = options.ip.slice(0, Math.max(0, options.ip.indexOf('/')));
    this.arp = new Arp(this.nic, this.clock, address, options.arp);
    this.ipv4 = new Ipv4(this.nic, this.arp, this.clock, options.ip, options.gateway, { ttl: options.ttl });
    this.icmp = new Icmp(this.ipv4, this.clock, random);
    this.udp = new Udp(this.ipv4, random);
    this.tcp = new TcpStack(this.ipv4, this.clock, random, options.tcp);
    const ip = this.ipv4;
    ip.icmp = (p) => this.icmp.input(p);
    ip.udp = (p) => this.udp.input(p);
    ip.tcp = (p) => this.tcp.input(p);
    ip.loopback = (f) => this.input(f);
    this.nic.onFrame = (f) => this.input(f);
  }

  /** The NIC, for `new Link(host.endpoint, ...)`. */
  get endpoint(): Endpoint {
    return this.nic;
  }

  get mac(): string {
    return this.nic.mac;
  }

  /** Our address (without prefix). */
  get ip(): string {
    return this.ipv4.address;
  }

  /** The link the NIC is plugged into (when it is a Link of ours). */
  get link(): Link | undefined {
    return this.nic.link;
  }

  /** Handles a frame as if the NIC accepted it (untagged). */
  input(frame: Buffer): void {
    const r = tryParsePacket(frame, { verifyChecksums: true });
    if (!r.ok) {
      this.counters.rxMalformed++;
      return;
    }
    const pkt = r.packet;
    if (pkt.arp !== undefined) this.arp.input(pkt);
    else if (pkt.ipv4 !== undefined) this.ipv4.input(pkt);
    else this.counters.rxUnsupported++;
  }

  /** Pings `dst` (see {@link Icmp.ping}). */
  ping(dst: string, options?: PingOptions): Promise<PingResult> {
    return this.icmp.ping(dst, options);
  }

  /**
   * Announces the host at its (possibly new) location, as a hypervisor does after a live migration: `rounds`
   * gratuitous ARPs and QEMU-style RARP frames, `intervalMs` apart (QEMU: 5 rounds, 50 ms then +100 ms each).
   */
  announce(options?: { rounds?: number; intervalMs?: number; garp?: boolean; rarp?: boolean }): void {
    const rounds = options?.rounds ?? 1;
    const interval = options?.intervalMs ?? 50;
    const garp = options?.garp ?? true;
    const rarp = options?.rarp ?? true;
    const once = (i: number): void => {
      if (rarp) this.arp.rarp();
      if (garp) this.arp.gratuitous();
      if (i + 1 < rounds) this.clock.setTimeout(() => once(i + 1), interval);
    };
    if (rounds > 0) once(0);
  }

  /** Unplugs the NIC (the link it was on is disconnected). Sockets and connections stay. */
  detach(): void {
    this.nic.detach();
  }

  /** Plugs the NIC into `peer` with a new link (detaching it first if needed). Returns the link. */
  attach(peer: Endpoint, params?: LinkParams & { random?: Random; name?: string }): Link {
    this.detach();
    return new Link(this.nic, peer, { clock: this.clock, ...params });
  }

  /** Moves the NIC to `peer` and announces it (`detach`, `attach`, `announce`). */
  moveTo(peer: Endpoint, params?: LinkParams & { random?: Random; name?: string }): Link {
    const link = this.attach(peer, params);
    this.announce();
    return link;
  }

  /** A snapshot of every layer's counters. */
  stats(): Record<string, Record<string, number>> {
    return {
      host: { ...this.counters },
      nic: { ...this.nic.counters },
      arp: { ...this.arp.counters },
      ip: { ...this.ipv4.counters },
      icmp: { ...this.icmp.counters },
      udp: { ...this.udp.counters },
      tcp: { ...this.tcp.counters },
    };
  }
}
