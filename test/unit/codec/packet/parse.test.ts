import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ETHERTYPE,
  IPPROTO,
  TCP_FLAGS,
  internetChecksum,
  ipv6PseudoHeaderSum,
  onesComplementSum,
  parsePacket,
  tryParsePacket,
  verifyChecksums,
  type Packet,
} from '../../../../src/codec/packet';
import * as F from './fixtures';

/** Parses with checksum verification and asserts every checksum is valid. */
function parseValid(frame: Buffer): Packet {
  const pkt = parsePacket(frame, { verifyChecksums: true });
  assert.equal(pkt.checksums?.valid, true, JSON.stringify(pkt.checksums));
  return pkt;
}

test('captured ARP request and reply', () => {
  const req = parseValid(F.ARP_REQUEST);
  assert.deepEqual(req.eth, { dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:0a', etherType: ETHERTYPE.ARP });
  assert.deepEqual(req.arp, { op: 1, senderMac: '02:00:00:00:00:0a', senderIp: '10.99.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.99.0.2' });
  assert.equal(req.vlans.length, 0);
  assert.equal(req.payload.length, 0);
  assert.equal(req.ipv4, undefined);
  const rep = parseValid(F.ARP_REPLY);
  assert.deepEqual(rep.arp, { op: 2, senderMac: '02:00:00:00:00:0b', senderIp: '10.99.0.2', targetMac: '02:00:00:00:00:0a', targetIp: '10.99.0.1' });
});

test('captured ICMP echo request/reply', () => {
  const req = parseValid(F.ICMP_ECHO_REQUEST);
  const ip = req.ipv4!;
  assert.equal(ip.src, '10.99.0.1');
  assert.equal(ip.dst, '10.99.0.2');
  assert.equal(ip.ttl, 64);
  assert.equal(ip.protocol, IPPROTO.ICMP);
  assert.equal(ip.dontFragment, true);
  assert.equal(ip.fragment, undefined);
  assert.equal(ip.headerLength, 20);
  assert.equal(ip.totalLength, 44);
  assert.equal(ip.id, 0x5de6);
  assert.equal(ip.checksum, 0xc822);
  assert.equal(ip.options.length, 0);
  assert.deepEqual(req.icmp, { kind: 'echo-request', type: 8, code: 0, checksum: 0xad3b, id: 0x1631, seq: 1 });
  assert.equal(req.payload.toString('hex'), '666b026b00000000c7bb040000000000');
  assert.deepEqual(req.checksums, { valid: true, ipv4: 'ok', icmp: 'ok' });
  assert.equal(req.l3Offset, 14);
  assert.equal(req.l4Offset, 34);
  const rep = parseValid(F.ICMP_ECHO_REPLY);
  assert.equal(rep.icmp?.kind, 'echo-reply');
  assert.deepEqual(rep.payload, req.payload);
});

test('captured TCP SYN with options and RST+ACK', () => {
  const syn = parseValid(F.TCP_SYN);
  assert.deepEqual(syn.checksums, { valid: true, ipv4: 'ok', tcp: 'ok' });
  const t = syn.tcp!;
  assert.equal(t.srcPort, 40448);
  assert.equal(t.dstPort, 4242);
  assert.equal(t.seq, 0xf965257f);
  assert.equal(t.ack, 0);
  assert.equal(t.flags, TCP_FLAGS.SYN);
  assert.equal(t.window, 64240);
  assert.equal(t.headerLength, 40);
  assert.equal(t.checksum, 0x09af);
  assert.equal(t.urgentPointer, 0);
  assert.equal(t.options.toString('hex'), '020405b40402080ad3e38d39000000000103030a');
  assert.equal(syn.payload.length, 0);
  const rst = parseValid(F.TCP_RST_ACK);
  assert.equal(rst.tcp!.flags, TCP_FLAGS.RST | TCP_FLAGS.ACK);
  assert.equal(rst.tcp!.ack, 0xf9652580);
  assert.equal(rst.tcp!.options.length, 0);
});

test('captured UDP over IPv4 and the ICMP port unreachable quoting it', () => {
  const u = parseValid(F.UDP_V4);
  assert.deepEqual(u.udp, { srcPort: 43826, dstPort: 5353, length: 19, checksum: 0xa009 });
  assert.equal(u.payload.toString(), 'hello xsite');
  const icmp = parseValid(F.ICMP_PORT_UNREACHABLE);
  assert.deepEqual(icmp.icmp, { kind: 'other', type: 3, code: 3, checksum: 0x11ea, rest: 0 });
  assert.equal(icmp.ipv4!.dscp, 0x30);
  // The body is the offending datagram: its IP header onwards equals UDP_V4's.
  assert.deepEqual(icmp.payload, F.UDP_V4.subarray(14));
});

test('captured IPv4 fragments: flagged, L4 only in the first, reassembly verifies', () => {
  const f1 = parseValid(F.IPV4_FRAG_1);
  const f2 = parseValid(F.IPV4_FRAG_2);
  const f3 = parseValid(F.IPV4_FRAG_3);
  assert.deepEqual(f1.ipv4!.fragment, { mf: true, offset: 0, id: 0x5dec });
  assert.deepEqual(f2.ipv4!.fragment, { mf: true, offset: 1480, id: 0x5dec });
  assert.deepEqual(f3.ipv4!.fragment, { mf: false, offset: 2960, id: 0x5dec });
  assert.equal(f1.icmp?.kind, 'echo-request');
  assert.equal(f1.checksums!.icmp, 'skipped');
  for (const f of [f2, f3]) {
    assert.equal(f.icmp, undefined);
    assert.equal(f.l4Offset, -1);
    assert.equal(f.checksums!.icmp, undefined);
  }
  assert.equal(f2.payload.length, 1480);
  assert.equal(f3.payload.length, 3008 - 2960); // ping -s 3000: 3000 data + 8 header bytes
  const whole = Buffer.concat([F.IPV4_FRAG_1.subarray(f1.l4Offset, 14 + f1.ipv4!.totalLength), f2.payload, f3.payload]);
  assert.equal(whole.length, 3008);
  assert.equal(internetChecksum(whole), 0);
});

test('captured neighbor solicitation, advertisement and router solicitation', () => {
  const ns = parseValid(F.NS_V6);
  assert.equal(ns.eth.dst, '33:33:ff:00:00:02');
  assert.equal(ns.ipv6!.dst, 'ff02::1:ff00:2');
  assert.equal(ns.ipv6!.hopLimit, 255);
  const m = ns.icmpv6!;
  assert.equal(m.kind, 'ns');
  if (m.kind !== 'ns') return;
  assert.equal(m.target, 'fd00:99::2');
  assert.equal(m.sourceLinkAddr, '02:00:00:00:00:0a');
  assert.equal(m.targetLinkAddr, undefined);
  assert.deepEqual(m.options.map((o) => [o.type, o.data.toString('hex')]), [[1, '02000000000a']]);
  assert.equal(ns.payload.length, 0);

  const na = parseValid(F.NA_V6).icmpv6!;
  assert.equal(na.kind, 'na');
  if (na.kind !== 'na') return;
  assert.deepEqual(
    { router: na.router, solicited: na.solicited, override: na.override, target: na.target, tll: na.targetLinkAddr },
    { router: false, solicited: true, override: true, target: 'fd00:99::2', tll: '02:00:00:00:00:0b' },
  );

  const probe = parseValid(F.NS_V6_UNICAST);
  assert.equal(probe.ipv6!.src, 'fe80::ff:fe00:b');
  assert.equal(probe.icmpv6!.kind, 'ns');

  const rs = parseValid(F.RS_V6);
  assert.equal(rs.ipv6!.src, 'fe80::ff:fe00:a');
  assert.equal(rs.ipv6!.dst, 'ff02::2');
  assert.equal(rs.icmpv6!.kind, 'rs');
  if (rs.icmpv6!.kind === 'rs') assert.equal(rs.icmpv6!.sourceLinkAddr, '02:00:00:00:00:0a');
});

test('captured ICMPv6 echo, TCP and UDP over IPv6, ICMPv6 unreachable', () => {
  const e = parseValid(F.ICMPV6_ECHO_REQUEST);
  assert.deepEqual(e.icmpv6, { kind: 'echo-request', type: 128, code: 0, checksum: 0x5bbf, id: 0x165c, seq: 1 });
  assert.equal(e.ipv6!.flowLabel, 0xcbe89);
  assert.equal(e.ipv6!.trafficClass, 0);
  assert.equal(e.payload.length, 16);
  assert.equal(parseValid(F.ICMPV6_ECHO_REPLY).icmpv6!.kind, 'echo-reply');

  const syn = parseValid(F.TCP_V6_SYN);
  assert.equal(syn.ipv6!.src, 'fd00:99::1');
  assert.equal(syn.ipv6!.protocol, IPPROTO.TCP);
  assert.deepEqual(syn.ipv6!.extHeaders, []);
  assert.equal(syn.tcp!.srcPort, 39514);
  assert.equal(syn.tcp!.dstPort, 4243);
  assert.equal(syn.tcp!.flags, TCP_FLAGS.SYN);
  assert.equal(syn.checksums!.tcp, 'ok');
  assert.equal(parseValid(F.TCP_V6_RST_ACK).tcp!.flags, TCP_FLAGS.RST | TCP_FLAGS.ACK);

  const u = parseValid(F.UDP_V6);
  assert.equal(u.udp!.dstPort, 5353);
  assert.equal(u.payload.toString(), 'hello xsite');
  const un = parseValid(F.ICMPV6_PORT_UNREACHABLE);
  assert.deepEqual(un.icmpv6, { kind: 'other', type: 1, code: 4, checksum: 0xd228, rest: 0 });
  assert.deepEqual(un.payload, F.UDP_V6.subarray(14));
});

test('captured IPv6 fragments: fragment header walked, L4 only in the first, reassembly verifies', () => {
  const fs = [F.IPV6_FRAG_1, F.IPV6_FRAG_2, F.IPV6_FRAG_3].map(parseValid);
  assert.deepEqual(fs.map((f) => f.ipv6!.extHeaders), [[44], [44], [44]]);
  assert.deepEqual(fs.map((f) => f.ipv6!.protocol), [58, 58, 58]);
  assert.deepEqual(fs.map((f) => f.ipv6!.fragment!.offset), [0, 1448, 2896]);
  assert.deepEqual(fs.map((f) => f.ipv6!.fragment!.mf), [true, true, false]);
  assert.equal(fs[0]!.ipv6!.fragment!.id, 0x7c632b11);
  assert.equal(fs[0]!.icmpv6?.kind, 'echo-request');
  assert.equal(fs[0]!.checksums!.icmpv6, 'skipped');
  assert.equal(fs[1]!.icmpv6, undefined);
  assert.equal(fs[2]!.icmpv6, undefined);
  const first = fs[0]!;
  const whole = Buffer.concat([F.IPV6_FRAG_1.subarray(first.l4Offset, 54 + first.ipv6!.payloadLength), fs[1]!.payload, fs[2]!.payload]);
  assert.equal(whole.length, 3008);
  const ps = ipv6PseudoHeaderSum(F.IPV6_FRAG_1, 22, 38, IPPROTO.ICMPV6, whole.length);
  assert.equal(internetChecksum(whole, 0, whole.length, ps), 0);
});

test('captured IPv6 with hop-by-hop, destination options and fragment headers', () => {
  const u = parseValid(F.IPV6_HBH_DST_UDP);
  assert.equal(u.ipv6!.nextHeader, IPPROTO.HOPOPTS);
  assert.deepEqual(u.ipv6!.extHeaders, [IPPROTO.HOPOPTS, IPPROTO.DSTOPTS]);
  assert.equal(u.ipv6!.protocol, IPPROTO.UDP);
  assert.equal(u.l4Offset, 54 + 8 + 16);
  assert.equal(u.udp!.dstPort, 7000);
  assert.equal(u.payload.toString(), 'ext headers');
  assert.equal(u.checksums!.udp, 'ok');

  const f1 = parseValid(F.IPV6_HBH_DST_FRAG_1);
  const f2 = parseValid(F.IPV6_HBH_DST_FRAG_2);
  assert.deepEqual(f1.ipv6!.extHeaders, [0, 60, 44]);
  assert.deepEqual(f2.ipv6!.extHeaders, [0, 60, 44]);
  assert.equal(f1.udp!.length, 2048 + 8);
  assert.equal(f1.udp!.dstPort, 7001);
  assert.equal(f1.checksums!.udp, 'skipped');
  assert.equal(f2.udp, undefined);
  assert.equal(f2.ipv6!.fragment!.offset, 1424);
  const whole = Buffer.concat([f1.frame.subarray(f1.l4Offset), f2.payload]);
  assert.equal(whole.length, 2056);
  assert.deepEqual(whole.subarray(8, 8 + 256), Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  const ps = ipv6PseudoHeaderSum(f1.frame, 22, 38, IPPROTO.UDP, whole.length);
  assert.equal(internetChecksum(whole, 0, whole.length, ps), 0);
});

/** `frame` with VLAN tags (outermost first) inserted after the MAC addresses. */
function withTags(frame: Buffer, tags: [tpid: number, tci: number][]): Buffer {
  const t = Buffer.alloc(4 * tags.length);
  tags.forEach(([tpid, tci], i) => {
    t.writeUInt16BE(tpid, 4 * i);
    t.writeUInt16BE(tci, 4 * i + 2);
  });
  return Buffer.concat([frame.subarray(0, 12), t, frame.subarray(12)]);
}

test('single and stacked VLAN tags', () => {
  const one = parseValid(withTags(F.TCP_SYN, [[0x8100, (5 << 13) | 0x1000 | 100]]));
  assert.deepEqual(one.vlans, [{ tpid: 0x8100, pcp: 5, dei: true, vid: 100 }]);
  assert.equal(one.eth.etherType, ETHERTYPE.IPV4);
  assert.equal(one.tcp!.dstPort, 4242);
  assert.equal(one.l3Offset, 18);

  const two = parseValid(withTags(F.ICMPV6_ECHO_REQUEST, [[0x88a8, 10], [0x8100, 4095]]));
  assert.deepEqual(two.vlans, [
    { tpid: 0x88a8, pcp: 0, dei: false, vid: 10 },
    { tpid: 0x8100, pcp: 0, dei: false, vid: 4095 },
  ]);
  assert.equal(two.icmpv6!.kind, 'echo-request');
  assert.equal(two.l3Offset, 22);

  const three = parseValid(withTags(F.ARP_REQUEST, [[0x9100, 1], [0x88a8, 2], [0x8100, 3]]));
  assert.deepEqual(three.vlans.map((v) => v.vid), [1, 2, 3]);
  assert.equal(three.arp!.targetIp, '10.99.0.2');
});

test('Ethernet padding is excluded from IP payloads, kept as payload after ARP', () => {
  const padded = Buffer.concat([F.ICMP_ECHO_REQUEST, Buffer.alloc(12, 0xee)]);
  const p = parseValid(padded);
  assert.equal(p.payload.length, 16);
  const u = parseValid(Buffer.concat([F.UDP_V4, Buffer.alloc(7)]));
  assert.equal(u.payload.toString(), 'hello xsite');
  const v6 = parseValid(Buffer.concat([F.UDP_V6, Buffer.alloc(5, 1)]));
  assert.equal(v6.payload.toString(), 'hello xsite');
  const arp = parsePacket(Buffer.concat([F.ARP_REQUEST, Buffer.alloc(18)]));
  assert.equal(arp.payload.length, 18);
});

test('UDP length shorter than the IP payload bounds the UDP payload', () => {
  const f = Buffer.from(F.UDP_V4);
  // Claim 4 fewer UDP bytes (and fix the checksum by recomputing over the shorter datagram).
  f.writeUInt16BE(15, 38);
  const p = parsePacket(f);
  assert.equal(p.payload.toString(), 'hello x');
  assert.equal(p.udp!.length, 15);
});

test('unknown ethertypes, 802.3 lengths, non-Ethernet ARP and unknown IP protocols are payload, not errors', () => {
  const lldp = Buffer.concat([Buffer.from('0180c200000e02000000000a88cc', 'hex'), Buffer.from('0207040200000000000a', 'hex')]);
  const p = parsePacket(lldp);
  assert.equal(p.eth.etherType, 0x88cc);
  assert.equal(p.payload.length, 10);
  assert.equal(p.l3Offset, -1);

  const llc = Buffer.from('0180c200000002000000000a0026424203000000', 'hex');
  assert.equal(parsePacket(llc).eth.etherType, 0x26);

  const arp = Buffer.from(F.ARP_REQUEST);
  arp.writeUInt16BE(6, 14); // IEEE 802 hardware type
  const pa = parsePacket(arp);
  assert.equal(pa.arp, undefined);
  assert.equal(pa.payload.length, 28);

  const gre = Buffer.from(F.UDP_V4);
  gre[23] = 47;
  const pg = parsePacket(gre);
  assert.equal(pg.udp, undefined);
  assert.equal(pg.ipv4!.protocol, 47);
  assert.equal(pg.payload.length, 19);

  // ICMPv6 number inside IPv4 and ICMP number inside IPv6 are not decoded as such.
  const odd = Buffer.from(F.UDP_V6);
  odd[20] = IPPROTO.ICMP;
  assert.equal(parsePacket(odd).icmp, undefined);

  // IPv6 "no next header" and ESP stop the walk.
  const none = Buffer.from(F.UDP_V6);
  none[20] = IPPROTO.NONE;
  const pn = parsePacket(none);
  assert.equal(pn.ipv6!.protocol, IPPROTO.NONE);
  assert.equal(pn.payload.length, 19);
});

test('a plain Uint8Array is accepted and viewed without copying', () => {
  const u8 = new Uint8Array(F.TCP_SYN);
  const p = parsePacket(u8 as Buffer);
  assert.equal(p.tcp!.dstPort, 4242);
  assert.equal(p.frame.buffer, u8.buffer);
});

test('payloads are views into the frame', () => {
  const f = Buffer.from(F.UDP_V4);
  const p = parsePacket(f);
  assert.equal(p.payload.buffer, f.buffer);
  f[14 + 28] = 0x48; // 'H'
  assert.equal(p.payload.toString(), 'Hello xsite');
});

test('verifyChecksums reports corruption per layer without throwing', () => {
  const ipBad = Buffer.from(F.TCP_SYN);
  ipBad[22] ^= 1; // TTL
  assert.deepEqual(verifyChecksums(parsePacket(ipBad)), { valid: false, ipv4: 'bad', tcp: 'ok' });

  const tcpBad = Buffer.from(F.TCP_SYN);
  tcpBad[14 + 20 + 14] ^= 0x80; // window
  assert.deepEqual(parsePacket(tcpBad, { verifyChecksums: true }).checksums, { valid: false, ipv4: 'ok', tcp: 'bad' });

  const udpNone = Buffer.from(F.UDP_V4);
  udpNone.writeUInt16BE(0, 40);
  assert.deepEqual(verifyChecksums(parsePacket(udpNone)), { valid: true, ipv4: 'ok', udp: 'none' });

  const udp6None = Buffer.from(F.UDP_V6);
  udp6None.writeUInt16BE(0, 60);
  assert.deepEqual(verifyChecksums(parsePacket(udp6None)), { valid: false, udp: 'bad' });

  const icmpBad = Buffer.from(F.ICMP_ECHO_REQUEST);
  icmpBad[icmpBad.length - 1] ^= 0xff;
  assert.deepEqual(verifyChecksums(parsePacket(icmpBad)), { valid: false, ipv4: 'ok', icmp: 'bad' });

  const ndBad = Buffer.from(F.NS_V6);
  ndBad[ndBad.length - 1] ^= 1; // the link-layer address in the option
  assert.deepEqual(verifyChecksums(parsePacket(ndBad)), { valid: false, icmpv6: 'bad' });

  // The pseudo-header covers the addresses.
  const v6Addr = Buffer.from(F.TCP_V6_SYN);
  v6Addr[37] ^= 1;
  assert.equal(verifyChecksums(parsePacket(v6Addr)).tcp, 'bad');

  assert.deepEqual(verifyChecksums(parsePacket(F.ARP_REQUEST)), { valid: true });
  // Parsing without the option does not verify.
  assert.equal(parsePacket(tcpBad).checksums, undefined);
  assert.equal(onesComplementSum(F.TCP_SYN, 14, 34), 0xffff);
});

test('tryParsePacket returns ok or the decode error', () => {
  const ok = tryParsePacket(F.TCP_SYN);
  assert.equal(ok.ok, true);
  if (ok.ok) assert.equal(ok.packet.tcp!.srcPort, 40448);
  const short = Buffer.from(F.TCP_SYN.subarray(0, 40));
  short.writeUInt16BE(26, 16); // IP total length matching the 6 TCP bytes left
  const bad = tryParsePacket(short);
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.equal(bad.error.code, 'PKT_TRUNCATED');
    assert.equal(bad.error.layer, 'tcp');
    assert.equal(bad.error.offset, 34);
  }
});
