import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPacket, parsePacket, tcpSegment, udpPacket, icmpEchoRequest, verifyChecksums } from '../../../../src/codec/packet';
import type { MessageOf } from '../../../../src/codec/openflow/types';
import { apply, CONTROLLER, errorOf, m, makeSwitch, out, setf, write } from './helpers';

const H = { srcMac: '00:00:00:00:00:0a', dstMac: '00:00:00:00:00:0b', srcIp: '10.0.0.1', dstIp: '10.0.0.2' };

test('NAT: MAC, IPv4 and TCP port rewrite with correct IPv4 and TCP checksums', () => {
  const s = makeSwitch();
  s.ok({
    match: m(['eth_type', 0x800], ['ip_proto', 6], ['tcp_dst', 80]),
    instructions: [apply(setf('eth_src', '02:aa:00:00:00:01'), setf('ipv4_src', '192.0.2.7'), setf('ipv4_dst', '198.51.100.9'), setf('tcp_src', 40000), setf('tcp_dst', 8080), out(2))],
  });
  const f = tcpSegment({ ...H, srcPort: 1234, dstPort: 80, seq: 7, flags: 0x18, data: Buffer.from('hello world!') });
  const orig = Buffer.from(f);
  s.sw.receive(1, f);
  assert.deepEqual(f, orig, 'the received frame is not modified in place');
  const p = parsePacket(s.out.get(2)![0]!);
  assert.equal(p.eth.src, '02:aa:00:00:00:01');
  assert.equal(p.ipv4!.src, '192.0.2.7');
  assert.equal(p.ipv4!.dst, '198.51.100.9');
  assert.equal(p.tcp!.srcPort, 40000);
  assert.equal(p.tcp!.dstPort, 8080);
  assert.deepEqual(verifyChecksums(p), { valid: true, ipv4: 'ok', tcp: 'ok' });
});

test('NAT on UDP (checksum kept valid) and ICMP type rewrite; UDP zero checksum stays zero', () => {
  const s = makeSwitch();
  s.ok({ match: m(['eth_type', 0x800], ['ip_proto', 17]), instructions: [apply(setf('ipv4_dst', '10.9.9.9'), setf('udp_dst', 5353), out(2))] });
  s.ok({ match: m(['eth_type', 0x800], ['ip_proto', 1]), instructions: [apply(setf('icmpv4_type', 0), setf('ipv4_src', '10.1.1.1'), out(3))] });
  s.sw.receive(1, udpPacket({ ...H, srcPort: 1, dstPort: 53, data: Buffer.from('abc') }));
  const u = parsePacket(s.out.get(2)![0]!);
  assert.equal(u.udp!.dstPort, 5353);
  assert.equal(verifyChecksums(u).valid, true);
  const z = udpPacket({ ...H, srcPort: 1, dstPort: 53 });
  z.writeUInt16BE(0, 14 + 20 + 6);
  s.sw.receive(1, z);
  const u2 = parsePacket(s.out.get(2)![1]!);
  assert.equal(u2.udp!.checksum, 0);
  assert.equal(verifyChecksums(u2).ipv4, 'ok');
  s.sw.receive(1, icmpEchoRequest({ ...H, id: 1, seq: 1, data: Buffer.from('ping') }));
  const i = parsePacket(s.out.get(3)![0]!);
  assert.equal(i.icmp!.type, 0);
  assert.equal(verifyChecksums(i).valid, true);
});

test('IPv6 address rewrite keeps the TCP checksum valid; dec_nw_ttl on IPv6', () => {
  const s = makeSwitch();
  s.ok({ match: m(['eth_type', 0x86dd]), instructions: [apply(setf('ipv6_dst', '2001:db8::99'), { type: 'dec_nw_ttl' }, out(2))] });
  s.sw.receive(1, tcpSegment({ srcMac: H.srcMac, dstMac: H.dstMac, srcIp: '2001:db8::1', dstIp: '2001:db8::2', srcPort: 1, dstPort: 2, data: Buffer.from('x') }));
  const p = parsePacket(s.out.get(2)![0]!);
  assert.equal(p.ipv6!.dst, '2001:db8::99');
  assert.equal(p.ipv6!.hopLimit, 63);
  assert.equal(verifyChecksums(p).valid, true);
});

test('VLAN push (OFPVID_PRESENT), set vid/pcp, pop; match on vlan_vid', () => {
  const s = makeSwitch();
  s.ok({ match: m(['in_port', 1]), instructions: [apply({ type: 'push_vlan', ethertype: 0x8100 }, setf('vlan_vid', 0x1000 | 100), setf('vlan_pcp', 5), out(2))] });
  s.ok({ match: m(['in_port', 2], ['vlan_vid', 0x1000 | 100]), instructions: [apply({ type: 'pop_vlan' }, out(3))] });
  s.ok({ match: m(['in_port', 3], ['vlan_vid', 0x1000, 0x1000]), instructions: [apply(out(4))] });
  s.ok({ match: m(['in_port', 3], ['vlan_vid', 0]), instructions: [apply(out(1))] });
  const f = udpPacket({ ...H, srcPort: 1, dstPort: 2 });
  s.sw.receive(1, f);
  const tagged = s.out.get(2)![0]!;
  const p = parsePacket(tagged);
  assert.deepEqual(p.vlans, [{ tpid: 0x8100, pcp: 5, dei: false, vid: 100 }]);
  assert.equal(p.ipv4!.dst, H.dstIp);
  s.sw.receive(2, tagged);
  assert.deepEqual(s.out.get(3)![0], f, 'pop restores the original frame');
  s.sw.receive(3, tagged);
  s.sw.receive(3, f);
  assert.equal(s.out.get(4)!.length, 1);
  assert.equal(s.out.get(1)!.length, 1);
});

test('802.1ad push and the flow prerequisites of VLAN actions', () => {
  const s = makeSwitch();
  s.ok({ match: m(['in_port', 1]), instructions: [apply({ type: 'push_vlan', ethertype: 0x88a8 }, setf('vlan_vid', 0x1007), out(2))] });
  s.sw.receive(1, udpPacket({ ...H, srcPort: 1, dstPort: 2 }));
  const p = parsePacket(s.out.get(2)![0]!);
  assert.equal(p.vlans[0]!.tpid, 0x88a8);
  assert.equal(p.vlans[0]!.vid, 7);
  assert.deepEqual(errorOf(s.mod({ instructions: [apply({ type: 'pop_vlan' })] })), [2, 10]);
  assert.deepEqual(errorOf(s.mod({ instructions: [apply(setf('vlan_vid', 0x1005))] })), [2, 10]);
  assert.deepEqual(errorOf(s.mod({ instructions: [apply({ type: 'push_vlan', ethertype: 0x0800 })] })), [2, 5]);
});

test('dec_nw_ttl: decrements with checksum; TTL 1 stops the packet', () => {
  const s = makeSwitch();
  s.ok({ match: m(['eth_type', 0x800]), instructions: [apply({ type: 'dec_nw_ttl' }, out(2))] });
  s.sw.receive(1, udpPacket({ ...H, srcPort: 1, dstPort: 2, ttl: 9 }));
  const p = parsePacket(s.out.get(2)![0]!);
  assert.equal(p.ipv4!.ttl, 8);
  assert.equal(verifyChecksums(p).valid, true);
  s.sw.receive(1, udpPacket({ ...H, srcPort: 1, dstPort: 2, ttl: 1 }));
  assert.equal(s.out.get(2)!.length, 1);
  assert.deepEqual(errorOf(s.mod({ instructions: [apply({ type: 'dec_nw_ttl' })] })), [2, 10]);
});

test('MPLS push then pop restores the IPv4 packet', () => {
  const s = makeSwitch();
  s.ok({ match: m(['in_port', 1], ['eth_type', 0x800]), instructions: [apply({ type: 'push_mpls', ethertype: 0x8847 }, setf('mpls_label', 1234), out(2))] });
  s.ok({ match: m(['in_port', 2], ['eth_type', 0x8847], ['mpls_label', 1234]), instructions: [apply({ type: 'pop_mpls', ethertype: 0x0800 }, out(3))] });
  const f = udpPacket({ ...H, srcPort: 1, dstPort: 2, ttl: 33 });
  s.sw.receive(1, f);
  const mp = s.out.get(2)![0]!;
  assert.equal(mp.readUInt16BE(12), 0x8847);
  assert.equal(mp.readUInt32BE(14) >>> 12, 1234);
  assert.equal((mp.readUInt32BE(14) >>> 8) & 1, 1, 'bottom of stack');
  assert.equal(mp[17], 33, 'MPLS TTL copied from IP');
  s.sw.receive(2, mp);
  assert.deepEqual(s.out.get(3)![0], f);
});

test('set_field errors as OVS: read-only field, prerequisites missing', () => {
  const s = makeSwitch();
  assert.deepEqual(errorOf(s.mod({ instructions: [apply(setf('ipv4_src', '1.2.3.4'))] })), [2, 10]);
  assert.deepEqual(errorOf(s.mod({ match: m(['eth_type', 0x800]), instructions: [apply(setf('tcp_src', 5))] })), [2, 10]);
  assert.deepEqual(errorOf(s.mod({ instructions: [apply(setf('in_port', 3))] })), [2, 15]);
  assert.deepEqual(errorOf(s.mod({ instructions: [apply(out(0xffffffff))] })), [2, 4]);
  assert.deepEqual(errorOf(s.mod({ instructions: [apply({ type: 'group', groupId: 9 })] })), [2, 9]);
  assert.equal(s.mod({ instructions: [apply(setf('metadata', 5n), { type: 'set_queue', queueId: 3 })] }).length, 0);
});

test('output CONTROLLER from apply and from the action set; packet_out to controller has table 0 and cookie all-ones', () => {
  const s = makeSwitch();
  s.ok({ cookie: 5n, tableId: 1, match: [], instructions: [write(out(CONTROLLER, 0xffff))] });
  s.ok({ match: [], instructions: [{ type: 'goto_table', tableId: 1 }] });
  s.sw.receive(1, udpPacket({ ...H, srcPort: 1, dstPort: 2 }));
  const pin = s.async[0] as MessageOf<'packet_in'>;
  assert.deepEqual([pin.reason, pin.tableId, pin.cookie], [1, 1, 5n]);
  s.clear();
  s.send({ type: 'packet_out', bufferId: 0xffffffff, inPort: CONTROLLER, actions: [out(CONTROLLER, 0xffff)], data: buildPacket({ eth: { src: H.srcMac, dst: H.dstMac, etherType: 0x88b5 }, payload: Buffer.alloc(50) }) });
  const p2 = s.async[0] as MessageOf<'packet_in'>;
  assert.deepEqual([p2.reason, p2.tableId, p2.cookie], [1, 0, 0xffffffffffffffffn]);
  assert.deepEqual(p2.match, [{ field: 'in_port', value: CONTROLLER }]);
});
