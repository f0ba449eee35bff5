/** ARP and RARP for Ethernet hardware and IPv4 protocol addresses (RFC 826, RFC 903). */
import { ipv4FromBytes, macFromBytes, writeIpv4, writeMac } from '../../core/addr';
import { type Cursor, u16, put16 } from './bytes';
import { ETHERTYPE, HEADER_LEN } from './constants';
import { PacketBuildError, packetDecodeError } from './errors';
import type { ArpPacket } from './types';

const HTYPE_ETHERNET = 1;

/**
 * Decodes an ARP/RARP packet at `cur.pos`, advancing past its 28 bytes. Returns undefined (cursor unchanged) when
 * the hardware/protocol types or address lengths are not Ethernet/IPv4: such packets are left undecoded.
 */
export function decodeArp(buf: Buffer, cur: Cursor): ArpPacket | undefined {
  const o = cur.pos;
  if (cur.end - o < 8) throw packetDecodeError('PKT_TRUNCATED', 'arp', o, `need 8 bytes, have ${cur.end - o}`);
  if (u16(buf, o) !== HTYPE_ETHERNET || u16(buf, o + 2) !== ETHERTYPE.IPV4 || buf[o + 4] !== 6 || buf[o + 5] !== 4) {
    return undefined;
  }
  if (cur.end - o < HEADER_LEN.ARP) {
    throw packetDecodeError('PKT_TRUNCATED', 'arp', o, `need ${HEADER_LEN.ARP} bytes, have ${cur.end - o}`);
  }
  cur.pos = o + HEADER_LEN.ARP;
  return {
    op: u16(buf, o + 6),
    senderMac: macFromBytes(buf, o + 8),
    senderIp: ipv4FromBytes(buf, o + 14),
    targetMac: macFromBytes(buf, o + 18),
    targetIp: ipv4FromBytes(buf, o + 24),
  };
}

/** Fields of an ARP/RARP packet to encode. */
export interface ArpSpec {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/** Writes a 28-byte Ethernet/IPv4 ARP packet at `off`; returns the offset after it. */
export function encodeArp(buf: Buffer, off: number, arp: ArpSpec): number {
  if (!Number.isInteger(arp.op) || arp.op < 0 || arp.op > 0xffff) throw new PacketBuildError(`ARP op ${arp.op} invalid`);
  put16(buf, off, HTYPE_ETHERNET);
  put16(buf, off + 2, ETHERTYPE.IPV4);
  buf[off + 4] = 6;
  buf[off + 5] = 4;
  put16(buf, off + 6, arp.op);
  writeMac(arp.senderMac, buf, off + 8);
  writeIpv4(arp.senderIp, buf, off + 14);
  writeMac(arp.targetMac, buf, off + 18);
  writeIpv4(arp.targetIp, buf, off + 24);
  return off + HEADER_LEN.ARP;
}
