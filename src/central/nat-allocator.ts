/**
 * The NAT tuple allocator of the central controller (seed 000 section 4.2): a cross-site flow gets a tuple
 * (source gateway public IP, destination gateway public IP, port) as its identifier between the two gateways.
 *
 * Rules:
 * - **Uniqueness.** Among the tuples in use, `(protocol, {srcPublicIp, dstPublicIp}, port)` is unique, the IP pair
 *   taken unordered: a tuple also identifies its flow's reverse direction (replies travel dst gateway -> src gateway
 *   with the same port), so a flow the other way between the same IPs never gets the same port. The same port may be
 *   in use for tcp, udp and icmp at once. For ICMP the "port" is not a port: OpenFlow 1.3 cannot rewrite the echo
 *   identifier, so it is the VLAN id (1..4094, {@link ICMP_TUPLE_RANGE}) that tags the flow's frames between the two
 *   gateways (see src/model/cross-site-flow.ts); ICMP tuples come from that range, not the gateways' port ranges.
 * - **Range.** The port comes from the source gateway's `portRange`. The destination gateway also sees (and, for
 *   replies, emits) that port, so it must lie in the destination gateway's range too: the usable range is the
 *   intersection of both ranges (with equal ranges, the usual case, simply the source gateway's range).
 * - **IP spread.** Each (unordered public-IP pair, protocol) is a pool. Of the pairs `src.publicIps x
 *   dst.publicIps`, the pool with the fewest tuples in use that has a free port wins (ties: the source gateway's IP
 *   order, then the destination's); in it, the lowest free port. A released port is free again at once.
 * - **Cost.** Each pool keeps its free ports as disjoint runs (`NatFreeRange`, keyed by start), so allocation and
 *   release cost O(k log n) (k = number of IP pairs, n = runs), never a scan of the port range.
 * - **Atomicity.** One allocation (or release) is one store transaction (or runs inside the caller's, see
 *   {@link NatAllocator.allocateIn}): tuple, pool counters and free runs change together or not at all. A full
 *   pool raises `NAT_POOL_EXHAUSTED` and nothing is written.
 * - **Idempotence.** Allocating for a flow id that already holds a tuple returns that tuple (`NAT_FLOW_CONFLICT`
 *   if the protocol or gateways differ). Releasing a flow id without a tuple does nothing.
 *
 * Errors: `NAT_POOL_EXHAUSTED` (details: srcGateway, dstGateway, protocol, rangeSize = ports in the usable range,
 * ipPairs, capacity = rangeSize x ipPairs), `GATEWAY_NOT_FOUND`, `NAT_SAME_GATEWAY`, `NAT_FLOW_CONFLICT`,
 * `NAT_BAD_PROTOCOL`.
 */
import { XsiteError, invariant } from '../core/errors';
import { NAT_PROTOCOLS, type NatPoolRecord, type NatProtocol, type NatTuple, type NatTupleRecord } from '../model/flow';
import type { GatewayRecord } from '../model/intent';
import { ICMP_TUPLE_RANGE } from '../model/cross-site-flow';
import type { Store, StoreTx } from '../ports/store';

/** What to allocate. */
export interface NatAllocateRequest {
  protocol: NatProtocol;
  /** Gateway names. */
  srcGateway: string;
  dstGateway: string;
  flowId: string;
}

/** Options of {@link NatAllocator}. */
export interface NatAllocatorOptions {
  /** Timestamp source for `allocatedAt`; default `Date.now`. */
  now?: () => number;
}

/** The key of the pool of one protocol and one unordered IP pair. */
export function natPoolKey(protocol: NatProtocol, ipA: string, ipB: string): string {
  const [lo, hi] = ipA <= ipB ? [ipA, ipB] : [ipB, ipA];
  return `${protocol}|${lo}|${hi}`;
}

/** The usable port range between two gateways (see the module comment), or undefined when it is empty. */
export function natUsableRange(src: GatewayRecord, dst: GatewayRecord): [number, number] | undefined {
  const lo = Math.max(src.portRange[0], dst.portRange[0]);
  const hi = Math.min(src.portRange[1], dst.portRange[1]);
  return lo <= hi ? [lo, hi] : undefined;
}

function toTuple(r: NatTupleRecord): NatTuple {
  return { srcPublicIp: r.srcPublicIp, dstPublicIp: r.dstPublicIp, port: r.port, protocol: r.protocol };
}

interface Candidate {
  key: string;
  srcIp: string;
  dstIp: string;
  /** undefined: the pool does not exist yet (all free). */
  pool: NatPoolRecord | undefined;
  inUse: number;
  order: number;
}

/** Allocates and releases NAT tuples in a {@link Store}. */
export class NatAllocator {
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    options: NatAllocatorOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Allocates (or returns the flow's existing) tuple, in its own transaction. */
  allocate(req: NatAllocateRequest): Promise<NatTuple> {
    return this.store.transaction((tx) => this.allocateIn(tx, req));
  }

  /** Releases the flow's tuple; returns it, or undefined when the flow held none. */
  release(flowId: string): Promise<NatTuple | undefined> {
    return this.store.transaction((tx) => this.releaseIn(tx, flowId));
  }

  /** The flow's tuple, if it holds one. */
  async lookup(flowId: string): Promise<NatTuple | undefined> {
    const t = await this.store.getNatTuple(flowId);
    return t && toTuple(t);
  }

  /** {@link allocate} inside the caller's transaction (e.g. together with the flow record). */
  async allocateIn(tx: StoreTx, req: NatAllocateRequest): Promise<NatTuple> {
    if (!NAT_PROTOCOLS.includes(req.protocol)) {
      throw new XsiteError('NAT_BAD_PROTOCOL', `no NAT tuples for protocol ${String(req.protocol)}`, { protocol: req.protocol });
    }
    const existing = await tx.getNatTuple(req.flowId);
    if (existing) {
      if (existing.protocol !== req.protocol || existing.srcGateway !== req.srcGateway || existing.dstGateway !== req.dstGateway) {
        throw new XsiteError('NAT_FLOW_CONFLICT', `flow ${req.flowId} already holds a tuple for other gateways or protocol`, {
          flowId: req.flowId,
          held: { protocol: existing.protocol, srcGateway: existing.srcGateway, dstGateway: existing.dstGateway },
          requested: { protocol: req.protocol, srcGateway: req.srcGateway, dstGateway: req.dstGateway },
        });
      }
      return toTuple(existing);
    }
    if (req.srcGateway === req.dstGateway) {
      throw new XsiteError('NAT_SAME_GATEWAY', `a NAT tuple joins two different gateways, got ${req.srcGateway} twice`, {
        gateway: req.srcGateway,
      });
    }
    const src = await this.gateway(tx, req.srcGateway);
    const dst = await this.gateway(tx, req.dstGateway);
    const range = req.protocol === 'icmp' ? ([...ICMP_TUPLE_RANGE] as [number, number]) : natUsableRange(src, dst);
    const candidates: Candidate[] = [];
    if (range) {
      let order = 0;
      for (const srcIp of src.publicIps) {
        for (const dstIp of dst.publicIps) {
          if (srcIp === dstIp) continue;
          const key = natPoolKey(req.protocol, srcIp, dstIp);
          let pool = await tx.getNatPool(key);
          if (pool && (pool.lo !== range[0] || pool.hi !== range[1])) pool = await this.resize(tx, pool, range);
          candidates.push({ key, srcIp, dstIp, pool, inUse: pool?.inUse ?? 0, order: order++ });
        }
      }
      candidates.sort((a, b) => a.inUse - b.inUse || a.order - b.order);
    }
    for (const c of candidates) {
      const port = await this.takeLowest(tx, c, range!, req.protocol);
      if (port === undefined) continue;
      const rec: NatTupleRecord = {
        flowId: req.flowId,
        protocol: req.protocol,
        srcPublicIp: c.srcIp,
        dstPublicIp: c.dstIp,
        port,
        srcGateway: src.name,
        dstGateway: dst.name,
        pool: c.key,
        allocatedAt: this.now(),
      };
      await tx.insertNatTuple(rec);
      return toTuple(rec);
    }
    const rangeSize = range ? range[1] - range[0] + 1 : 0;
    const ipPairs = src.publicIps.reduce((n, s) => n + dst.publicIps.filter((d) => d !== s).length, 0);
    throw new XsiteError(
      'NAT_POOL_EXHAUSTED',
      `no free ${req.protocol} NAT tuple between gateways ${src.name} and ${dst.name} (${rangeSize} ports x ${ipPairs} IP pairs in use)`,
      {
        srcGateway: src.name,
        dstGateway: dst.name,
        protocol: req.protocol,
        rangeSize,
        range: range ?? null,
        ipPairs,
        capacity: rangeSize * ipPairs,
      },
    );
  }

  /** {@link release} inside the caller's transaction. */
  async releaseIn(tx: StoreTx, flowId: string): Promise<NatTuple | undefined> {
    const t = await tx.getNatTuple(flowId);
    if (!t) return undefined;
    await tx.deleteNatTuple(flowId);
    const pool = await tx.getNatPool(t.pool);
    invariant(pool, `NAT tuple of flow ${flowId} names a missing pool ${t.pool}`);
    await tx.putNatPool({ ...pool, inUse: pool.inUse - 1 });
    if (t.port >= pool.lo && t.port <= pool.hi) await this.free(tx, pool.key, t.port);
    return toTuple(t);
  }

  /**
   * Hands the tuple of flow `from` to flow `to` (same IPs, port and pool; nothing is freed or taken), inside the
   * caller's transaction: a tuple reserved ahead under a staging id becomes the flow's own. NAT_NO_TUPLE when `from`
   * holds none, NAT_FLOW_CONFLICT when `to` already holds one.
   */
  async transferIn(tx: StoreTx, from: string, to: string): Promise<NatTuple> {
    const t = await tx.getNatTuple(from);
    if (!t) throw new XsiteError('NAT_NO_TUPLE', `flow ${from} holds no NAT tuple`, { flowId: from });
    if (await tx.getNatTuple(to)) throw new XsiteError('NAT_FLOW_CONFLICT', `flow ${to} already holds a tuple`, { flowId: to });
    await tx.deleteNatTuple(from);
    await tx.insertNatTuple({ ...t, flowId: to });
    return toTuple(t);
  }

  private async gateway(tx: StoreTx, name: string): Promise<GatewayRecord> {
    const g = await tx.getGateway(name);
    if (!g) throw new XsiteError('GATEWAY_NOT_FOUND', `no gateway ${name}`, { gateway: name });
    return g;
  }

  /** Takes the lowest free port of the candidate's pool (creating the pool on first use). */
  private async takeLowest(tx: StoreTx, c: Candidate, range: [number, number], protocol: NatProtocol): Promise<number | undefined> {
    if (!c.pool) {
      const [ipLo, ipHi] = c.srcIp <= c.dstIp ? [c.srcIp, c.dstIp] : [c.dstIp, c.srcIp];
      await tx.putNatPool({ key: c.key, protocol, ipLo, ipHi, lo: range[0], hi: range[1], inUse: 1 });
      if (range[0] < range[1]) await tx.putFreeRange({ pool: c.key, lo: range[0] + 1, hi: range[1] });
      return range[0];
    }
    const first = await tx.freeRangeCeil(c.key, 0);
    if (!first) return undefined;
    await tx.deleteFreeRange(c.key, first.lo);
    if (first.lo < first.hi) await tx.putFreeRange({ pool: c.key, lo: first.lo + 1, hi: first.hi });
    await tx.putNatPool({ ...c.pool, inUse: c.pool.inUse + 1 });
    return first.lo;
  }

  /** Returns `port` to the pool's free runs, merging with its neighbours. */
  private async free(tx: StoreTx, pool: string, port: number): Promise<void> {
    const prev = await tx.freeRangeFloor(pool, port);
    invariant(!prev || prev.hi < port, `NAT port ${port} of pool ${pool} released but already free`);
    const next = await tx.freeRangeCeil(pool, port + 1);
    const joinPrev = prev !== undefined && prev.hi === port - 1;
    const joinNext = next !== undefined && next.lo === port + 1;
    if (joinPrev && joinNext) {
      await tx.deleteFreeRange(pool, next.lo);
      await tx.putFreeRange({ pool, lo: prev.lo, hi: next.hi });
    } else if (joinPrev) {
      await tx.putFreeRange({ pool, lo: prev.lo, hi: port });
    } else if (joinNext) {
      await tx.deleteFreeRange(pool, next.lo);
      await tx.putFreeRange({ pool, lo: port, hi: next.hi });
    } else {
      await tx.putFreeRange({ pool, lo: port, hi: port });
    }
  }

  /**
   * A gateway's range changed since the pool was built: rebuild its free runs over the new range from the tuples in
   * use (O(n), only on such a change). Tuples outside the new range stay in use until released.
   */
  private async resize(tx: StoreTx, pool: NatPoolRecord, range: [number, number]): Promise<NatPoolRecord> {
    const used = await tx.listNatTuples(pool.key);
    await tx.deleteFreeRanges(pool.key);
    let from = range[0];
    for (const t of used) {
      if (t.port < from || t.port > range[1]) continue;
      if (t.port > from) await tx.putFreeRange({ pool: pool.key, lo: from, hi: t.port - 1 });
      from = t.port + 1;
    }
    if (from <= range[1]) await tx.putFreeRange({ pool: pool.key, lo: from, hi: range[1] });
    const resized = { ...pool, lo: range[0], hi: range[1], inUse: used.length };
    await tx.putNatPool(resized);
    return resized;
  }
}
