/** Checksum verification of a decoded packet: reported, never thrown. */
import { u16 } from './bytes';
import { internetChecksum, ipv4PseudoHeaderSum, ipv6PseudoHeaderSum } from './checksum';
import { IPPROTO } from './constants';
import type { ChecksumReport, ChecksumStatus, Packet } from './types';

function status(ok: boolean): ChecksumStatus {
  return ok ? 'ok' : 'bad';
}

/**
 * Verifies the checksums of a packet returned by `parsePacket` against its frame: the IPv4 header checksum and the
 * TCP, UDP, ICMP or ICMPv6 checksum (over the pseudo-header where the protocol has one). Fragmented datagrams get
 * `skipped` for their L4 checksum; UDP over IPv4 with checksum 0 gets `none` (over IPv6 a 0 is `bad`).
 */
export function verifyChecksums(pkt: Packet): ChecksumReport {
  const buf = pkt.frame;
  const report: ChecksumReport = { valid: true };
  let l4End = -1;
  let pseudo = 0;
  let fragmented = false;
  if (pkt.ipv4 !== undefined) {
    const ip = pkt.ipv4;
    const o = pkt.l3Offset;
    report.ipv4 = status(internetChecksum(buf, o, o + ip.headerLength) === 0);
    l4End = o + ip.totalLength;
    fragmented = ip.fragment !== undefined;
    if (pkt.l4Offset >= 0) pseudo = ipv4PseudoHeaderSum(buf, o + 12, o + 16, ip.protocol, l4End - pkt.l4Offset);
  } else if (pkt.ipv6 !== undefined) {
    const ip = pkt.ipv6;
    const o = pkt.l3Offset;
    l4End = o + 40 + ip.payloadLength;
    fragmented = ip.fragment !== undefined;
    if (pkt.l4Offset >= 0) pseudo = ipv6PseudoHeaderSum(buf, o + 8, o + 24, ip.protocol, l4End - pkt.l4Offset);
  }
  const l4 = pkt.l4Offset;
  if (l4 >= 0) {
    const withPseudo = (): ChecksumStatus =>
      fragmented ? 'skipped' : status(internetChecksum(buf, l4, l4End, pseudo) === 0);
    if (pkt.tcp !== undefined) report.tcp = withPseudo();
    else if (pkt.udp !== undefined) {
      if (pkt.ipv4 !== undefined && u16(buf, l4 + 6) === 0) report.udp = 'none';
      else if (pkt.ipv6 !== undefined && u16(buf, l4 + 6) === 0) report.udp = 'bad';
      else if (fragmented) report.udp = 'skipped';
      else {
        // The UDP checksum covers the UDP length, which may be shorter than the IP payload.
        const end = l4 + pkt.udp.length;
        const ps = pkt.ipv4 !== undefined
          ? ipv4PseudoHeaderSum(buf, pkt.l3Offset + 12, pkt.l3Offset + 16, IPPROTO.UDP, pkt.udp.length)
          : ipv6PseudoHeaderSum(buf, pkt.l3Offset + 8, pkt.l3Offset + 24, IPPROTO.UDP, pkt.udp.length);
        report.udp = status(internetChecksum(buf, l4, end, ps) === 0);
      }
    } else if (pkt.icmp !== undefined) {
      report.icmp = fragmented ? 'skipped' : status(internetChecksum(buf, l4, l4End) === 0);
    } else if (pkt.icmpv6 !== undefined) report.icmpv6 = withPseudo();
  }
  report.valid = report.ipv4 !== 'bad' && report.tcp !== 'bad' && report.udp !== 'bad' && report.icmp !== 'bad' && report.icmpv6 !== 'bad';
  return report;
}
