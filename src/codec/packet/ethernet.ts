/** Ethernet II header and 802.1Q / 802.1ad VLAN tags (single and stacked). */
import { macFromBytes, writeMac } from '../../core/addr';
import { type Cursor, u16, put16 } from './bytes';
import { ETHERTYPE, HEADER_LEN } from './constants';
import { MAX_VLAN_TAGS, PacketBuildError, packetDecodeError } from './errors';
import type { EthernetHeader, VlanTag } from './types';

/** True for the tag protocol identifiers treated as VLAN tags (0x8100, 0x88a8, 0x9100). */
export function isVlanTpid(etherType: number): boolean {
  return etherType === ETHERTYPE.VLAN || etherType === ETHERTYPE.QINQ || etherType === ETHERTYPE.QINQ_LEGACY;
}

/** Shared empty tag list for untagged frames (frozen: decoding allocates nothing for it). */
export const NO_VLANS: readonly VlanTag[] = Object.freeze([]);

/**
 * Decodes the Ethernet header at `cur.pos` (normally 0) and advances past it. `etherType` is the type field as read;
 * {@link decodeVlanTags} replaces it with the inner type when the frame is tagged.
 */
export function decodeEthernet(buf: Buffer, cur: Cursor): EthernetHeader {
  const o = cur.pos;
  if (cur.end - o < HEADER_LEN.ETHERNET) {
    throw packetDecodeError('PKT_TRUNCATED', 'ethernet', o, `need ${HEADER_LEN.ETHERNET} bytes, have ${cur.end - o}`);
  }
  cur.pos = o + HEADER_LEN.ETHERNET;
  return { dst: macFromBytes(buf, o), src: macFromBytes(buf, o + 6), etherType: u16(buf, o + 12) };
}

/**
 * Decodes the VLAN tags that follow an Ethernet header whose `etherType` is a VLAN TPID, advancing `cur` and setting
 * `eth.etherType` to the inner ethertype. Returns the tags outermost first.
 */
export function decodeVlanTags(buf: Buffer, cur: Cursor, eth: EthernetHeader): VlanTag[] {
  const tags: VlanTag[] = [];
  let tpid = eth.etherType;
  while (isVlanTpid(tpid)) {
    const o = cur.pos;
    if (tags.length >= MAX_VLAN_TAGS) {
      throw packetDecodeError('PKT_TOO_MANY_VLANS', 'vlan', o, `more than ${MAX_VLAN_TAGS} VLAN tags`);
    }
    if (cur.end - o < HEADER_LEN.VLAN) {
      throw packetDecodeError('PKT_TRUNCATED', 'vlan', o, `need ${HEADER_LEN.VLAN} bytes, have ${cur.end - o}`);
    }
    const tci = u16(buf, o);
    tags.push({ tpid, pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff });
    tpid = u16(buf, o + 2);
    cur.pos = o + HEADER_LEN.VLAN;
  }
  eth.etherType = tpid;
  return tags;
}

/** What {@link encodeEthernet} needs: addresses, inner ethertype and optional tags (outermost first). */
export interface EthernetSpec {
  src: string;
  dst: string;
  /** Inner ethertype; optional in `buildPacket` when implied by the L3 layer. */
  etherType?: number;
}

/** VLAN tag to encode: `tpid` defaults to 0x8100, `pcp` to 0, `dei` to false. */
export interface VlanSpec {
  vid: number;
  pcp?: number;
  dei?: boolean;
  tpid?: number;
}

/** Encoded length of an Ethernet header with `tagCount` VLAN tags. */
export function ethernetHeaderLength(tagCount: number): number {
  return HEADER_LEN.ETHERNET + HEADER_LEN.VLAN * tagCount;
}

/** Writes the Ethernet header and VLAN tags at `off`; returns the offset after them. */
export function encodeEthernet(buf: Buffer, off: number, eth: EthernetSpec, etherType: number, vlans: readonly VlanSpec[]): number {
  writeMac(eth.dst, buf, off);
  writeMac(eth.src, buf, off + 6);
  let o = off + 12;
  for (const tag of vlans) {
    const tpid = tag.tpid ?? ETHERTYPE.VLAN;
    const pcp = tag.pcp ?? 0;
    if (!Number.isInteger(tag.vid) || tag.vid < 0 || tag.vid > 4095) throw new PacketBuildError(`VLAN vid ${tag.vid} outside 0-4095`);
    if (!Number.isInteger(pcp) || pcp < 0 || pcp > 7) throw new PacketBuildError(`VLAN pcp ${pcp} outside 0-7`);
    put16(buf, o, tpid);
    put16(buf, o + 2, (pcp << 13) | (tag.dei ? 0x1000 : 0) | tag.vid);
    o += 4;
  }
  put16(buf, o, etherType);
  return o + 2;
}
