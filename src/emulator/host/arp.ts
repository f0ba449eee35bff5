/**
 * ARP for one IPv4 address on one NIC (RFC 826, with Linux-like defaults).
 *
 * - Cache of IP -> MAC entries that expire `cacheTimeoutMs` after they were last confirmed (checked lazily on use,
 *   so an idle host holds no timers); static entries never expire.
 * - Learning follows RFC 826's merge rule: an ARP packet (request, reply or gratuitous) refreshes an existing entry
 *   for its sender; a new entry is created only when the packet is addressed to us. So a gratuitous ARP updates
 *   peers that already know the address (what matters after a migration) and creates nothing elsewhere (Linux
 *   `arp_accept=0`).
 * - Requests for our address are answered (unicast reply to the requester).
 * - Resolution: a frame waiting for a MAC is queued (at most `queueLimit` per address, oldest dropped); the request
 *   is retried every `retryMs` up to `maxTries` times, then the queue is dropped and counted.
 * - `gratuitous()` and `rarp()` send the announcements a hypervisor sends after a live migration.
 *
 * Frames given to `send` are complete Ethernet frames whose destination MAC (bytes 0-5) is filled in here.
 */
import { ipv4FromNumber, ipv4ToNumber, writeMac } from '../../core/addr';
import type { Clock, TimerHandle } from '../../core/clock';
import { ARP_OP, ETHERTYPE, type Packet, arpReply, arpRequest, gratuitousArp, rarpAnnounce } from '../../codec/packet';
import type { Nic } from './nic';

export interface ArpOptions {
  /** Lifetime of a learned entry [60_000]. */
  cacheTimeoutMs?: number;
  /** Interval between requests while resolving [1000]. */
  retryMs?: number;
  /** Requests sent before giving up [3]. */
  maxTries?: number;
  /** Frames queued per unresolved address [64]. */
  queueLimit?: number;
}

export interface ArpCounters {
  requestsSent: number;
  requestsReceived: number;
  repliesSent: number;
  repliesReceived: number;
  gratuitousSent: number;
  gratuitousReceived: number;
  rarpSent: number;
  rarpReceived: number;
  /** Cache entries created or whose MAC changed. */
  updates: number;
  /** Resolutions abandoned after `maxTries` requests. */
  resolveFailures: number;
  /** Frames dropped: queue overflow or failed resolution. */
  queueDrops: number;
  /** ARP packets from another MAC claiming our address. */
  conflicts: number;
}

/** An ARP cache entry as reported by {@link Arp.entries}. */
export interface ArpEntry {
  ip: string;
  mac: string;
  static: boolean;
  /** Remaining lifetime (Infinity for static entries). */
  expiresInMs: number;
}

interface CacheEntry {
  mac: string;
  /** Expiry time; Infinity for static entries. */
  expiresAt: number;
}

interface Pending {
  frames: Buffer[];
  tries: number;
  timer: TimerHandle | undefined;
}

export class Arp {
  private cache: Map<number, CacheEntry> | undefined = undefined;
  private pending: Map<number, Pending> | undefined = undefined;
  readonly cacheTimeoutMs: number;
  readonly retryMs: number;
  readonly maxTries: number;
  readonly queueLimit: number;
  readonly counters: ArpCounters = {
    requestsSent: 0,
    requestsReceived: 0,
    repliesSent: 0,
    repliesReceived: 0,
    gratuitousSent: 0,
    gratuitousReceived: 0,
    rarpSent: 0,
    rarpReceived: 0,
    updates: 0,
    resolveFailures: 0,
    queueDrops: 0,
    conflicts: 0,
  };
  /** Called when an entry is created or its MAC changes. */
  onUpdate: ((ip: string, mac: string) => void) | undefined = undefined;

  constructor(
    private readonly nic: Nic,
    private readonly clock: Clock,
    /** Our address (dotted quad). */
    readonly ip: string,
    options?: ArpOptions,
  ) {
    this.cacheTimeoutMs = options?.cacheTimeoutMs ?? 60_000;
    this.retryMs = options?.retryMs ?? 1000;
    this.maxTries = options?.maxTries ?? 3;
    this.queueLimit = options?.queueLimit ?? 64;
  }

  /** The MAC cached for `ip`, if fresh. */
  lookup(ip: string | number): string | undefined {
    const key = typeof ip === 'number' ? ip : ipv4ToNumber(ip);
    const e = this.cache?.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= this.clock.now()) {
      this.cache!.delete(key);
      return undefined;
    }
    return e.mac;
  }

  /** Adds or replaces an entry (static entries never expire and are not overwritten by learning). */
  set(ip: string, mac: string, options?: { static?: boolean }): void {
    this.learn(ipv4ToNumber(ip), mac.toLowerCase(), options?.static ? Infinity : this.clock.now() + this.cacheTimeoutMs, true);
  }

  delete(ip: string): boolean {
    return this.cache?.delete(ipv4ToNumber(ip)) ?? false;
  }

  /** Empties the cache (pending resolutions continue). */
  flush(): void {
    this.cache = undefined;
  }

  /** Fresh entries, in insertion order. */
  entries(): ArpEntry[] {
    const out: ArpEntry[] = [];
    if (!this.cache) return out;
    const now = this.clock.now();
    for (const [ip, e] of this.cache) {
      if (e.expiresAt <= now) continue;
      out.push({ ip: ipv4FromNumber(ip), mac: e.mac, static: e.expiresAt === Infinity, expiresInMs: e.expiresAt - now });
    }
    return out;
  }

  /** Addresses being resolved. */
  get resolving(): number {
    return this.pending?.size ?? 0;
  }

  /**
   * Sends `frame` to the station owning `ip` (the next hop, as a 32-bit number): fills in its MAC now when cached,
   * else queues the frame (a full queue drops its oldest frame) and resolves.
   */
  send(ip: number, frame: Buffer): void {
    const mac = this.lookup(ip);
    if (mac !== undefined) {
      writeMac(mac, frame, 0);
      this.nic.send(frame);
      return;
    }
    if (this.pending === undefined) this.pending = new Map();
    let p = this.pending.get(ip);
    if (p === undefined) {
      p = { frames: [], tries: 0, timer: undefined };
      this.pending.set(ip, p);
      p.frames.push(frame);
      this.request(ip, p);
      return;
    }
    if (p.frames.length >= this.queueLimit) {
      p.frames.shift();
      this.counters.queueDrops++;
    }
    p.frames.push(frame);
  }

  private request(ip: number, p: Pending): void {
    p.tries++;
    this.counters.requestsSent++;
    this.nic.send(arpRequest({ srcMac: this.nic.mac, srcIp: this.ip, targetIp: ipv4FromNumber(ip) }));
    p.timer = this.clock.setTimeout(() => {
      p.timer = undefined;
      if (this.pending?.get(ip) !== p) return;
      if (p.tries < this.maxTries) {
        this.request(ip, p);
        return;
      }
      this.pending.delete(ip);
      this.counters.resolveFailures++;
      this.counters.queueDrops += p.frames.length;
    }, this.retryMs);
  }

  /** Handles a received ARP or RARP packet. */
  input(pkt: Packet): void {
    const a = pkt.arp;
    if (a === undefined) return;
    if (pkt.eth.etherType === ETHERTYPE.RARP) {
      // Hosts do not run RARP servers; the announcements are for switches.
      this.counters.rarpReceived++;
      return;
    }
    const mine = this.nic.mac;
    if (a.senderMac === mine) return; // our own broadcast reflected back
    if (a.senderIp === this.ip) {
      this.counters.conflicts++;
      return;
    }
    const gratuitous = a.senderIp === a.targetIp;
    if (a.op === ARP_OP.REQUEST) {
      if (gratuitous) this.counters.gratuitousReceived++;
      else this.counters.requestsReceived++;
    } else if (a.op === ARP_OP.REPLY) {
      if (gratuitous) this.counters.gratuitousReceived++;
      else this.counters.repliesReceived++;
    } else return;
    const forUs = a.targetIp === this.ip;
    if (a.senderIp !== '0.0.0.0') {
      const sender = ipv4ToNumber(a.senderIp);
      const known = this.cache?.has(sender) ?? false;
      // RFC 826 merge: refresh a known sender; create only when the packet is for us.
      if (known || forUs) this.learn(sender, a.senderMac, this.clock.now() + this.cacheTimeoutMs, false);
    }
    if (forUs && a.op === ARP_OP.REQUEST) {
      this.counters.repliesSent++;
      this.nic.send(arpReply({ srcMac: mine, srcIp: this.ip, dstMac: a.senderMac, dstIp: a.senderIp }));
    }
  }

  private learn(ip: number, mac: string, expiresAt: number, force: boolean): void {
    if (this.cache === undefined) this.cache = new Map();
    const e = this.cache.get(ip);
    if (e !== undefined) {
      if (e.expiresAt === Infinity && !force) return; // static
      const changed = e.mac !== mac;
      e.mac = mac;
      e.expiresAt = expiresAt;
      if (changed) {
        this.counters.updates++;
        this.onUpdate?.(ipv4FromNumber(ip), mac);
      }
    } else {
      this.cache.set(ip, { mac, expiresAt });
      this.counters.updates++;
      this.onUpdate?.(ipv4FromNumber(ip), mac);
    }
    const p = this.pending?.get(ip);
    if (p !== undefined) {
      this.pending!.delete(ip);
      this.clock.clearTimeout(p.timer);
      for (const f of p.frames) {
        writeMac(mac, f, 0);
        this.nic.send(f);
      }
    }
  }

  /** Broadcasts a gratuitous ARP for our address (request form by default, as `arping -U`). */
  gratuitous(op: 'request' | 'reply' = 'request'): void {
    this.counters.gratuitousSent++;
    this.nic.send(gratuitousArp({ mac: this.nic.mac, ip: this.ip, op }));
  }

  /** Broadcasts the RARP announcement QEMU sends after a live migration. */
  rarp(): void {
    this.counters.rarpSent++;
    this.nic.send(rarpAnnounce({ mac: this.nic.mac }));
  }

  /** Cancels pending resolutions (their frames are dropped). */
  close(): void {
    if (this.pending) {
      for (const p of this.pending.values()) {
        this.clock.clearTimeout(p.timer);
        this.counters.queueDrops += p.frames.length;
      }
      this.pending = undefined;
    }
  }
}
