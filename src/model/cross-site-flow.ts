/**
 * A cross-site flow as the local controllers install it (seed 000 section 4.2): two VMs of one VN in different DCs,
 * the transport protocol and ports, and the NAT tuple central allocated for it. Central sends it in `nat.install`
 * jobs; each local controller derives the flows of its own gateway from it (src/local/managers/gateway-nat.ts).
 *
 * A flow is identified without regard to who sent first: the endpoint with the lower (address, port) is `a` and the
 * tuple's source public IP belongs to `a`'s gateway. Packets a -> b carry the tuple's port as TCP/UDP source port
 * between the gateways, packets b -> a as destination port. ICMP has no port the gateways can rewrite (OpenFlow 1.3
 * cannot set the echo identifier), so an ICMP flow is per VM pair and its tuple's "port" (1..4094) travels as the
 * VLAN id of an 802.1Q tag on the link between the two gateways.
 */
import { ipv4ToNumber } from '../core/addr';
import type { NatProtocol, NatTuple } from './flow';

/** One end of a cross-site flow. */
export interface CrossSiteEndpoint {
  vm: string;
  ip: string;
  mac: string;
  dc: string;
  /** TCP/UDP port (absent for ICMP). */
  port?: number;
}

/** A cross-site flow with its tuple. */
export interface CrossSiteFlow {
  id: string;
  protocol: NatProtocol;
  tenant: string;
  vn: string;
  a: CrossSiteEndpoint;
  b: CrossSiteEndpoint;
  /** `srcPublicIp` is a public IP of `a`'s gateway, `dstPublicIp` one of `b`'s. */
  tuple: NatTuple;
  /**
   * Which set-up of the flow this is (central's install generation). A local reports it with `flow.idle`, so central
   * can tell an idle report about NAT flows of an earlier set-up from one about the current flows.
   */
  gen?: string;
}

/** An endpoint before ordering: address and port as seen in a packet. */
export interface FlowEndpointRef {
  ip: string;
  port?: number;
}

function compare(x: FlowEndpointRef, y: FlowEndpointRef): number {
  const d = ipv4ToNumber(x.ip) - ipv4ToNumber(y.ip);
  return d !== 0 ? d : (x.port ?? 0) - (y.port ?? 0);
}

/** Orders a packet's source and destination into (a, b) and says whether the source is `a`. */
export function orderEndpoints<T extends FlowEndpointRef>(src: T, dst: T): { a: T; b: T; srcIsA: boolean } {
  return compare(src, dst) <= 0 ? { a: src, b: dst, srcIsA: true } : { a: dst, b: src, srcIsA: false };
}

/** The id of the flow between `x` and `y` (either order) of VN `tenant/vn`. */
export function crossSiteFlowId(protocol: NatProtocol, tenant: string, vn: string, x: FlowEndpointRef, y: FlowEndpointRef): string {
  const { a, b } = orderEndpoints(x, y);
  const end = (e: FlowEndpointRef) => (protocol === 'icmp' || e.port === undefined ? e.ip : `${e.ip}:${e.port}`);
  return `${protocol}|${tenant}/${vn}|${end(a)}|${end(b)}`;
}

/** The tuple port range of ICMP flows: it travels as a VLAN id. */
export const ICMP_TUPLE_RANGE: readonly [number, number] = [1, 4094];

/** Checks the shape of a {@link CrossSiteFlow} received over the channel. */
export function isCrossSiteFlow(x: unknown): x is CrossSiteFlow {
  const f = x as Partial<CrossSiteFlow> | null;
  const end = (e: unknown) => {
    const p = e as Partial<CrossSiteEndpoint> | null;
    return !!p && typeof p.vm === 'string' && typeof p.ip === 'string' && typeof p.mac === 'string' && typeof p.dc === 'string' && (p.port === undefined || Number.isInteger(p.port));
  };
  return (
    !!f &&
    typeof f.id === 'string' &&
    (f.protocol === 'tcp' || f.protocol === 'udp' || f.protocol === 'icmp') &&
    typeof f.tenant === 'string' &&
    typeof f.vn === 'string' &&
    end(f.a) &&
    end(f.b) &&
    !!f.tuple &&
    typeof f.tuple.srcPublicIp === 'string' &&
    typeof f.tuple.dstPublicIp === 'string' &&
    Number.isInteger(f.tuple.port) &&
    (f.gen === undefined || typeof f.gen === 'string')
  );
}
