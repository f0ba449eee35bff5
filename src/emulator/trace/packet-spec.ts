/**
 * A test packet from a flow-like description, as `ovs-appctl ofproto/trace` takes one: "tcp,nw_dst=10.0.0.2,tp_dst=80".
 * Fields not given come from `defaults` (the sending host's MAC and IP, the destination's MAC).
 */
import { XsiteError } from '../../core/errors';
import { buildPacket, type PacketSpec } from '../../codec/packet';
import type { OxmValue } from '../../codec/openflow/types';
import { parseFlow } from '../../openflow/flow-syntax';

export interface PacketDefaults {
  ethSrc: string;
  ethDst: string;
  ipv4Src: string;
}

/** The match fields of a spec, by name (masks refused: a packet has exact values). */
export function specFields(spec: string): Map<string, OxmValue> {
  const fm = parseFlow(`${spec},actions=drop`);
  const fields = new Map<string, OxmValue>();
  for (const f of fm.match) {
    if (f.field === 'raw') continue;
    if (f.mask !== undefined) throw new XsiteError('PACKET_SPEC_MASKED', `packet field ${f.field} has a mask; a packet needs exact values`);
    fields.set(f.field, f.value);
  }
  return fields;
}

/** Builds the frame described by `spec` (IPv4 TCP/UDP/ICMP, ARP, or plain Ethernet; optional VLAN). */
export function packetFromSpec(spec: string, d: PacketDefaults, resolveMac?: (ip: string) => string | undefined): Buffer {
  const f = specFields(spec);
  const str = (k: string, dflt: string): string => (f.has(k) ? String(f.get(k)) : dflt);
  const num = (k: string, dflt: number): number => (f.has(k) ? Number(f.get(k)) : dflt);
  const ethType = num('eth_type', 0x0800);
  const ipDst = str('ipv4_dst', str('arp_tpa', d.ipv4Src));
  const eth = { src: str('eth_src', d.ethSrc), dst: str('eth_dst', resolveMac?.(ipDst) ?? d.ethDst) };
  const vid = f.has('vlan_vid') ? num('vlan_vid', 0) & 0xfff : undefined;
  const base: PacketSpec = { eth, ...(vid !== undefined ? { vlans: [{ vid, pcp: num('vlan_pcp', 0) }] } : {}) } as PacketSpec;
  if (ethType === 0x0806) {
    return buildPacket({
      ...base,
      arp: { op: num('arp_op', 1), senderMac: str('arp_sha', eth.src), senderIp: str('arp_spa', d.ipv4Src), targetMac: str('arp_tha', '00:00:00:00:00:00'), targetIp: ipDst },
    } as PacketSpec);
  }
  if (ethType !== 0x0800) throw new XsiteError('PACKET_SPEC_UNSUPPORTED', `packet specs support IPv4 and ARP (eth_type 0x${ethType.toString(16)} given)`);
  const proto = num('ip_proto', 17);
  const ipv4 = { src: str('ipv4_src', d.ipv4Src), dst: ipDst, dscp: num('ip_dscp', 0), ecn: num('ip_ecn', 0) };
  const l4 =
    proto === 6
      ? { tcp: { srcPort: num('tcp_src', 40000), dstPort: num('tcp_dst', 80), flags: 0x02 } }
      : proto === 17
        ? { udp: { srcPort: num('udp_src', 40000), dstPort: num('udp_dst', 53) } }
        : proto === 1
          ? { icmp: { type: num('icmpv4_type', 8), code: num('icmpv4_code', 0), id: 1, seq: 1 } }
          : {};
  return buildPacket({ ...base, ipv4: { ...ipv4, ...(proto !== 6 && proto !== 17 && proto !== 1 ? { protocol: proto } : {}) }, ...l4 } as PacketSpec);
}
