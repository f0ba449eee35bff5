/**
 * Table `arp` (seed 000 section 4.4): every ARP frame from a registered VM's port goes to the local controller
 * (output CONTROLLER), none is flooded anywhere; everything else continues in `l2`. {@link answerArp} is the
 * controller's answer, from the directory: a VM of the same VN (in any DC) -> its MAC; the VN's default gateway ->
 * {@link XSITE_GATEWAY_MAC}, the same in every DC (seed 003); anything else -> no answer. Two tenants may use the
 * same addresses, so an answer never crosses VNs.
 */
import { OFPCML_NO_BUFFER, OFPP } from '../../codec/openflow/constants';
import { ARP_OP, ETHERTYPE, type Packet, arpReply, tryParsePacket } from '../../codec/packet';
import { XSITE_MANAGERS } from '../../pipeline/cookie';
import { FlowBuilder, type FlowSpec } from '../../pipeline/flow-builder';
import { XSITE_PLAN } from '../../pipeline/table-plan';
import type { DcModel, DcVn } from '../dc-model';
import type { LocalManager } from './manager';

const ID = XSITE_MANAGERS.idOf('arp');
const fb = new FlowBuilder(XSITE_PLAN, ID);

/**
 * The MAC of the default gateway, answered in every DC for every VN (seed 003: a VM that moved keeps resolving its
 * gateway to the same MAC). Locally administered; outside the ranges the topology derives MACs from (02:00-03:...).
 */
export const XSITE_GATEWAY_MAC = '02:58:53:47:57:01';

/** Flows of table arp on `switchName`. */
export function arpFlows(model: DcModel, switchName: string): FlowSpec[] {
  model.switch(switchName);
  const flows: FlowSpec[] = [fb.flow({ table: 'arp', band: 'miss', goto: 'l2' })];
  for (const vm of model.localVms().filter((v) => v.switch === switchName)) {
    flows.push(
      fb.flow({
        table: 'arp',
        band: 'specific',
        match: [
          { field: 'in_port', value: vm.port! },
          { field: 'eth_type', value: ETHERTYPE.ARP },
        ],
        apply: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }],
        cookie: BigInt(model.vnOf(vm).id),
      }),
    );
  }
  return flows;
}

/** The arp manager. */
export const arpManager: LocalManager = { name: 'arp', id: ID, flows: arpFlows };

/** What {@link answerArp} needs of the directory ({@link DcModel} is one). */
export interface ArpDirectoryView {
  /** The VN with this id. */
  vnById(id: number): DcVn | undefined;
  /** Every VM of the VN, in any DC. */
  vmsOfVn(vnId: number): readonly { ip: string; mac: string }[];
  /** The VN's default gateway address for a VM with address `vmIp`. */
  gatewayOf(vn: DcVn, vmIp: string): string | undefined;
}

/** Why {@link explainArp} answers or not. */
export type ArpDecision =
  | { answer: 'vm'; mac: string; frame: Buffer }
  | { answer: 'gateway'; mac: string; frame: Buffer }
  | { answer: 'none'; reason: 'not-arp-request' | 'unknown-vn' | 'announcement' | 'self' | 'unknown-target' };

/** Like {@link answerArp}, with the reason. */
export function explainArp(view: ArpDirectoryView, vnId: number, request: Buffer | Packet, gatewayMac = XSITE_GATEWAY_MAC): ArpDecision {
  let pkt: Packet;
  if (Buffer.isBuffer(request)) {
    const r = tryParsePacket(request);
    if (!r.ok) return { answer: 'none', reason: 'not-arp-request' };
    pkt = r.packet;
  } else pkt = request;
  const arp = pkt.arp;
  if (arp === undefined || pkt.eth.etherType !== ETHERTYPE.ARP || arp.op !== ARP_OP.REQUEST) return { answer: 'none', reason: 'not-arp-request' };
  const vn = view.vnById(vnId);
  if (vn === undefined) return { answer: 'none', reason: 'unknown-vn' };
  // Gratuitous ARP (sender = target): an announcement, nothing to answer.
  if (arp.senderIp === arp.targetIp) return { answer: 'none', reason: 'announcement' };
  const reply = (mac: string): Buffer =>
    arpReply({
      srcMac: mac,
      srcIp: arp.targetIp,
      dstMac: arp.senderMac,
      // An ARP probe (sender 0.0.0.0, RFC 5227) gets the reply a host would send: to its MAC, target IP 0.0.0.0.
      dstIp: arp.senderIp,
    });
  const vm = view.vmsOfVn(vnId).find((v) => v.ip === arp.targetIp);
  if (vm !== undefined) {
    if (vm.mac === arp.senderMac) return { answer: 'none', reason: 'self' };
    return { answer: 'vm', mac: vm.mac, frame: reply(vm.mac) };
  }
  if (arp.senderIp !== '0.0.0.0' && view.gatewayOf(vn, arp.senderIp) === arp.targetIp) {
    return { answer: 'gateway', mac: gatewayMac, frame: reply(gatewayMac) };
  }
  return { answer: 'none', reason: 'unknown-target' };
}

/**
 * The ARP reply the local controller sends for `request` (a frame or a parsed packet) received from a VM of VN
 * `vnId`, or undefined when it must not answer (see {@link explainArp} for the reasons).
 */
export function answerArp(view: ArpDirectoryView, vnId: number, request: Buffer | Packet, gatewayMac = XSITE_GATEWAY_MAC): Buffer | undefined {
  const d = explainArp(view, vnId, request, gatewayMac);
  return d.answer === 'none' ? undefined : d.frame;
}
