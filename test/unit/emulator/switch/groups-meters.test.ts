import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePacket, udpPacket } from '../../../../src/codec/packet';
import type { Bucket, MessageOf, OfpMessage } from '../../../../src/codec/openflow/types';
import { apply, errorOf, m, makeSwitch, out, setf } from './helpers';

const H = { srcMac: '00:00:00:00:00:0a', dstMac: '00:00:00:00:00:0b', srcIp: '10.0.0.1', dstIp: '10.0.0.2' };
const ANY = 0xffffffff;
const bucket = (actions: Bucket['actions'], o: Partial<Bucket> = {}): Bucket => ({ weight: 0, watchPort: ANY, watchGroup: ANY, actions, ...o });
const gm = (o: Partial<MessageOf<'group_mod'>>): OfpMessage => ({ type: 'group_mod', command: 0, groupType: 0, groupId: 1, buckets: [], ...o });

test('group ALL clones the packet per bucket; bucket rewrites do not leak', () => {
  const s = makeSwitch();
  assert.deepEqual(s.send(gm({ buckets: [bucket([setf('eth_dst', '00:00:00:00:00:22'), out(2)]), bucket([out(3)])] })), []);
  s.ok({ match: m(['in_port', 1]), instructions: [apply({ type: 'group', groupId: 1 }, out(4))] });
  s.sw.receive(1, udpPacket({ ...H, srcPort: 1, dstPort: 2 }));
  assert.equal(parsePacket(s.out.get(2)![0]!).eth.dst, '00:00:00:00:00:22');
  assert.equal(parsePacket(s.out.get(3)![0]!).eth.dst, H.dstMac);
  assert.equal(parsePacket(s.out.get(4)![0]!).eth.dst, H.dstMac);
  const st = s.send({ type: 'multipart_request', flags: 0, body: { mpType: 'group', groupId: 0xfffffffc } })[0] as MessageOf<'multipart_reply'>;
  const g = (st.body as { stats: { refCount: number; packetCount: bigint; buckets: { packetCount: bigint }[] }[] }).stats[0]!;
  assert.deepEqual([g.refCount, g.packetCount, g.buckets[0]!.packetCount, g.buckets[1]!.packetCount], [1, 1n, 1n, 1n]);
});

test('group SELECT: deterministic per flow, spreads flows, respects weights and liveness', () => {
  const s = makeSwitch();
  s.send(gm({ groupType: 1, buckets: [bucket([out(2)], { weight: 1 }), bucket([out(3)], { weight: 3 })] }));
  s.ok({ match: m(['in_port', 1]), instructions: [apply({ type: 'group', groupId: 1 })] });
  for (let i = 0; i < 400; i++) s.sw.receive(1, udpPacket({ ...H, srcPort: 1000 + i, dstPort: 80 }));
  const a = s.out.get(2)!.length;
  const b = s.out.get(3)!.length;
  assert.equal(a + b, 400);
  assert.ok(b > 2 * a && a > 40, `weights 1:3 -> ${a}:${b}`);
  s.clear();
  for (let i = 0; i < 5; i++) s.sw.receive(1, udpPacket({ ...H, srcPort: 7, dstPort: 80 }));
  assert.ok(s.out.get(2)!.length === 5 || s.out.get(3)!.length === 5, 'same flow, same bucket');
  s.clear();
  s.send(gm({ command: 1, groupType: 1, buckets: [bucket([out(2)], { weight: 1 }), bucket([out(3)], { weight: 3, watchPort: 3 })] }));
  s.links.get(3)!.up = false;
  s.sw.port(3)!.carrierChanged(false);
  for (let i = 0; i < 50; i++) s.sw.receive(1, udpPacket({ ...H, srcPort: 1000 + i, dstPort: 80 }));
  assert.equal(s.out.get(2)!.length, 50, 'dead bucket skipped');
});

test('group INDIRECT and FAST_FAILOVER following port liveness', () => {
  const s = makeSwitch();
  s.send(gm({ groupId: 5, groupType: 2, buckets: [bucket([out(4)])] }));
  s.send(gm({ groupId: 6, groupType: 3, buckets: [bucket([out(2)], { watchPort: 2 }), bucket([out(3)], { watchPort: 3 })] }));
  s.ok({ match: m(['in_port', 1]), instructions: [apply({ type: 'group', groupId: 6 })] });
  s.ok({ match: m(['in_port', 4]), instructions: [apply({ type: 'group', groupId: 5 })] });
  s.sw.receive(4, udpPacket({ ...H, srcPort: 1, dstPort: 2 }));
  assert.equal(s.out.get(4)!.length, 0, 'indirect -> port 4 == in_port, skipped');
  s.sw.receive(1, udpPacket({ ...H, srcPort: 1, dstPort: 2 }));
  assert.equal(s.out.get(2)!.length, 1);
  s.sw.port(2)!.carrierChanged(false);
  s.sw.receive(1, udpPacket({ ...H, srcPort: 1, dstPort: 2 }));
  assert.equal(s.out.get(3)!.length, 1, 'failover to port 3');
  s.sw.setPortAdmin(3, false);
  s.sw.receive(1, udpPacket({ ...H, srcPort: 1, dstPort: 2 }));
  assert.equal(s.out.get(3)!.length, 1, 'no live bucket: drop');
  s.sw.port(2)!.carrierChanged(true);
  s.sw.receive(1, udpPacket({ ...H, srcPort: 1, dstPort: 2 }));
  assert.equal(s.out.get(2)!.length, 2, 'back to the primary');
});

test('group_mod errors as OVS and delete removes flows using the group', () => {
  const s = makeSwitch();
  assert.deepEqual(s.send(gm({ buckets: [bucket([out(1)])] })), []);
  assert.deepEqual(errorOf(s.send(gm({ buckets: [bucket([out(1)])] }))), [6, 0]);
  assert.deepEqual(errorOf(s.send(gm({ command: 1, groupId: 9 }))), [6, 8]);
  assert.deepEqual(s.send(gm({ command: 2, groupId: 9 })), []);
  assert.deepEqual(errorOf(s.send(gm({ groupId: 0xffffff01 }))), [6, 1]);
  assert.deepEqual(errorOf(s.send(gm({ groupId: 2, groupType: 7 }))), [6, 10]);
  assert.deepEqual(errorOf(s.send(gm({ groupId: 3, groupType: 2, buckets: [bucket([out(1)]), bucket([out(2)])] }))), [6, 1]);
  assert.deepEqual(errorOf(s.send(gm({ groupId: 5, groupType: 3, buckets: [bucket([out(1)])] }))), [6, 1]);
  assert.deepEqual(errorOf(s.send(gm({ groupId: 7, buckets: [bucket([out(1)], { weight: 1 })] }))), [6, 1]);
  assert.deepEqual(errorOf(s.send(gm({ groupId: 8, buckets: [bucket([out(1)], { watchPort: 1 })] }))), [6, 6]);
  assert.deepEqual(s.send(gm({ groupId: 4, buckets: [bucket([{ type: 'group', groupId: 99 }])] })), [], 'chaining to an unknown group is accepted');
  s.ok({ flags: 1, cookie: 3n, match: m(['in_port', 2]), instructions: [apply({ type: 'group', groupId: 1 })] });
  s.ok({ match: m(['in_port', 3]), instructions: [apply(out(1))] });
  s.send(gm({ command: 2, groupId: 0xfffffffc }));
  const fr = s.async.find((x) => x.type === 'flow_removed') as MessageOf<'flow_removed'>;
  assert.equal(fr.reason, 3, 'OFPRR_GROUP_DELETE');
  const desc = s.send({ type: 'multipart_request', flags: 0, body: { mpType: 'group_desc' } })[0] as MessageOf<'multipart_reply'>;
  assert.deepEqual(desc.body, { mpType: 'group_desc', groups: [] });
});

test('meter drop band (kbps) limits the rate on virtual time; stats and config', () => {
  const s = makeSwitch();
  // 800 kbps = 100 kB/s, burst 80 kbit = 10 kB.
  assert.deepEqual(s.send({ type: 'meter_mod', command: 0, flags: 1 | 4 | 8, meterId: 1, bands: [{ type: 'drop', rate: 800, burstSize: 80 }] }), []);
  s.ok({ match: m(['in_port', 1]), instructions: [{ type: 'meter', meterId: 1 }, apply(out(2))] });
  const f = udpPacket({ ...H, srcPort: 1, dstPort: 2, data: Buffer.alloc(958) }); // 1000 bytes
  assert.equal(f.length, 1000);
  // 1 s of 1000 packets/s (1 MB/s) -> about 100 kB/s + 10 kB burst pass.
  for (let i = 0; i < 1000; i++) {
    s.clock.advance(1);
    s.sw.receive(1, f);
  }
  const passed = s.out.get(2)!.length;
  assert.ok(passed >= 105 && passed <= 115, `passed ${passed}`);
  const st = s.send({ type: 'multipart_request', flags: 0, body: { mpType: 'meter', meterId: 0xffffffff } })[0] as MessageOf<'multipart_reply'>;
  const ms = (st.body as { stats: { flowCount: number; packetInCount: bigint; bands: { packetBandCount: bigint }[] }[] }).stats[0]!;
  assert.equal(ms.flowCount, 1);
  assert.equal(ms.packetInCount, 1000n);
  assert.equal(ms.bands[0]!.packetBandCount, BigInt(1000 - passed));
  const cfg = s.send({ type: 'multipart_request', flags: 0, body: { mpType: 'meter_config', meterId: 1 } })[0] as MessageOf<'multipart_reply'>;
  assert.deepEqual(cfg.body, { mpType: 'meter_config', configs: [{ flags: 13, meterId: 1, bands: [{ type: 'drop', rate: 800, burstSize: 80 }] }] });
});

test('meter pktps band and meter_mod errors; deleting a meter deletes its flows', () => {
  const s = makeSwitch();
  assert.deepEqual(s.send({ type: 'meter_mod', command: 0, flags: 2, meterId: 2, bands: [{ type: 'drop', rate: 10, burstSize: 0 }] }), []);
  s.ok({ match: m(['in_port', 1]), instructions: [{ type: 'meter', meterId: 2 }, apply(out(2))] });
  for (let i = 0; i < 100; i++) {
    s.clock.advance(10); // 100 pkt/s offered, 10 pkt/s allowed, burst 10
    s.sw.receive(1, udpPacket({ ...H, srcPort: 1, dstPort: 2 }));
  }
  const passed = s.out.get(2)!.length;
  assert.ok(passed >= 19 && passed <= 21, `passed ${passed}`);
  const mm = (o: object): OfpMessage => ({ type: 'meter_mod', command: 0, flags: 1, meterId: 3, bands: [{ type: 'drop', rate: 5, burstSize: 0 }], ...o });
  assert.deepEqual(errorOf(s.send(mm({ meterId: 2 }))), [12, 1]);
  assert.deepEqual(errorOf(s.send(mm({ meterId: 0 }))), [12, 2]);
  assert.deepEqual(errorOf(s.send(mm({ bands: [] }))), [12, 11]);
  assert.deepEqual(errorOf(s.send(mm({ bands: [{ type: 'drop', rate: 0, burstSize: 0 }] }))), [12, 6]);
  assert.deepEqual(errorOf(s.send(mm({ flags: 3 }))), [12, 5]);
  assert.deepEqual(errorOf(s.send(mm({ command: 1, meterId: 50 }))), [12, 3]);
  assert.deepEqual(errorOf(s.send(mm({ bands: [{ type: 'dscp_remark', rate: 5, burstSize: 0, precLevel: 1 }] }))), [12, 8]);
  assert.deepEqual(errorOf(s.mod({ instructions: [{ type: 'meter', meterId: 77 }] })), [12, 2]);
  s.send(mm({ command: 2, meterId: 2 }));
  assert.equal(s.sw.tables.size, 0);
});
