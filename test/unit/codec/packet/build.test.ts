import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ETHERTYPE,
  IPPROTO,
  TCP_FLAGS,
  arpReply,
  arpRequest,
  buildPacket,
  gratuitousArp,
  icmpEchoReply,
  icmpEchoRequest,
  ipv6MulticastMac,
  ndAdvert,
  ndSolicit,
  parsePacket,
  rarpAnnounce,
  solicitedNodeMulticast,
  tcpSegment,
  udpPacket,
  type Packet,
  type PacketSpec,
} from '../../../../src/codec/packet';
import { isXsiteError } from '../../../../src/core/errors';
import * as F from './fixtures';
import { hex } from './fixtures';

const A = { mac: '02:00:00:00:00:0a', ip: '10.99.0.1', ip6: 'fd00:99::1' };
const B = { mac: '02:00:00:00:00:0b', ip: '10.99.0.2', ip6: 'fd00:99::2' };

function parseValid(frame: Buffer): Packet {
  const pkt = parsePacket(frame, { verifyChecksums: true });
  assert.equal(pkt.checksums?.valid, true, JSON.stringify(pkt.checksums));
  return pkt;
}

test('re-encoding captured frames reproduces them byte for byte (checksums included)', () => {
  const exact = {
    ARP_REQUEST: F.ARP_REQUEST,
    ARP_REPLY: F.ARP_REPLY,
    ICMP_ECHO_REQUEST: F.ICMP_ECHO_REQUEST,
    ICMP_ECHO_REPLY: F.ICMP_ECHO_REPLY,
    TCP_SYN: F.TCP_SYN,
    TCP_RST_ACK: F.TCP_RST_ACK,
    UDP_V4: F.UDP_V4,
    ICMP_PORT_UNREACHABLE: F.ICMP_PORT_UNREACHABLE,
    IPV4_FRAG_2: F.IPV4_FRAG_2,
    IPV4_FRAG_3: F.IPV4_FRAG_3,
    IPV6_FRAG_2: F.IPV6_FRAG_2,
    IPV6_FRAG_3: F.IPV6_FRAG_3,
    RS_V6: F.RS_V6,
    NS_V6: F.NS_V6,
    NA_V6: F.NA_V6,
    NS_V6_UNICAST: F.NS_V6_UNICAST,
    ICMPV6_ECHO_REQUEST: F.ICMPV6_ECHO_REQUEST,
    ICMPV6_ECHO_REPLY: F.ICMPV6_ECHO_REPLY,
    TCP_V6_SYN: F.TCP_V6_SYN,
    TCP_V6_RST_ACK: F.TCP_V6_RST_ACK,
    UDP_V6: F.UDP_V6,
    ICMPV6_PORT_UNREACHABLE: F.ICMPV6_PORT_UNREACHABLE,
  };
  for (const [name, frame] of Object.entries(exact)) {
    assert.equal(buildPacket(parsePacket(frame)).toString('hex'), frame.toString('hex'), name);
  }
});

test('re-encoding a first IPv4 fragment keeps everything but the (partial-data) L4 checksum', () => {
  const rebuilt = buildPacket(parsePacket(F.IPV4_FRAG_1));
  assert.equal(rebuilt.length, F.IPV4_FRAG_1.length);
  rebuilt.writeUInt16BE(F.IPV4_FRAG_1.readUInt16BE(36), 36);
  assert.deepEqual(rebuilt, F.IPV4_FRAG_1);
});

test('IPv6 extension headers and fragment header encode like the kernel does', () => {
  const cap = parsePacket(F.IPV6_HBH_DST_UDP);
  const built = buildPacket({
    eth: cap.eth,
    ipv6: {
      ...cap.ipv6!,
      extensions: [
        { type: 0, data: hex('010400000000') },
        { type: 60, data: hex('010c000000000000000000000000') },
      ],
    },
    udp: cap.udp,
    payload: cap.payload,
  });
  assert.equal(built.toString('hex'), F.IPV6_HBH_DST_UDP.toString('hex'));

  const frag = parsePacket(F.IPV6_FRAG_2);
  const { fragment } = frag.ipv6!;
  const builtFrag = buildPacket({
    eth: frag.eth,
    ipv6: { ...frag.ipv6!, extensions: [{ type: 44, mf: fragment!.mf, offset: fragment!.offset, id: fragment!.id }] },
    payload: frag.payload,
  });
  assert.equal(builtFrag.toString('hex'), F.IPV6_FRAG_2.toString('hex'));
});

test('IPv6 with several extension headers (padding, routing, fragment) round trips', () => {
  const frame = buildPacket({
    eth: { src: A.mac, dst: B.mac },
    ipv6: {
      src: A.ip6,
      dst: B.ip6,
      trafficClass: 0xb8,
      flowLabel: 0xabcde,
      hopLimit: 3,
      extensions: [
        { type: 0, data: hex('05020000') }, // router alert, padded with PadN
        { type: 43, data: hex('0000') }, // routing type 0, segments left 0... (opaque to the codec)
        { type: 60 },
        { type: 44, mf: false, offset: 0, id: 0xdeadbeef },
        { type: 60, data: Buffer.alloc(20, 1) },
      ],
    },
    tcp: { srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, window: 5 },
    payload: Buffer.from('data'),
  });
  // A non-fragmented "atomic" fragment: L4 decoded and checksummed.
  const p = parsePacket(frame, { verifyChecksums: true });
  assert.deepEqual(p.ipv6!.extHeaders, [0, 43, 60, 44, 60]);
  assert.equal(p.ipv6!.protocol, IPPROTO.TCP);
  assert.equal(p.ipv6!.trafficClass, 0xb8);
  assert.equal(p.ipv6!.flowLabel, 0xabcde);
  assert.equal(p.ipv6!.hopLimit, 3);
  assert.deepEqual(p.ipv6!.fragment, { mf: false, offset: 0, id: 0xdeadbeef });
  assert.equal(p.l4Offset, 14 + 40 + 8 + 8 + 8 + 8 + 24);
  assert.equal(p.tcp!.seq, 3);
  assert.equal(p.payload.toString(), 'data');
  assert.equal(p.checksums!.tcp, 'skipped');
  // Hop-by-hop padding is a well-formed PadN option after the router alert.
  assert.equal(frame.subarray(54, 62).toString('hex'), '2b00050200000100');
});

test('stacked VLAN tags round trip', () => {
  const spec: PacketSpec = {
    eth: { src: A.mac, dst: B.mac },
    vlans: [{ vid: 10, tpid: ETHERTYPE.QINQ, pcp: 3 }, { vid: 200, dei: true }],
    ipv4: { src: A.ip, dst: B.ip },
    udp: { srcPort: 5000, dstPort: 6000 },
    payload: Buffer.from('x'),
  };
  const frame = buildPacket(spec);
  assert.equal(frame.subarray(12, 22).toString('hex'), '88a8600a810010c80800');
  const p = parseValid(frame);
  assert.deepEqual(p.vlans, [
    { tpid: 0x88a8, pcp: 3, dei: false, vid: 10 },
    { tpid: 0x8100, pcp: 0, dei: true, vid: 200 },
  ]);
  assert.deepEqual(buildPacket(p), frame);
});

test('IPv4 options and fields round trip', () => {
  const frame = buildPacket({
    eth: { src: A.mac, dst: B.mac },
    ipv4: { src: A.ip, dst: B.ip, ttl: 1, dscp: 46, ecn: 2, id: 0x1234, dontFragment: true, options: hex('94040000') },
    icmp: { kind: 'other', type: 11, code: 0, rest: 0 },
    payload: Buffer.alloc(28, 7),
  });
  const p = parseValid(frame);
  const ip = p.ipv4!;
  assert.deepEqual(
    [ip.headerLength, ip.ttl, ip.dscp, ip.ecn, ip.id, ip.dontFragment, ip.options.toString('hex'), ip.totalLength],
    [24, 1, 46, 2, 0x1234, true, '94040000', 24 + 8 + 28],
  );
  assert.deepEqual(p.icmp, { kind: 'other', type: 11, code: 0, checksum: p.icmp!.checksum, rest: 0 });
  assert.deepEqual(buildPacket(p), frame);
});

test('IPv4 fragments build and parse', () => {
  const first = buildPacket({
    eth: { src: A.mac, dst: B.mac },
    ipv4: { src: A.ip, dst: B.ip, fragment: { mf: true, offset: 0, id: 77 } },
    udp: { srcPort: 1, dstPort: 2 },
    payload: Buffer.alloc(16),
  });
  const p = parsePacket(first, { verifyChecksums: true });
  assert.deepEqual(p.ipv4!.fragment, { mf: true, offset: 0, id: 77 });
  assert.equal(p.ipv4!.id, 77);
  assert.equal(p.udp!.dstPort, 2);
  assert.equal(p.checksums!.udp, 'skipped');
  const later = buildPacket({
    eth: { src: A.mac, dst: B.mac },
    ipv4: { src: A.ip, dst: B.ip, protocol: IPPROTO.UDP, fragment: { mf: false, offset: 24, id: 77 } },
    payload: Buffer.alloc(8, 9),
  });
  const q = parseValid(later);
  assert.deepEqual(q.ipv4!.fragment, { mf: false, offset: 24, id: 77 });
  assert.equal(q.udp, undefined);
  assert.equal(q.payload.length, 8);
});

test('TCP flags (all nine), options, urgent pointer round trip over IPv4 and IPv6', () => {
  for (const ip of [{ ipv4: { src: A.ip, dst: B.ip } }, { ipv6: { src: A.ip6, dst: B.ip6 } }]) {
    const frame = buildPacket({
      eth: { src: A.mac, dst: B.mac },
      ...ip,
      tcp: { srcPort: 65535, dstPort: 0, seq: 0xffffffff, ack: 0x80000000, flags: 0x1ff, window: 0xffff, urgentPointer: 9, options: hex('020405b401030307') },
      payload: Buffer.from('segment data'),
    });
    const p = parseValid(frame);
    assert.deepEqual({ ...p.tcp!, checksum: 0, options: p.tcp!.options.toString('hex') }, {
      srcPort: 65535,
      dstPort: 0,
      seq: 0xffffffff,
      ack: 0x80000000,
      headerLength: 28,
      flags: 0x1ff,
      window: 0xffff,
      checksum: 0,
      urgentPointer: 9,
      options: '020405b401030307',
    });
    assert.equal(p.payload.toString(), 'segment data');
    assert.deepEqual(buildPacket(p), frame);
  }
});

test('UDP checksum that computes to 0 is sent as 0xffff', () => {
  const base: PacketSpec = { eth: { src: A.mac, dst: B.mac }, ipv4: { src: A.ip, dst: B.ip }, udp: { srcPort: 1, dstPort: 2 } };
  const probe = buildPacket({ ...base, payload: Buffer.alloc(2) });
  const c0 = probe.readUInt16BE(40);
  const w = Buffer.alloc(2);
  w.writeUInt16BE(c0);
  const frame = buildPacket({ ...base, payload: w });
  assert.equal(frame.readUInt16BE(40), 0xffff);
  assert.equal(parsePacket(frame, { verifyChecksums: true }).checksums!.udp, 'ok');
});

test('router advertisement with options round trips', () => {
  const prefix = hex('40c0 00278d00 00093a80 00000000 20010db8000000010000000000000000');
  const frame = buildPacket({
    eth: { src: A.mac, dst: '33:33:00:00:00:01' },
    ipv6: { src: 'fe80::1', dst: 'ff02::1', hopLimit: 255 },
    icmpv6: {
      kind: 'ra',
      curHopLimit: 64,
      managed: true,
      routerLifetime: 1800,
      reachableTime: 30000,
      retransTimer: 1000,
      options: [{ type: 3, data: prefix }, { type: 5, data: hex('0000000005dc') }],
      sourceLinkAddr: A.mac,
    },
  });
  const p = parseValid(frame);
  const ra = p.icmpv6!;
  assert.equal(ra.kind, 'ra');
  if (ra.kind !== 'ra') return;
  assert.deepEqual(
    [ra.curHopLimit, ra.flags, ra.managed, ra.other, ra.routerLifetime, ra.reachableTime, ra.retransTimer, ra.sourceLinkAddr],
    [64, 0x80, true, false, 1800, 30000, 1000, A.mac],
  );
  assert.deepEqual(ra.options.map((o) => o.type), [3, 5, 1]);
  assert.deepEqual(ra.options[0]!.data, prefix);
  assert.deepEqual(buildPacket(p), frame);

  const rs = buildPacket({ eth: { src: A.mac, dst: '33:33:00:00:00:02' }, ipv6: { src: '::', dst: 'ff02::2', hopLimit: 255 }, icmpv6: { kind: 'rs' } });
  assert.deepEqual(parseValid(rs).icmpv6, { kind: 'rs', type: 133, code: 0, checksum: rs.readUInt16BE(56), options: [], sourceLinkAddr: undefined, targetLinkAddr: undefined });
});

test('other ICMPv6 and ICMP types keep their raw second word', () => {
  const tooBig = buildPacket({
    eth: { src: A.mac, dst: B.mac },
    ipv6: { src: A.ip6, dst: B.ip6 },
    icmpv6: { kind: 'other', type: 2, rest: 1280 },
    payload: F.UDP_V6.subarray(14),
  });
  const p = parseValid(tooBig);
  assert.deepEqual(p.icmpv6, { kind: 'other', type: 2, code: 0, checksum: tooBig.readUInt16BE(56), rest: 1280 });
  assert.deepEqual(buildPacket(p), tooBig);
});

test('arpRequest / arpReply match the captured kernel frames (plus padding to 60 bytes)', () => {
  const pad = Buffer.alloc(18);
  assert.deepEqual(arpRequest({ srcMac: A.mac, srcIp: A.ip, targetIp: B.ip }), Buffer.concat([F.ARP_REQUEST, pad]));
  assert.deepEqual(arpReply({ srcMac: B.mac, srcIp: B.ip, dstMac: A.mac, dstIp: A.ip }), Buffer.concat([F.ARP_REPLY, pad]));
  const tagged = parsePacket(arpRequest({ srcMac: A.mac, srcIp: A.ip, targetIp: B.ip, vlans: [{ vid: 7 }] }));
  assert.equal(tagged.vlans[0]!.vid, 7);
  assert.equal(tagged.arp!.targetIp, B.ip);
});

test('gratuitousArp in request and reply form', () => {
  const req = parsePacket(gratuitousArp({ mac: A.mac, ip: A.ip }));
  assert.equal(req.frame.length, 60);
  assert.equal(req.eth.dst, 'ff:ff:ff:ff:ff:ff');
  assert.deepEqual(req.arp, { op: 1, senderMac: A.mac, senderIp: A.ip, targetMac: '00:00:00:00:00:00', targetIp: A.ip });
  const rep = parsePacket(gratuitousArp({ mac: A.mac, ip: A.ip, op: 'reply' }));
  assert.deepEqual(rep.arp, { op: 2, senderMac: A.mac, senderIp: A.ip, targetMac: A.mac, targetIp: A.ip });
});

test('rarpAnnounce is the frame QEMU sends after migration', () => {
  const frame = rarpAnnounce({ mac: '52:54:00:12:34:56' });
  const expected = hex(
    'ffffffffffff' + '525400123456' + '8035' + // broadcast, ethertype RARP
      '0001' + '0800' + '06' + '04' + '0003' + // Ethernet/IPv4, op 3 = reverse request
      '525400123456' + '00000000' + '525400123456' + '00000000' + // sha, spa, tha, tpa
      '00'.repeat(18), // padded to 60 bytes
  );
  assert.deepEqual(frame, expected);
  const p = parsePacket(frame);
  assert.equal(p.eth.etherType, ETHERTYPE.RARP);
  assert.deepEqual(p.arp, { op: 3, senderMac: '52:54:00:12:34:56', senderIp: '0.0.0.0', targetMac: '52:54:00:12:34:56', targetIp: '0.0.0.0' });
});

test('icmpEchoRequest / icmpEchoReply over IPv4 and IPv6', () => {
  const v4 = parseValid(icmpEchoRequest({ srcMac: A.mac, dstMac: B.mac, srcIp: A.ip, dstIp: B.ip, id: 0x1631, seq: 1, data: Buffer.from('ping') }));
  assert.deepEqual(v4.icmp, { kind: 'echo-request', type: 8, code: 0, checksum: v4.icmp!.checksum, id: 0x1631, seq: 1 });
  assert.equal(v4.ipv4!.ttl, 64);
  assert.equal(v4.payload.toString(), 'ping');
  const r4 = parseValid(icmpEchoReply({ srcMac: B.mac, dstMac: A.mac, srcIp: B.ip, dstIp: A.ip, id: 1, seq: 2, ttl: 9 }));
  assert.equal(r4.icmp!.kind, 'echo-reply');
  assert.equal(r4.ipv4!.ttl, 9);
  assert.equal(r4.payload.length, 0);

  // Same payload as the captured ICMPv6 echo request: identical ICMPv6 message (checksum included).
  const cap = parsePacket(F.ICMPV6_ECHO_REQUEST);
  const v6 = icmpEchoRequest({ srcMac: A.mac, dstMac: B.mac, srcIp: A.ip6, dstIp: B.ip6, id: 0x165c, seq: 1, data: cap.payload });
  assert.deepEqual(v6.subarray(54), F.ICMPV6_ECHO_REQUEST.subarray(54));
  assert.equal(parseValid(icmpEchoReply({ srcMac: B.mac, dstMac: A.mac, srcIp: B.ip6, dstIp: A.ip6, id: 1, seq: 1 })).icmpv6!.kind, 'echo-reply');
  assert.throws(() => icmpEchoRequest({ srcMac: A.mac, dstMac: B.mac, srcIp: A.ip, dstIp: B.ip6, id: 1, seq: 1 }), { code: 'PKT_BAD_SPEC' });
});

test('ndSolicit / ndAdvert match the captured kernel frames', () => {
  assert.deepEqual(ndSolicit({ srcMac: A.mac, srcIp: A.ip6, target: B.ip6 }), F.NS_V6);
  assert.deepEqual(ndAdvert({ srcMac: B.mac, srcIp: B.ip6, dstIp: A.ip6, dstMac: A.mac }), F.NA_V6);
  assert.equal(solicitedNodeMulticast('fd00:99::1:2345:6789'), 'ff02::1:ff45:6789');
  assert.equal(ipv6MulticastMac('ff02::1:ff45:6789'), '33:33:ff:45:67:89');

  // Duplicate address detection: from ::, no source link-layer option.
  const dad = parseValid(ndSolicit({ srcMac: A.mac, srcIp: '::', target: A.ip6 }));
  assert.equal(dad.icmpv6!.kind, 'ns');
  if (dad.icmpv6!.kind === 'ns') assert.deepEqual(dad.icmpv6!.options, []);
  // Unsolicited advertisement to all nodes.
  const un = parseValid(ndAdvert({ srcMac: A.mac, srcIp: A.ip6 }));
  assert.equal(un.eth.dst, '33:33:00:00:00:01');
  assert.equal(un.ipv6!.dst, 'ff02::1');
  if (un.icmpv6!.kind === 'na') {
    assert.deepEqual([un.icmpv6!.router, un.icmpv6!.solicited, un.icmpv6!.override, un.icmpv6!.target], [false, false, true, A.ip6]);
  } else assert.fail('expected na');
});

test('udpPacket and tcpSegment reproduce captured payload checksums', () => {
  const u = udpPacket({ srcMac: A.mac, dstMac: B.mac, srcIp: A.ip, dstIp: B.ip, srcPort: 43826, dstPort: 5353, data: Buffer.from('hello xsite') });
  assert.deepEqual(u.subarray(34), F.UDP_V4.subarray(34)); // UDP header + data identical, checksum included
  const u6 = udpPacket({ srcMac: A.mac, dstMac: B.mac, srcIp: A.ip6, dstIp: B.ip6, srcPort: 48239, dstPort: 5353, data: Buffer.from('hello xsite') });
  assert.deepEqual(u6.subarray(54), F.UDP_V6.subarray(54));

  const cap = parsePacket(F.TCP_SYN).tcp!;
  const t = tcpSegment({ srcMac: A.mac, dstMac: B.mac, srcIp: A.ip, dstIp: B.ip, srcPort: cap.srcPort, dstPort: cap.dstPort, seq: cap.seq, flags: TCP_FLAGS.SYN, window: cap.window, options: cap.options });
  assert.deepEqual(t.subarray(34), F.TCP_SYN.subarray(34));
  const t6 = parseValid(tcpSegment({ srcMac: A.mac, dstMac: B.mac, srcIp: A.ip6, dstIp: B.ip6, srcPort: 1, dstPort: 2, flags: TCP_FLAGS.ACK, ack: 5, data: Buffer.from('x') }));
  assert.equal(t6.tcp!.ack, 5);
  assert.equal(t6.payload.toString(), 'x');
});

test('invalid specs throw PKT_BAD_SPEC or BAD_ADDRESS', () => {
  const eth = { src: A.mac, dst: B.mac };
  const v4 = { src: A.ip, dst: B.ip };
  const bad: [PacketSpec, string][] = [
    [{ eth }, 'PKT_BAD_SPEC'], // no ethertype
    [{ eth, ipv4: v4, arp: { op: 1, senderMac: A.mac, senderIp: A.ip, targetMac: B.mac, targetIp: B.ip } }, 'PKT_BAD_SPEC'],
    [{ eth, ipv4: v4, tcp: { srcPort: 1, dstPort: 2 }, udp: { srcPort: 1, dstPort: 2 } }, 'PKT_BAD_SPEC'],
    [{ eth, ipv6: { src: A.ip6, dst: B.ip6 }, icmp: { kind: 'echo-request', id: 1, seq: 1 } }, 'PKT_BAD_SPEC'],
    [{ eth, ipv4: v4, icmpv6: { kind: 'echo-request', id: 1, seq: 1 } }, 'PKT_BAD_SPEC'],
    [{ eth, tcp: { srcPort: 1, dstPort: 2 } }, 'PKT_BAD_SPEC'],
    [{ eth, ipv4: v4 }, 'PKT_BAD_SPEC'], // no protocol
    [{ eth, ipv4: v4, udp: { srcPort: 70000, dstPort: 2 } }, 'PKT_BAD_SPEC'],
    [{ eth, ipv4: { ...v4, ttl: 256 }, udp: { srcPort: 1, dstPort: 2 } }, 'PKT_BAD_SPEC'],
    [{ eth, ipv4: { ...v4, options: Buffer.alloc(3) }, udp: { srcPort: 1, dstPort: 2 } }, 'PKT_BAD_SPEC'],
    [{ eth, ipv4: { ...v4, fragment: { mf: true, offset: 5 } }, udp: { srcPort: 1, dstPort: 2 } }, 'PKT_BAD_SPEC'],
    [{ eth, ipv4: v4, tcp: { srcPort: 1, dstPort: 2, options: Buffer.alloc(44) } }, 'PKT_BAD_SPEC'],
    [{ eth, ipv4: v4, tcp: { srcPort: 1, dstPort: 2, seq: -1 } }, 'PKT_BAD_SPEC'],
    [{ eth, vlans: [{ vid: 4096 }], ipv4: v4, udp: { srcPort: 1, dstPort: 2 } }, 'PKT_BAD_SPEC'],
    [{ eth, ipv4: v4, udp: { srcPort: 1, dstPort: 2 }, payload: Buffer.alloc(70000) }, 'PKT_BAD_SPEC'],
    [{ eth, ipv6: { src: A.ip6, dst: B.ip6, flowLabel: 0x100000 }, udp: { srcPort: 1, dstPort: 2 } }, 'PKT_BAD_SPEC'],
    [{ eth: { src: 'nope', dst: B.mac }, ipv4: v4, udp: { srcPort: 1, dstPort: 2 } }, 'BAD_ADDRESS'],
    [{ eth, ipv4: { src: '1.2.3', dst: B.ip }, udp: { srcPort: 1, dstPort: 2 } }, 'BAD_ADDRESS'],
    [{ eth, ipv6: { src: 'fd00::1', dst: B.ip }, udp: { srcPort: 1, dstPort: 2 } }, 'BAD_ADDRESS'],
    [{ eth, ipv6: { src: A.ip6, dst: B.ip6 }, icmpv6: { kind: 'ns', target: '10.0.0.1' } }, 'BAD_ADDRESS'],
  ];
  for (const [spec, code] of bad) {
    assert.throws(() => buildPacket(spec), (e: unknown) => isXsiteError(e, code), JSON.stringify(spec).slice(0, 200));
  }
});

test('padTo pads with zeros and does not change the decoded packet', () => {
  const frame = buildPacket({ eth: { src: A.mac, dst: B.mac }, ipv4: { src: A.ip, dst: B.ip }, udp: { srcPort: 1, dstPort: 2 } }, { padTo: 60 });
  assert.equal(frame.length, 60);
  const p = parseValid(frame);
  assert.equal(p.payload.length, 0);
  assert.equal(p.ipv4!.totalLength, 28);
});
