/**
 * IPv4 for a host with one address/prefix and an optional default gateway.
 *
 * Output: on-link destinations are resolved directly, off-link ones through the gateway's MAC (no gateway: dropped,
 * `txNoRoute`); limited and directed broadcasts go to the broadcast MAC; our own address loops back. Frames are built
 * by the caller (with the packet codec) from the {@link IpEndpoints} given to it, with a placeholder destination MAC
 * that ARP fills in.
 *
 * Input: accepts datagrams to our address or a broadcast address with valid checksums and a non-zero TTL; drops the
 * rest with counters (a host does not forward). Fragments are not reassembled (dropped, counted).
 */
import { MAC_BROADCAST, MAC_ZERO, ipv4FromNumber, ipv4ToNumber } from '../../core/addr';
import type { Clock } from '../../core/clock';
import { XsiteError } from '../../core/errors';
import type { IpEndpoints, Packet } from '../../codec/packet';
import type { Arp } from './arp';
import type { Nic } from './nic';

export interface IpCounters {
  rxDelivered: number;
  txPackets: number;
  /** Datagrams for another address (hosts do not forward). */
  rxNotForUs: number;
  /** Bad IPv4 header or L4 checksum. */
  rxBadChecksum: number;
  /** Received with TTL 0. */
  rxTtlExpired: number;
  /** Fragments (not reassembled). */
  rxFragments: number;
  /** IP protocol with no handler here. */
  rxUnknownProtocol: number;
  /** Off-link destination without a gateway. */
  txNoRoute: number;
}

/** A parsed `a.b.c.d/len`. */
export interface Cidr {
  address: string;
  prefixLength: number;
}

/** Parses `a.b.c.d/len` (prefix 0-32). Throws `HOST_BAD_ADDRESS`. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new XsiteError('HOST_BAD_ADDRESS', `address ${JSON.stringify(text)} needs a prefix length (a.b.c.d/len)`);
  const address = text.slice(0, slash);
  ipv4ToNumber(address);
  const lenText = text.slice(slash + 1);
  const prefixLength = Number(lenText);
  if (!/^\d{1,2}$/.test(lenText) || prefixLength > 32) {
    throw new XsiteError('HOST_BAD_ADDRESS', `prefix length in ${JSON.stringify(text)} outside 0-32`);
  }
  return { address, prefixLength };
}

/** Receives datagrams of one IP protocol. */
export type IpHandler = (pkt: Packet) => void;

export class Ipv4 {
  readonly address: string;
  readonly addressNum: number;
  readonly prefixLength: number;
  private readonly mask: number;
  readonly gateway: string | undefined;
  private readonly gatewayNum: number;
  /** TTL of datagrams sent [64]. */
  ttl: number;
  icmp: IpHandler | undefined = undefined;
  udp: IpHandler | undefined = undefined;
  tcp: IpHandler | undefined = undefined;
  /** Where looped-back frames (to our own address) are injected, normally the host's receive path. */
  loopback: ((frame: Buffer) => void) | undefined = undefined;
  readonly counters: IpCounters = {
    rxDelivered: 0,
    txPackets: 0,
    rxNotForUs: 0,
    rxBadChecksum: 0,
    rxTtlExpired: 0,
    rxFragments: 0,
    rxUnknownProtocol: 0,
    txNoRoute: 0,
  };

  constructor(
    private readonly nic: Nic,
    private readonly arp: Arp,
    private readonly clock: Clock,
    cidr: string,
    gateway?: string,
    options?: { ttl?: number },
  ) {
    const c = parseCidr(cidr);
    this.address = c.address;
    this.addressNum = ipv4ToNumber(c.address);
    this.prefixLength = c.prefixLength;
    this.mask = c.prefixLength === 0 ? 0 : (0xffffffff << (32 - c.prefixLength)) >>> 0;
    this.gateway = gateway;
    this.gatewayNum = gateway === undefined ? -1 : ipv4ToNumber(gateway);
    if (gateway !== undefined && !this.onLink(this.gatewayNum)) {
      throw new XsiteError('HOST_BAD_GATEWAY', `gateway ${gateway} is not in ${cidr}`, { cidr, gateway });
    }
    this.ttl = options?.ttl ?? 64;
  }

  /** The subnet's network address. */
  get network(): string {
    return ipv4FromNumber((this.addressNum & this.mask) >>> 0);
  }

  /** The subnet's broadcast address. */
  get broadcast(): string {
    return ipv4FromNumber(this.broadcastNum);
  }

  private get broadcastNum(): number {
    return ((this.addressNum & this.mask) | ~this.mask) >>> 0;
  }

  /** True when `ip` is in our subnet. */
  onLink(ip: number): boolean {
    return ((ip ^ this.addressNum) & this.mask) === 0;
  }

  /** The next hop for `dst`: itself when on-link, the gateway otherwise, undefined without one. */
  nextHop(dst: number): number | undefined {
    if (this.onLink(dst)) return dst;
    return this.gatewayNum >= 0 ? this.gatewayNum : undefined;
  }

  /**
   * Sends a datagram to `dstIp`: `build` encodes the whole frame from the endpoints given (destination MAC is a
   * placeholder filled in by ARP). Returns false when there is no route (dropped, counted).
   */
  output(dstIp: string, build: (e: IpEndpoints) => Buffer): boolean {
    const dst = ipv4ToNumber(dstIp);
    const base = { srcMac: this.nic.mac, srcIp: this.address, dstIp, ttl: this.ttl };
    if (dst === this.addressNum) {
      const frame = build({ ...base, dstMac: this.nic.mac });
      this.counters.txPackets++;
      const lo = this.loopback;
      if (lo) this.clock.setTimeout(() => lo(frame), 0);
      return true;
    }
    if (dst === 0xffffffff || (dst === this.broadcastNum && this.prefixLength < 31)) {
      this.counters.txPackets++;
      this.nic.send(build({ ...base, dstMac: MAC_BROADCAST }));
      return true;
    }
    const hop = this.nextHop(dst);
    if (hop === undefined) {
      this.counters.txNoRoute++;
      return false;
    }
    this.counters.txPackets++;
    this.arp.send(hop, build({ ...base, dstMac: MAC_ZERO }));
    return true;
  }

  /** Handles a received IPv4 packet (parsed with checksum verification). */
  input(pkt: Packet): void {
    const ip = pkt.ipv4!;
    if (pkt.checksums !== undefined && !pkt.checksums.valid) {
      this.counters.rxBadChecksum++;
      return;
    }
    const dst = ipv4ToNumber(ip.dst);
    if (dst !== this.addressNum && dst !== 0xffffffff && dst !== this.broadcastNum) {
      this.counters.rxNotForUs++;
      return;
    }
    if (ip.ttl === 0) {
      this.counters.rxTtlExpired++;
      return;
    }
    if (ip.fragment !== undefined) {
      this.counters.rxFragments++;
      return;
    }
    const h = pkt.icmp ? this.icmp : pkt.tcp ? this.tcp : pkt.udp ? this.udp : undefined;
    if (h === undefined) {
      this.counters.rxUnknownProtocol++;
      return;
    }
    this.counters.rxDelivered++;
    h(pkt);
  }
}
