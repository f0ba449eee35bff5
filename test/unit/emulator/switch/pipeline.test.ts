import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePacket, udpPacket, tcpSegment, arpRequest } from '../../../../src/codec/packet';
import type { MessageOf } from '../../../../src/codec/openflow/types';
import { apply, CONTROLLER, flowStatsReq, goto, m, makeSwitch, out, setf, write } from './helpers';

const A = { srcMac: '00:00:00:00:00:0a', srcIp: '10.0.0.1' };
const B = { dstMac: '00:00:00:00:00:0b', dstIp: '10.0.0.2' };
const udp = (o: Partial<{ srcIp: string; dstIp: string; dstPort: number }> = {}) =>
  udpPacket({ ...A, ...B, srcPort: 1000, dstPort: 53, ...o });

test('highest priority wins; masks on IPv4 and MAC', () => {
  const s = makeSwitch();
  s.ok({ priority: 10, match: [], instructions: [apply(out(2))] });
  s.ok({ priority: 20, match: m(['eth_type', 0x800], ['ipv4_dst', '10.0.0.0', '255.255.255.0']), instructions: [apply(out(3))] });
  s.ok({ priority: 30, match: m(['eth_dst', '00:00:00:00:00:00', '01:00:00:00:00:00'], ['eth_type', 0x800], ['ipv4_dst', '10.0.0.2']), instructions: [apply(out(4))] });
  s.sw.receive(1, udp());
  assert.equal(s.out.get(4)!.length, 1);
  s.clear();
  s.sw.receive(1, udp({ dstIp: '10.0.0.3' }));
  assert.equal(s.out.get(3)!.length, 1);
  s.clear();
  s.sw.receive(1, udp({ dstIp: '10.0.1.3' }));
  assert.equal(s.out.get(2)!.length, 1);
  s.clear();
  s.sw.receive(1, arpRequest({ srcMac: A.srcMac, srcIp: A.srcIp, targetIp: '10.0.0.2' }));
  assert.equal(s.out.get(2)!.length, 1);
});

test('tcp ports match only TCP; in_port match', () => {
  const s = makeSwitch();
  s.ok({ priority: 5, match: m(['in_port', 1], ['eth_type', 0x800], ['ip_proto', 6], ['tcp_dst', 80]), instructions: [apply(out(2))] });
  s.sw.receive(1, tcpSegment({ ...A, ...B, srcPort: 5555, dstPort: 80 }));
  s.sw.receive(1, udp({ dstPort: 80 }));
  s.sw.receive(3, tcpSegment({ ...A, ...B, srcPort: 5555, dstPort: 80 }));
  assert.equal(s.out.get(2)!.length, 1);
});

test('multi-table: goto and metadata, match on metadata in later table', () => {
  const s = makeSwitch();
  s.ok({ tableId: 0, match: m(['in_port', 1]), instructions: [{ type: 'write_metadata', metadata: 0x1234n, mask: 0xffffn }, goto(3)] });
  s.ok({ tableId: 3, match: m(['metadata', 0x34n, 0xffn]), instructions: [apply(out(4))] });
  s.ok({ tableId: 3, priority: 1, match: [], instructions: [apply(out(2))] });
  s.sw.receive(1, udp());
  assert.equal(s.out.get(4)!.length, 1);
  assert.equal(s.out.get(2)!.length, 0);
  s.sw.receive(2, udp());
  assert.equal(s.out.get(4)!.length, 1, 'table 0 miss on port 2 drops');
});

test('write_actions vs apply_actions: action set runs at the end; clear_actions empties it', () => {
  const s = makeSwitch();
  s.ok({ tableId: 0, match: [], instructions: [apply(setf('eth_dst', '00:00:00:00:00:99'), out(2)), write(out(3)), goto(1)] });
  s.ok({ tableId: 1, match: [], instructions: [apply(setf('eth_dst', '00:00:00:00:00:77'))] });
  s.sw.receive(1, udp());
  const p2 = parsePacket(s.out.get(2)![0]!);
  const p3 = parsePacket(s.out.get(3)![0]!);
  assert.equal(p2.eth.dst, '00:00:00:00:00:99', 'apply output sees the rewrite so far');
  assert.equal(p3.eth.dst, '00:00:00:00:00:77', 'action-set output runs after table 1');
  s.clear();
  s.ok({ tableId: 1, match: [], instructions: [{ type: 'clear_actions' }] });
  s.sw.receive(1, udp());
  assert.equal(s.out.get(3)!.length, 0);
  assert.equal(s.out.get(2)!.length, 1);
});

test('action set: group supersedes output; write_actions replaces same-type action', () => {
  const s = makeSwitch();
  s.send({ type: 'group_mod', command: 0, groupType: 0, groupId: 1, buckets: [{ weight: 0, watchPort: 0xffffffff, watchGroup: 0xffffffff, actions: [out(4)] }] });
  s.ok({ tableId: 0, match: [], instructions: [write(out(2)), goto(1)] });
  s.ok({ tableId: 1, match: [], instructions: [write(out(3))] });
  s.sw.receive(1, udp());
  assert.deepEqual([s.out.get(2)!.length, s.out.get(3)!.length], [0, 1]);
  s.clear();
  s.ok({ tableId: 1, match: [], instructions: [write(out(3), { type: 'group', groupId: 1 })] });
  s.sw.receive(1, udp());
  assert.deepEqual([s.out.get(3)!.length, s.out.get(4)!.length], [0, 1]);
});

test('table miss drops (OF1.3); a priority-0 catch-all sends to controller with reason NO_MATCH', () => {
  const s = makeSwitch();
  s.sw.receive(1, udp());
  assert.equal(s.async.length, 0);
  for (const f of s.out.values()) assert.equal(f.length, 0);
  s.ok({ priority: 0, cookie: 0x42n, match: [], instructions: [apply(out(CONTROLLER, 0xffff))] });
  s.ok({ priority: 5, cookie: 0x43n, match: m(['in_port', 2]), instructions: [apply(out(CONTROLLER, 0xffff))] });
  const f = udp();
  s.sw.receive(1, f);
  s.sw.receive(2, f);
  const [a, b] = s.async as MessageOf<'packet_in'>[];
  assert.equal(a!.reason, 0);
  assert.equal(a!.cookie, 0x42n);
  assert.deepEqual(a!.match, [{ field: 'in_port', value: 1 }]);
  assert.deepEqual(a!.data, f);
  assert.equal(b!.reason, 1);
  assert.equal(b!.cookie, 0x43n);
});

test('output to the input port is skipped unless OFPP_IN_PORT; FLOOD and ALL exclude the input port', () => {
  const s = makeSwitch();
  s.ok({ match: m(['in_port', 1]), instructions: [apply(out(1))] });
  s.sw.receive(1, udp());
  assert.equal(s.out.get(1)!.length, 0);
  s.ok({ match: m(['in_port', 1]), instructions: [apply(out(0xfffffff8))] });
  s.sw.receive(1, udp());
  assert.equal(s.out.get(1)!.length, 1);
  s.clear();
  s.ok({ match: m(['in_port', 2]), instructions: [apply(out(0xfffffffb))] });
  s.sw.receive(2, udp());
  assert.deepEqual([1, 2, 3, 4].map((p) => s.out.get(p)!.length), [1, 0, 1, 1]);
});

test('counters: flow, table and port stats; aggregate', () => {
  const s = makeSwitch();
  s.ok({ match: m(['in_port', 1]), instructions: [apply(out(2))] });
  const f = udp();
  s.sw.receive(1, f);
  s.sw.receive(1, f);
  const r = s.send(flowStatsReq())[0] as MessageOf<'multipart_reply'>;
  assert.equal(r.body.mpType, 'flow');
  const st = (r.body as { stats: { packetCount: bigint; byteCount: bigint }[] }).stats[0]!;
  assert.equal(st.packetCount, 2n);
  assert.equal(st.byteCount, BigInt(2 * f.length));
  const agg = s.send({ type: 'multipart_request', flags: 0, body: { mpType: 'aggregate', tableId: 0xff, outPort: 0xffffffff, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match: [] } })[0] as MessageOf<'multipart_reply'>;
  assert.deepEqual(agg.body, { mpType: 'aggregate', packetCount: 2n, byteCount: BigInt(2 * f.length), flowCount: 1 });
  const ps = s.send({ type: 'multipart_request', flags: 0, body: { mpType: 'port_stats', portNo: 2 } })[0] as MessageOf<'multipart_reply'>;
  assert.equal((ps.body as { stats: { txPackets: bigint }[] }).stats[0]!.txPackets, 2n);
  const ts = s.send({ type: 'multipart_request', flags: 0, body: { mpType: 'table' } })[0] as MessageOf<'multipart_reply'>;
  const t0 = (ts.body as { stats: { lookupCount: bigint; matchedCount: bigint; activeCount: number }[] }).stats;
  assert.equal(t0.length, 254);
  assert.deepEqual([t0[0]!.activeCount, t0[0]!.lookupCount, t0[0]!.matchedCount], [1, 2n, 2n]);
});

test('replaying the same flow_mods in a different order gives the same table', () => {
  const mods = [
    { priority: 10, match: m(['in_port', 1]), instructions: [apply(out(2))] },
    { priority: 20, match: m(['eth_type', 0x800], ['ipv4_src', '10.0.0.0', '255.0.0.0']), instructions: [apply(out(3))] },
    { priority: 10, match: m(['in_port', 1]), instructions: [apply(out(4))], command: 1 },
    { tableId: 2, priority: 5, match: [], instructions: [apply(out(1))] },
    { priority: 30, match: m(['eth_dst', '00:00:00:00:00:0b']), instructions: [goto(2)] },
  ];
  const dump = (order: number[]) => {
    const s = makeSwitch();
    // modify must come after its add in both orders: keep 0 before 2
    for (const i of order) s.ok(mods[i]!);
    const r = s.send(flowStatsReq())[0] as MessageOf<'multipart_reply'>;
    const stats = (r.body as { stats: { tableId: number; priority: number; match: unknown; instructions: unknown }[] }).stats;
    return stats
      .map((x) => JSON.stringify({ t: x.tableId, p: x.priority, m: x.match, i: x.instructions }))
      .sort();
  };
  assert.deepEqual(dump([0, 1, 2, 3, 4]), dump([4, 3, 0, 1, 2]));
  assert.deepEqual(dump([0, 1, 2, 3, 4]), dump([1, 0, 4, 2, 3]));
});

test('barrier replies after the preceding messages took effect', () => {
  const s = makeSwitch();
  const r1 = s.send({ type: 'flow_mod', ...fmBase(), xid: 7 });
  const r2 = s.send({ type: 'barrier_request', xid: 8 });
  assert.deepEqual(r1, []);
  assert.deepEqual(r2, [{ type: 'barrier_reply', xid: 8 }]);
  s.sw.receive(1, udp());
  assert.equal(s.out.get(2)!.length, 1);
});

function fmBase() {
  return {
    cookie: 0n, cookieMask: 0n, tableId: 0, command: 0, idleTimeout: 0, hardTimeout: 0, priority: 1, bufferId: 0xffffffff,
    outPort: 0xffffffff, outGroup: 0xffffffff, flags: 0, match: [], instructions: [apply(out(2))],
  };
}
