/**
 * UDP sockets: bind a port (or an ephemeral one), send datagrams, receive them with `onMessage`.
 * Datagrams to a port nobody bound are dropped and counted (no ICMP port unreachable).
 */
import type { Random } from '../../core/random';
import { randomInt } from '../../core/random';
import { XsiteError } from '../../core/errors';
import { type Packet, udpPacket } from '../../codec/packet';
import type { Ipv4 } from './ip';

/** Largest payload that fits a 1500-byte MTU (no fragmentation here). */
export const UDP_MAX_PAYLOAD = 1500 - 20 - 8;

export interface UdpRemote {
  srcIp: string;
  srcPort: number;
  /** Destination address of the datagram (ours, or a broadcast). */
  dstIp: string;
}

export type UdpListener = (data: Buffer, from: UdpRemote) => void;

export interface UdpCounters {
  rxDatagrams: number;
  txDatagrams: number;
  /** Datagrams to an unbound port. */
  rxNoPort: number;
  /** Datagrams that could not be routed. */
  txNoRoute: number;
}

export class UdpSocket {
  private listeners: UdpListener[] = [];
  private closed = false;
  rxDatagrams = 0;
  txDatagrams = 0;

  constructor(
    private readonly udp: Udp,
    readonly port: number,
  ) {}

  /** Sends `data` (at most {@link UDP_MAX_PAYLOAD} bytes) to `dstIp:dstPort`. Returns false when unroutable. */
  send(dstIp: string, dstPort: number, data: Uint8Array): boolean {
    if (this.closed) throw new XsiteError('UDP_CLOSED', `UDP socket on port ${this.port} is closed`);
    if (data.length > UDP_MAX_PAYLOAD) {
      throw new XsiteError('UDP_TOO_BIG', `datagram of ${data.length} bytes exceeds ${UDP_MAX_PAYLOAD}`, { length: data.length });
    }
    this.txDatagrams++;
    return this.udp.send(this.port, dstIp, dstPort, data);
  }

  /** Adds a receive handler (data is a copy the handler may keep). */
  onMessage(fn: UdpListener): this {
    this.listeners.push(fn);
    return this;
  }

  /** Unbinds the port. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.udp.unbind(this);
  }

  /** @internal */
  deliver(data: Buffer, from: UdpRemote): void {
    this.rxDatagrams++;
    for (const l of this.listeners) l(data, from);
  }
}

export class Udp {
  private sockets: Map<number, UdpSocket> | undefined = undefined;
  readonly counters: UdpCounters = { rxDatagrams: 0, txDatagrams: 0, rxNoPort: 0, txNoRoute: 0 };

  constructor(
    private readonly ip: Ipv4,
    private readonly random: Random,
  ) {}

  /** Binds `port` (0 or omitted: a free ephemeral port in 49152-65535). Throws `UDP_PORT_IN_USE`. */
  bind(port = 0, onMessage?: UdpListener): UdpSocket {
    if (this.sockets === undefined) this.sockets = new Map();
    if (port === 0) port = this.ephemeral();
    else if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new XsiteError('UDP_BAD_PORT', `port ${port} outside 1-65535`);
    } else if (this.sockets.has(port)) throw new XsiteError('UDP_PORT_IN_USE', `UDP port ${port} is in use`, { port });
    const s = new UdpSocket(this, port);
    this.sockets.set(port, s);
    if (onMessage) s.onMessage(onMessage);
    return s;
  }

  private ephemeral(): number {
    const start = 49152 + randomInt(this.random, 16384);
    for (let i = 0; i < 16384; i++) {
      const p = 49152 + ((start - 49152 + i) % 16384);
      if (!this.sockets!.has(p)) return p;
    }
    throw new XsiteError('UDP_NO_PORT', 'no free ephemeral UDP port');
  }

  /** @internal */
  unbind(s: UdpSocket): void {
    if (this.sockets?.get(s.port) === s) this.sockets.delete(s.port);
  }

  /** @internal */
  send(srcPort: number, dstIp: string, dstPort: number, data: Uint8Array): boolean {
    const ok = this.ip.output(dstIp, (e) => udpPacket({ ...e, srcPort, dstPort, data }));
    if (ok) this.counters.txDatagrams++;
    else this.counters.txNoRoute++;
    return ok;
  }

  input(pkt: Packet): void {
    const u = pkt.udp!;
    const s = this.sockets?.get(u.dstPort);
    if (s === undefined) {
      this.counters.rxNoPort++;
      return;
    }
    this.counters.rxDatagrams++;
    s.deliver(Buffer.from(pkt.payload), { srcIp: pkt.ipv4!.src, srcPort: u.srcPort, dstIp: pkt.ipv4!.dst });
  }
}
