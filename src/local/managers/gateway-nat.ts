/**
 * Table `gateway-nat` on a DC's gateway switch (seed 000 sections 4.2-4.3): the NAT flows of the cross-site flows
 * central set up ({@link DcModel.crossSite}), and the first-packet rule that sends a frame of a VN with no NAT flow
 * yet to the local controller.
 *
 * For a flow between `a` and `b` (see src/model/cross-site-flow.ts), with L the end in this DC and R the other:
 * - outbound (L -> R, arriving from inside with the VN in the metadata): match VN, protocol, L and R addresses and
 *   ports; rewrite the MACs to this gateway's and the remote gateway's, the addresses to the tuple's public IPs, the
 *   port to the tuple's (a's source port when L is a, b's destination port when L is b), output on the WAN link
 *   to R's gateway. ICMP: no port rewrite, the tuple's port goes out as the VLAN id of a pushed 802.1Q tag.
 * - inbound (R -> L, arriving on that WAN port): match the public IPs and the tuple port (ICMP: the VLAN id, popped);
 *   restore R's and L's MACs, addresses and ports and deliver towards L inside the DC (the DC's VN encapsulation).
 *
 * Flows are installed with an idle timeout and SEND_FLOW_REM so the local controller hears when a flow went idle
 * (and RESET_COUNTS, so that installing them again restarts the timeout);
 * their cookie is {@link natCookie} of the flow id. Everything else in the table is dropped (table-miss).
 */
import { OFPCML_NO_BUFFER, OFPFF, OFPP, OFPVID_PRESENT } from '../../codec/openflow/constants';
import type { Action, Match, OxmTlv } from '../../codec/openflow/types';
import { ETHERTYPE, IPPROTO } from '../../codec/packet/constants';
import type { Packet } from '../../codec/packet';
import type { CrossSiteEndpoint, CrossSiteFlow } from '../../model/cross-site-flow';
import { XSITE_MANAGERS } from '../../pipeline/cookie';
import { FlowBuilder, type FlowSpec } from '../../pipeline/flow-builder';
import { XSITE_PLAN } from '../../pipeline/table-plan';
import type { DcModel, DcVn } from '../dc-model';
import type { LocalManager } from './manager';
import { toInnerPort, toVmPort, vnMetadata } from './vn-encap';

const ID = XSITE_MANAGERS.idOf('gateway-nat');
const fb = new FlowBuilder(XSITE_PLAN, ID);

/** Default idle timeout of NAT flows, seconds. */
export const DEFAULT_NAT_IDLE_TIMEOUT_S = 30;

/** Bit 47 marks a NAT flow's cookie (the VN first-packet rules use the VN id, below 2^24). */
const NAT_COOKIE_BIT = 1n << 47n;

/** The low 48 cookie bits of the NAT flows of flow `id` (a 47-bit FNV-1a hash of the id, bit 47 set). */
export function natCookie(id: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of Buffer.from(id, 'utf8')) {
    h ^= BigInt(c);
    h = (h * 0x100000001b3n) & 0xffff_ffff_ffff_ffffn;
  }
  return (h & (NAT_COOKIE_BIT - 1n)) | NAT_COOKIE_BIT;
}

/** Whether the low cookie bits `local` are a NAT flow's (else a VN first-packet rule's: the VN id). */
export function isNatCookie(local: bigint): boolean {
  return (local & NAT_COOKIE_BIT) !== 0n;
}

/** Low cookie bits of the rules that send WAN packets without a NAT flow to the controller. */
export const WAN_MISS_COOKIE = 1n << 46n;

/**
 * Whether `pkt`, received on `inPort`, is what the inbound NAT flow of `plan` matches (the controller's copy of the
 * switch's match, for packets a datapath cache still handled the old way, see gatewayNatFlows).
 */
export function matchesInbound(plan: NatPlan, inPort: number, pkt: Packet): boolean {
  if (inPort !== plan.wanPort || pkt.ipv4 === undefined) return false;
  for (const tlv of plan.inbound.match) {
    if (tlv.field === 'raw') return false;
    const v = tlv.value as number | string | bigint;
    switch (tlv.field) {
      case 'in_port':
      case 'eth_type':
        break;
      case 'ip_proto':
        if (pkt.ipv4.protocol !== v) return false;
        break;
      case 'ipv4_src':
        if (pkt.ipv4.src !== v) return false;
        break;
      case 'ipv4_dst':
        if (pkt.ipv4.dst !== v) return false;
        break;
      case 'tcp_src':
        if (pkt.tcp?.srcPort !== v) return false;
        break;
      case 'tcp_dst':
        if (pkt.tcp?.dstPort !== v) return false;
        break;
      case 'udp_src':
        if (pkt.udp?.srcPort !== v) return false;
        break;
      case 'udp_dst':
        if (pkt.udp?.dstPort !== v) return false;
        break;
      case 'vlan_vid':
        if (pkt.vlans[0] === undefined || (OFPVID_PRESENT | pkt.vlans[0].vid) !== v) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Options of the gateway-nat manager. */
export interface GatewayNatOptions {
  /** Idle timeout of NAT flows in seconds (default {@link DEFAULT_NAT_IDLE_TIMEOUT_S}). */
  idleTimeoutS?: number;
}

const PROTO = { tcp: IPPROTO.TCP, udp: IPPROTO.UDP, icmp: IPPROTO.ICMP } as const;

function portFields(protocol: CrossSiteFlow['protocol']): { src: 'tcp_src' | 'udp_src'; dst: 'tcp_dst' | 'udp_dst' } | undefined {
  if (protocol === 'tcp') return { src: 'tcp_src', dst: 'tcp_dst' };
  if (protocol === 'udp') return { src: 'udp_src', dst: 'udp_dst' };
  return undefined;
}

const setField = (tlv: OxmTlv): Action => ({ type: 'set_field', field: tlv });

/** What the gateway of this DC does with one cross-site flow. */
export interface NatPlan {
  flow: CrossSiteFlow;
  /** The end in this DC and the other one. */
  local: CrossSiteEndpoint;
  remote: CrossSiteEndpoint;
  vn: DcVn;
  wanPort: number;
  outbound: { match: Match; apply: Action[] };
  inbound: { match: Match; apply: Action[] };
}

/**
 * The NAT plan of `flow` on this DC's gateway, or undefined when the flow has no end in this DC or the DC has no
 * gateway / WAN link to the other end's gateway (then nothing can be installed; reported by the caller).
 */
export function natPlan(model: DcModel, flow: CrossSiteFlow): NatPlan | undefined {
  const localIsA = flow.a.dc === model.dc;
  if (!localIsA && flow.b.dc !== model.dc) return undefined;
  const local = localIsA ? flow.a : flow.b;
  const remote = localIsA ? flow.b : flow.a;
  const gwL = model.gatewayOfDc(model.dc);
  const gwR = model.gatewayOfDc(remote.dc);
  const vn = model.vns.get(`${flow.tenant}/${flow.vn}`);
  if (gwL === undefined || gwR === undefined || vn === undefined || !model.switches.has(gwL.switch)) return undefined;
  const wanPort = model.wanPortTo(gwL.switch, gwR.switch);
  if (wanPort === undefined) return undefined;
  // The local end: a VM of this DC, or one arriving here (a staged flow, see gatewayNatFlows).
  const vmL = model.localVms().find((v) => v.name === local.vm) ?? model.incoming.find((v) => v.name === local.vm && v.switch !== undefined && v.port !== undefined);
  if (vmL === undefined) return undefined;
  const ipL = localIsA ? flow.tuple.srcPublicIp : flow.tuple.dstPublicIp;
  const ipR = localIsA ? flow.tuple.dstPublicIp : flow.tuple.srcPublicIp;
  const k = flow.tuple.port;
  const ports = portFields(flow.protocol);
  const ip: OxmTlv[] = [
    { field: 'eth_type', value: ETHERTYPE.IPV4 },
    { field: 'ip_proto', value: PROTO[flow.protocol] },
  ];

  // Outbound: L -> R.
  const outMatch: Match = [vnMetadata(vn.id), ...ip, { field: 'ipv4_src', value: local.ip }, { field: 'ipv4_dst', value: remote.ip }];
  if (ports) outMatch.push({ field: ports.src, value: local.port! }, { field: ports.dst, value: remote.port! });
  const outApply: Action[] = [
    setField({ field: 'eth_src', value: gwL.mac }),
    setField({ field: 'eth_dst', value: gwR.mac }),
    setField({ field: 'ipv4_src', value: ipL }),
    setField({ field: 'ipv4_dst', value: ipR }),
  ];
  if (ports) outApply.push(setField({ field: localIsA ? ports.src : ports.dst, value: k }));
  else outApply.push({ type: 'push_vlan', ethertype: ETHERTYPE.VLAN }, setField({ field: 'vlan_vid', value: OFPVID_PRESENT | k }));
  outApply.push({ type: 'output', port: wanPort, maxLen: 0 });

  // Inbound: R -> L, from the WAN port.
  const inMatch: Match = [{ field: 'in_port', value: wanPort }, ...ip, { field: 'ipv4_src', value: ipR }, { field: 'ipv4_dst', value: ipL }];
  const inApply: Action[] = [];
  if (ports) {
    // Between the gateways a -> b carries (k, b.port), b -> a carries (b.port, k).
    if (localIsA) inMatch.push({ field: ports.src, value: remote.port! }, { field: ports.dst, value: k });
    else inMatch.push({ field: ports.src, value: k }, { field: ports.dst, value: local.port! });
  } else {
    inMatch.push({ field: 'vlan_vid', value: OFPVID_PRESENT | k });
    inApply.push({ type: 'pop_vlan' });
  }
  inApply.push(
    setField({ field: 'eth_src', value: remote.mac }),
    setField({ field: 'eth_dst', value: local.mac }),
    setField({ field: 'ipv4_src', value: remote.ip }),
    setField({ field: 'ipv4_dst', value: local.ip }),
  );
  // The tuple port stands for a's port in both directions: a -> b restores the source port, b -> a the destination.
  if (ports) inApply.push(localIsA ? setField({ field: ports.dst, value: local.port! }) : setField({ field: ports.src, value: remote.port! }));
  if (vmL.switch === gwL.switch) inApply.push(...toVmPort(vmL.port!));
  else {
    const next = model.nextHop(gwL.switch, vmL.switch!);
    if (next === undefined) return undefined;
    inApply.push(...toInnerPort(model, vn, next));
  }
  return { flow, local, remote, vn, wanPort, outbound: { match: outMatch, apply: outApply }, inbound: { match: inMatch, apply: inApply } };
}

/** The gateway switch of this DC (the one central allocates tuples for), if it is one of the model's switches. */
export function gatewaySwitchOf(model: DcModel): string | undefined {
  const gw = model.gatewayOfDc(model.dc);
  return gw !== undefined && model.switches.has(gw.switch) ? gw.switch : undefined;
}

/** Flows of table gateway-nat on `switchName`. */
export function gatewayNatFlows(model: DcModel, switchName: string, opts: GatewayNatOptions = {}): FlowSpec[] {
  model.switch(switchName);
  const flows: FlowSpec[] = [fb.flow({ table: 'gateway-nat', band: 'miss' })];
  if (gatewaySwitchOf(model) !== switchName) return flows;
  const idleTimeout = opts.idleTimeoutS ?? DEFAULT_NAT_IDLE_TIMEOUT_S;
  // First packet of a flow with no NAT flow yet: to the controller (one rule per VN present here).
  const vns = new Map(model.localVms().map((v) => [model.vnOf(v).id, model.vnOf(v)]));
  for (const vn of vns.values()) {
    flows.push(
      fb.flow({
        table: 'gateway-nat',
        band: 'default',
        match: [vnMetadata(vn.id), { field: 'eth_type', value: ETHERTYPE.IPV4 }],
        apply: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }],
        cookie: BigInt(vn.id),
      }),
    );
  }
  // Packets from other DCs' gateways with no NAT flow: to the controller, which sends them on when they belong to a
  // flow it has just installed. After a flow table change a datapath flow cache (OVS's megaflows, revalidated
  // asynchronously after the barrier) can still handle a packet the old way for a moment; this turns that moment's
  // "no NAT flow" into a detour through the controller instead of a drop.
  for (const port of model.wanPorts(switchName)) {
    flows.push(
      fb.flow({
        table: 'gateway-nat',
        band: 'default',
        match: [{ field: 'in_port', value: port }],
        apply: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }],
        cookie: WAN_MISS_COOKIE,
      }),
    );
  }
  for (const f of model.crossSite) {
    const plan = natPlan(model, f);
    if (plan === undefined) continue;
    // RESET_COUNTS: an ADD that replaces the flow (a new set-up of the same flow) restarts its idle timeout; without
    // it OVS carries the old flow's last-used time over and the flow may expire under the packets just released.
    const common = { table: 'gateway-nat', band: 'specific', cookie: natCookie(f.id), idleTimeout, flags: OFPFF.SEND_FLOW_REM | OFPFF.RESET_COUNTS } as const;
    flows.push(fb.flow({ ...common, match: plan.outbound.match, apply: plan.outbound.apply }));
    flows.push(fb.flow({ ...common, match: plan.inbound.match, apply: plan.inbound.apply }));
  }
  // Flows as a migration will set them up (DcModel.staged), ahead of its pause. The inbound flow matches the new
  // tuple, which no packet carries yet; the outbound flow, where the local end is the VM arriving here, matches its
  // address leaving this DC, which no packet does yet either. So both go in without touching live traffic, and the
  // switchover only flips what live traffic uses (a peer's outbound flow, whose match is the one it has now).
  const local = new Set(model.localVms().map((v) => v.name));
  for (const f of model.staged) {
    if (model.crossSite.some((c) => c.id === f.id && sameTuple(c, f))) continue;
    const plan = natPlan(model, f);
    if (plan === undefined) continue;
    const common = { table: 'gateway-nat', band: 'specific', cookie: natCookie(f.id), idleTimeout, flags: OFPFF.SEND_FLOW_REM | OFPFF.RESET_COUNTS } as const;
    if (!local.has(plan.local.vm)) flows.push(fb.flow({ ...common, match: plan.outbound.match, apply: plan.outbound.apply }));
    flows.push(fb.flow({ ...common, match: plan.inbound.match, apply: plan.inbound.apply }));
  }
  return flows;
}

function sameTuple(x: CrossSiteFlow, y: CrossSiteFlow): boolean {
  return x.tuple.port === y.tuple.port && x.tuple.srcPublicIp === y.tuple.srcPublicIp && x.tuple.dstPublicIp === y.tuple.dstPublicIp && x.tuple.protocol === y.tuple.protocol;
}

/** The gateway-nat manager. */
export function gatewayNatManager(opts: GatewayNatOptions = {}): LocalManager {
  return { name: 'gateway-nat', id: ID, flows: (m, s) => gatewayNatFlows(m, s, opts) };
}
