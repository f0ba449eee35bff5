import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_IPV6_EXT_HEADERS,
  MAX_VLAN_TAGS,
  PacketDecodeError,
  buildPacket,
  isPacketDecodeError,
  parsePacket,
  tryParsePacket,
  type PacketDecodeCode,
  type PacketLayer,
} from '../../../../src/codec/packet';
import { XsiteError } from '../../../../src/core/errors';
import * as F from './fixtures';
import { hex } from './fixtures';

/** Asserts that parsing `frame` fails with `code` in `layer` at `offset`. */
function rejects(frame: Buffer, code: PacketDecodeCode, layer: PacketLayer, offset?: number): void {
  assert.throws(
    () => parsePacket(frame),
    (e: unknown) => {
      assert.ok(e instanceof PacketDecodeError, String(e));
      assert.ok(e instanceof XsiteError);
      assert.equal(e.code, code, e.message);
      assert.equal(e.layer, layer, e.message);
      if (offset !== undefined) assert.equal(e.offset, offset, e.message);
      assert.deepEqual(e.details, { layer: e.layer, offset: e.offset });
      return true;
    },
  );
  const r = tryParsePacket(frame);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.code, code);
}

function patch(frame: Buffer, at: number, bytes: string): Buffer {
  const b = Buffer.from(frame);
  hex(bytes).copy(b, at);
  return b;
}

const A = { mac: '02:00:00:00:00:0a', ip: '10.99.0.1', ip6: 'fd00:99::1' };
const B = { mac: '02:00:00:00:00:0b', ip: '10.99.0.2', ip6: 'fd00:99::2' };

test('PKT_TRUNCATED: ethernet and VLAN tags', () => {
  rejects(Buffer.alloc(0), 'PKT_TRUNCATED', 'ethernet', 0);
  rejects(F.TCP_SYN.subarray(0, 13), 'PKT_TRUNCATED', 'ethernet', 0);
  const tagged = buildPacket({ eth: { src: A.mac, dst: B.mac }, vlans: [{ vid: 1 }, { vid: 2 }], ipv4: { src: A.ip, dst: B.ip }, udp: { srcPort: 1, dstPort: 2 } });
  rejects(tagged.subarray(0, 16), 'PKT_TRUNCATED', 'vlan', 14);
  rejects(tagged.subarray(0, 21), 'PKT_TRUNCATED', 'vlan', 18);
});

test('PKT_TOO_MANY_VLANS beyond the cap', () => {
  const ok = buildPacket({ eth: { src: A.mac, dst: B.mac, etherType: 0x88b5 }, vlans: Array.from({ length: MAX_VLAN_TAGS }, (_, i) => ({ vid: i })) });
  assert.equal(parsePacket(ok).vlans.length, MAX_VLAN_TAGS);
  const tooMany = buildPacket({ eth: { src: A.mac, dst: B.mac, etherType: 0x88b5 }, vlans: Array.from({ length: MAX_VLAN_TAGS + 1 }, (_, i) => ({ vid: i })) });
  rejects(tooMany, 'PKT_TOO_MANY_VLANS', 'vlan', 14 + 4 * MAX_VLAN_TAGS);
});

test('PKT_TRUNCATED: ARP', () => {
  rejects(F.ARP_REQUEST.subarray(0, 20), 'PKT_TRUNCATED', 'arp', 14);
  rejects(F.ARP_REQUEST.subarray(0, 41), 'PKT_TRUNCATED', 'arp', 14);
});

test('IPv4: truncated header, bad version, bad IHL, bad total length', () => {
  rejects(F.TCP_SYN.subarray(0, 33), 'PKT_TRUNCATED', 'ipv4', 14);
  rejects(patch(F.TCP_SYN, 14, '65'), 'PKT_BAD_VERSION', 'ipv4', 14);
  rejects(patch(F.TCP_SYN, 14, '44'), 'PKT_BAD_IHL', 'ipv4', 14);
  rejects(patch(F.TCP_SYN, 14, '40'), 'PKT_BAD_IHL', 'ipv4', 14);
  // IHL 15 = a 60-byte header, longer than the 40 bytes of datagram in the frame.
  rejects(patch(F.TCP_RST_ACK, 14, '4f'), 'PKT_TRUNCATED', 'ipv4', 14);
  rejects(patch(F.TCP_SYN, 16, '003d'), 'PKT_BAD_TOTAL_LENGTH', 'ipv4', 14); // one byte beyond the frame
  rejects(patch(F.TCP_SYN, 16, 'ffff'), 'PKT_BAD_TOTAL_LENGTH', 'ipv4', 14);
  rejects(patch(F.TCP_SYN, 16, '0013'), 'PKT_BAD_TOTAL_LENGTH', 'ipv4', 14); // below the header length
  rejects(patch(F.TCP_SYN, 16, '0000'), 'PKT_BAD_TOTAL_LENGTH', 'ipv4', 14);
  // A total length shorter than the frame is fine (padding).
  assert.equal(parsePacket(patch(F.ICMP_ECHO_REQUEST, 16, '0024')).payload.length, 8);
});

test('IPv6: truncated header, bad version, bad payload length', () => {
  rejects(F.UDP_V6.subarray(0, 53), 'PKT_TRUNCATED', 'ipv6', 14);
  rejects(patch(F.UDP_V6, 14, '40'), 'PKT_BAD_VERSION', 'ipv6', 14);
  rejects(patch(F.UDP_V6, 18, '0014'), 'PKT_BAD_PAYLOAD_LENGTH', 'ipv6', 14);
  rejects(F.UDP_V6.subarray(0, 60), 'PKT_BAD_PAYLOAD_LENGTH', 'ipv6', 14);
});

test('IPv6 extension headers: running past the payload, too many of them', () => {
  // HBH_DST_UDP has hop-by-hop at 54 and destination options at 62: make each claim more than the payload holds.
  rejects(patch(F.IPV6_HBH_DST_UDP, 63, '05'), 'PKT_BAD_EXT_HEADER', 'ipv6', 62);
  rejects(patch(F.IPV6_HBH_DST_UDP, 55, 'ff'), 'PKT_BAD_EXT_HEADER', 'ipv6', 54);
  // A payload ending inside the extension header chain.
  const cut = patch(F.IPV6_HBH_DST_UDP, 18, '000c');
  rejects(cut, 'PKT_BAD_EXT_HEADER', 'ipv6', 62);
  const empty = patch(F.IPV6_HBH_DST_UDP, 18, '0000');
  rejects(empty, 'PKT_BAD_EXT_HEADER', 'ipv6', 54);
  // AH length counts 4-byte units plus 2.
  const ah = buildPacket({ eth: { src: A.mac, dst: B.mac }, ipv6: { src: A.ip6, dst: B.ip6, protocol: 51 }, payload: hex('3b04000000000000000000000000000000000000000000') });
  rejects(ah, 'PKT_BAD_EXT_HEADER', 'ipv6', 54);
  const ahOk = buildPacket({ eth: { src: A.mac, dst: B.mac }, ipv6: { src: A.ip6, dst: B.ip6, protocol: 51 }, payload: hex('3b0400000000000000000000000000000000000000000000') });
  assert.deepEqual(parsePacket(ahOk).ipv6!.extHeaders, [51]);
  assert.equal(parsePacket(ahOk).ipv6!.protocol, 59);

  const chain = (n: number): Buffer =>
    buildPacket({
      eth: { src: A.mac, dst: B.mac },
      ipv6: { src: A.ip6, dst: B.ip6, extensions: Array.from({ length: n }, () => ({ type: 60 as const })) },
      udp: { srcPort: 1, dstPort: 2 },
    });
  assert.equal(parsePacket(chain(MAX_IPV6_EXT_HEADERS)).udp!.dstPort, 2);
  rejects(chain(MAX_IPV6_EXT_HEADERS + 1), 'PKT_TOO_MANY_EXT_HEADERS', 'ipv6', 54 + 8 * MAX_IPV6_EXT_HEADERS);
  // A huge chain is cut off at the cap, not walked.
  rejects(chain(500), 'PKT_TOO_MANY_EXT_HEADERS', 'ipv6');
});

test('TCP: truncated header, bad data offset', () => {
  const short = patch(F.TCP_RST_ACK.subarray(0, 50), 16, '0024');
  rejects(short, 'PKT_TRUNCATED', 'tcp', 34);
  rejects(patch(F.TCP_RST_ACK, 46, '40'), 'PKT_BAD_TCP_OFFSET', 'tcp', 34);
  rejects(patch(F.TCP_RST_ACK, 46, '00'), 'PKT_BAD_TCP_OFFSET', 'tcp', 34);
  rejects(patch(F.TCP_RST_ACK, 46, '60'), 'PKT_TRUNCATED', 'tcp', 34); // 24-byte header in a 20-byte segment
  rejects(patch(F.TCP_V6_RST_ACK, 66, 'f0'), 'PKT_TRUNCATED', 'tcp', 54);
});

test('UDP: truncated header, bad length', () => {
  rejects(patch(F.UDP_V4.subarray(0, 40), 16, '001a'), 'PKT_TRUNCATED', 'udp', 34);
  rejects(patch(F.UDP_V4, 38, '0007'), 'PKT_BAD_UDP_LENGTH', 'udp', 34);
  rejects(patch(F.UDP_V4, 38, '0014'), 'PKT_BAD_UDP_LENGTH', 'udp', 34);
  rejects(patch(F.UDP_V6, 58, 'ffff'), 'PKT_BAD_UDP_LENGTH', 'udp', 54);
  // In a first fragment the UDP length covers the whole datagram and is not checked against the fragment.
  assert.equal(parsePacket(F.IPV6_HBH_DST_FRAG_1).udp!.length, 2056);
});

test('ICMP and ICMPv6: truncated headers', () => {
  rejects(patch(F.ICMP_ECHO_REQUEST.subarray(0, 41), 16, '001b'), 'PKT_TRUNCATED', 'icmp', 34);
  rejects(patch(F.ICMPV6_ECHO_REQUEST.subarray(0, 61), 18, '0007'), 'PKT_TRUNCATED', 'icmpv6', 54);
  // A neighbor solicitation too short for its target address.
  rejects(patch(F.NS_V6.subarray(0, 77), 18, '0017'), 'PKT_TRUNCATED', 'icmpv6', 54);
  rejects(patch(F.RS_V6.subarray(0, 61), 18, '0007'), 'PKT_TRUNCATED', 'icmpv6', 54);
});

test('PKT_BAD_ND_OPTION: zero length, running past the message, dangling byte', () => {
  rejects(patch(F.NS_V6, 79, '00'), 'PKT_BAD_ND_OPTION', 'icmpv6', 78);
  rejects(patch(F.NS_V6, 79, '02'), 'PKT_BAD_ND_OPTION', 'icmpv6', 78);
  const dangling = Buffer.concat([F.NS_V6, Buffer.from([1])]);
  dangling.writeUInt16BE(33, 18);
  rejects(dangling, 'PKT_BAD_ND_OPTION', 'icmpv6', 86);
});

test('only the first fragment has an L4 header to validate', () => {
  // A garbage "TCP header" in a non-first fragment is just payload.
  const frag = buildPacket({
    eth: { src: A.mac, dst: B.mac },
    ipv4: { src: A.ip, dst: B.ip, protocol: 6, fragment: { mf: false, offset: 8, id: 1 } },
    payload: Buffer.alloc(4),
  });
  assert.equal(parsePacket(frag).payload.length, 4);
  // In a first fragment, a header cut short is still an error.
  const first = buildPacket({
    eth: { src: A.mac, dst: B.mac },
    ipv4: { src: A.ip, dst: B.ip, protocol: 6, fragment: { mf: true, offset: 0, id: 1 } },
    payload: Buffer.alloc(8),
  });
  rejects(first, 'PKT_TRUNCATED', 'tcp', 34);
});

test('isPacketDecodeError narrows by code', () => {
  const r = tryParsePacket(Buffer.alloc(3));
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(isPacketDecodeError(r.error), true);
    assert.equal(isPacketDecodeError(r.error, 'PKT_TRUNCATED'), true);
    assert.equal(isPacketDecodeError(r.error, 'PKT_BAD_IHL'), false);
    assert.equal(r.error.name, 'PacketDecodeError');
  }
  assert.equal(isPacketDecodeError(new Error('x')), false);
});
