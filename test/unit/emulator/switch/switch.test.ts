import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePacket, udpPacket } from '../../../../src/codec/packet';
import type { FlowStats, MessageOf, OfpMessage } from '../../../../src/codec/openflow/types';
import { apply, CONTROLLER, errorOf, flowStatsReq, m, makeSwitch, out, TABLE } from './helpers';

const H = { srcMac: '00:00:00:00:00:0a', dstMac: '00:00:00:00:00:0b', srcIp: '10.0.0.1', dstIp: '10.0.0.2' };
const udp = () => udpPacket({ ...H, srcPort: 1, dstPort: 2, data: Buffer.alloc(200) });
const flows = (s: ReturnType<typeof makeSwitch>) =>
  ((s.send(flowStatsReq())[0] as MessageOf<'multipart_reply'>).body as { stats: FlowStats[] }).stats;

test('flow_mod errors use OVS codes', () => {
  const s = makeSwitch();
  assert.deepEqual(errorOf(s.mod({ match: m(['tcp_dst', 80]) })), [4, 9]);
  assert.deepEqual(errorOf(s.mod({ match: m(['ipv4_dst', '10.0.0.1'], ['eth_type', 0x800]) })), [4, 9], 'prerequisite after the field');
  assert.deepEqual(errorOf(s.mod({ match: m(['vlan_pcp', 3]) })), [4, 9]);
  assert.deepEqual(errorOf(s.mod({ match: m(['eth_type', 0x800], ['ipv4_src', '10.0.0.1', '255.0.0.0']) })), [4, 5]);
  assert.deepEqual(errorOf(s.mod({ match: m(['eth_type', 0x88e7], ['pbb_isid', 5]) })), [4, 6]);
  assert.deepEqual(errorOf(s.mod({ tableId: 255 })), [5, 2]);
  assert.deepEqual(errorOf(s.mod({ tableId: 254 })), [1, 5]);
  assert.deepEqual(errorOf(s.mod({ command: 7 })), [5, 6]);
  assert.deepEqual(errorOf(s.mod({ tableId: 1, instructions: [{ type: 'goto_table', tableId: 1 }] })), [3, 2]);
  assert.equal(s.mod({ match: m(['eth_type', 0x86dd], ['ip_proto', 6], ['tcp_src', 1]) }).length, 0);
  const e = s.mod({ xid: 42, match: m(['tcp_dst', 80]) })[0] as MessageOf<'error'>;
  assert.equal(e.xid, 42);
  assert.equal(e.data.length, 64, 'error data is the request truncated to 64 bytes');
});

test('CHECK_OVERLAP, ADD replaces identical flow keeping counters unless RESET_COUNTS', () => {
  const s = makeSwitch();
  s.ok({ priority: 9, match: m(['in_port', 1]), instructions: [apply(out(2))] });
  s.sw.receive(1, udp());
  assert.deepEqual(errorOf(s.mod({ priority: 9, flags: 2, match: m(['eth_type', 0x800]) })), [5, 3]);
  assert.equal(s.mod({ priority: 9, flags: 2, match: m(['in_port', 2]) }).length, 0);
  assert.equal(s.mod({ priority: 10, flags: 2, match: m(['eth_type', 0x800]) }).length, 0);
  s.ok({ priority: 9, cookie: 7n, match: m(['in_port', 1]), instructions: [apply(out(3))] });
  let f = flows(s).find((x) => x.priority === 9 && x.match.length === 1 && (x.match[0] as { value: number }).value === 1)!;
  assert.equal(f.cookie, 7n);
  assert.equal(f.packetCount, 1n);
  s.ok({ priority: 9, flags: 4, match: m(['in_port', 1]), instructions: [apply(out(3))] });
  f = flows(s).find((x) => x.priority === 9 && (x.match[0] as { value: number }).value === 1)!;
  assert.equal(f.packetCount, 0n);
});

test('MODIFY changes instructions only (cookie filter, no add); DELETE filters by out_port and cookie', () => {
  const s = makeSwitch();
  s.ok({ priority: 5, cookie: 0x10n, match: m(['in_port', 1]), instructions: [apply(out(2))] });
  s.ok({ priority: 6, cookie: 0x20n, match: m(['in_port', 1], ['eth_type', 0x800]), instructions: [apply(out(3))] });
  s.ok({ command: 1, cookie: 0x10n, cookieMask: 0xffn, match: m(['in_port', 1]), instructions: [apply(out(4))] });
  const st = flows(s);
  assert.equal(st.length, 2);
  assert.deepEqual(st.find((x) => x.priority === 5)!.instructions, [apply(out(4))]);
  assert.deepEqual(st.find((x) => x.priority === 6)!.instructions, [apply(out(3))]);
  assert.equal(st.find((x) => x.priority === 5)!.cookie, 0x10n);
  s.ok({ command: 1, match: m(['in_port', 3]), instructions: [apply(out(4))] });
  assert.equal(flows(s).length, 2, 'modify does not add in OF1.3');
  s.ok({ command: 2, priority: 7, match: m(['in_port', 1]), instructions: [apply(out(1))] });
  assert.deepEqual(flows(s).find((x) => x.priority === 5)!.instructions, [apply(out(4))], 'modify_strict needs the priority');
  s.ok({ command: 3, tableId: 255, outPort: 3, match: [] });
  assert.deepEqual(flows(s).map((x) => x.priority), [5]);
  s.ok({ command: 3, tableId: 255, cookie: 0x20n, cookieMask: 0xffn, match: [] });
  assert.equal(flows(s).length, 1);
  s.ok({ command: 4, tableId: 0, priority: 5, match: [] });
  assert.equal(flows(s).length, 1, 'delete_strict needs the exact match');
  s.ok({ command: 4, tableId: 0, priority: 5, match: m(['in_port', 1]) });
  assert.equal(flows(s).length, 0);
});

test('idle and hard timeouts on virtual time send FLOW_REMOVED when flagged', () => {
  const s = makeSwitch();
  s.ok({ priority: 1, cookie: 1n, flags: 1, hardTimeout: 10, match: m(['in_port', 1]), instructions: [apply(out(2))] });
  s.ok({ priority: 2, cookie: 2n, flags: 1, idleTimeout: 3, match: m(['in_port', 2]), instructions: [apply(out(3))] });
  s.ok({ priority: 3, cookie: 3n, flags: 0, idleTimeout: 1, match: m(['in_port', 3]), instructions: [] });
  for (let t = 0; t < 8; t++) {
    s.clock.advance(1000);
    s.sw.receive(2, udp());
    s.sw.receive(1, udp());
  }
  assert.deepEqual(s.async.map((x) => (x as MessageOf<'flow_removed'>).cookie), [], 'flow 3 removed silently, others alive');
  assert.equal(flows(s).length, 2);
  s.clock.advance(2000);
  const hard = s.async[0] as MessageOf<'flow_removed'>;
  assert.deepEqual([hard.cookie, hard.reason, hard.durationSec, hard.packetCount, hard.hardTimeout], [1n, 1, 10, 8n, 10]);
  s.clock.advance(1500);
  const idle = s.async[1] as MessageOf<'flow_removed'>;
  assert.deepEqual([idle.cookie, idle.reason, idle.packetCount], [2n, 0, 8n]);
  assert.equal(idle.durationSec, 11);
  assert.equal(flows(s).length, 0);
});

test('DELETE sends FLOW_REMOVED with reason DELETE', () => {
  const s = makeSwitch();
  s.ok({ priority: 78, cookie: 14n, flags: 1, match: m(['in_port', 3]) });
  s.ok({ command: 4, priority: 78, match: m(['in_port', 3]) });
  const fr = s.async[0] as MessageOf<'flow_removed'>;
  assert.deepEqual([fr.reason, fr.cookie, fr.priority], [2, 14n, 78]);
  assert.deepEqual(fr.match, [{ field: 'in_port', value: 3 }]);
});

test('packet-in with a buffer (nBuffers > 0) and packet_out using that buffer id', () => {
  const s = makeSwitch(3, { nBuffers: 16 });
  s.ok({ priority: 0, match: [], instructions: [apply(out(CONTROLLER, 64))] });
  const f = udp();
  s.sw.receive(1, f);
  const pin = s.async[0] as MessageOf<'packet_in'>;
  assert.notEqual(pin.bufferId, 0xffffffff);
  assert.equal(pin.data.length, 128, 'table-miss uses miss_send_len (128)');
  assert.equal(pin.totalLen, f.length);
  assert.deepEqual(s.send({ type: 'packet_out', bufferId: pin.bufferId, inPort: 1, actions: [out(3)], data: Buffer.alloc(0) }), []);
  assert.deepEqual(s.out.get(3)![0], f, 'the whole buffered packet goes out');
  assert.deepEqual(errorOf(s.send({ type: 'packet_out', bufferId: pin.bufferId, inPort: 1, actions: [out(3)], data: Buffer.alloc(0) })), [1, 8]);
  s.clear();
  s.sw.receive(2, f);
  const pin2 = s.async[0] as MessageOf<'packet_in'>;
  s.clock.advance(6000);
  assert.deepEqual(errorOf(s.send({ type: 'packet_out', bufferId: pin2.bufferId, inPort: 2, actions: [out(3)], data: Buffer.alloc(0) })), [1, 7], 'expired buffer');
  // flow_mod with a buffer id runs the buffered packet through the new flow
  s.clear();
  s.sw.receive(2, f);
  const pin3 = s.async[0] as MessageOf<'packet_in'>;
  s.ok({ priority: 5, bufferId: pin3.bufferId, match: m(['in_port', 2]), instructions: [apply(out(1))] });
  assert.deepEqual(s.out.get(1)![0], f);
});

test('default (OVS): no buffering, whole packet in packet-in', () => {
  const s = makeSwitch();
  s.ok({ priority: 5, match: [], instructions: [apply(out(CONTROLLER, 20))] });
  s.sw.receive(1, udp());
  const pin = s.async[0] as MessageOf<'packet_in'>;
  assert.equal(pin.bufferId, 0xffffffff);
  assert.equal(pin.data.length, udp().length);
  assert.deepEqual(errorOf(s.send({ type: 'packet_out', bufferId: 5, inPort: CONTROLLER, actions: [out(1)], data: Buffer.alloc(0) })), [1, 8]);
  assert.deepEqual(errorOf(s.send({ type: 'packet_out', bufferId: 0xffffffff, inPort: 0xfffffffb, actions: [out(1)], data: udp() })), [1, 11]);
});

test('packet_out to OFPP_TABLE runs the pipeline (metadata reaches packet-in match)', () => {
  const s = makeSwitch();
  s.ok({ priority: 3, cookie: 9n, match: m(['in_port', CONTROLLER]), instructions: [{ type: 'write_metadata', metadata: 0x55n, mask: 0xffffn }, { type: 'goto_table', tableId: 2 }] });
  s.ok({ tableId: 2, priority: 0, cookie: 10n, match: [], instructions: [apply(out(CONTROLLER, 50))] });
  s.send({ type: 'packet_out', bufferId: 0xffffffff, inPort: CONTROLLER, actions: [out(TABLE)], data: udp() });
  const pin = s.async[0] as MessageOf<'packet_in'>;
  // reason ACTION: OVS reports a packet injected by PACKET_OUT with its packet_out reason, ACTION in OpenFlow 1.3,
  // even when it reaches the controller through a table-miss flow (seen on OVS 3.1 by the conformance suite).
  assert.deepEqual([pin.tableId, pin.cookie, pin.reason], [2, 10n, 1]);
  assert.deepEqual(pin.match, [{ field: 'in_port', value: CONTROLLER }, { field: 'metadata', value: 0x55n }]);
});

test('bundle: atomic commit applies all; a failing commit leaves the table unchanged', () => {
  const s = makeSwitch();
  const ctl = (ctrlType: number, xid: number): OfpMessage => ({ type: 'bundle_control', bundleId: 1, ctrlType, flags: 1, properties: [], xid });
  const add = (message: OfpMessage, xid: number): OfpMessage => ({ type: 'bundle_add', bundleId: 1, flags: 1, message, properties: [], xid });
  const fmx = (o: Partial<MessageOf<'flow_mod'>>): MessageOf<'flow_mod'> => ({ type: 'flow_mod', cookie: 0n, cookieMask: 0n, tableId: 0, command: 0, idleTimeout: 0, hardTimeout: 0, priority: 1, bufferId: 0xffffffff, outPort: 0xffffffff, outGroup: 0xffffffff, flags: 0, match: [], instructions: [], ...o });
  assert.equal((s.send(ctl(0, 1))[0] as MessageOf<'bundle_control'>).ctrlType, 1);
  assert.deepEqual(s.send(add(fmx({ priority: 1, match: m(['in_port', 1]), instructions: [apply(out(2))] }), 2)), []);
  assert.deepEqual(s.send(add(fmx({ priority: 2, match: m(['in_port', 2]) }), 3)), []);
  assert.equal(flows(s).length, 0, 'nothing applied before commit');
  assert.equal((s.send(ctl(4, 4))[0] as MessageOf<'bundle_control'>).ctrlType, 5);
  assert.equal(flows(s).length, 2);
  // failing bundle: a delete, an add, then a flow referencing a missing group
  s.send(ctl(0, 5));
  s.send(add(fmx({ command: 3, tableId: 255 }), 6));
  s.send(add(fmx({ priority: 9, match: m(['in_port', 3]) }), 7));
  s.send(add(fmx({ priority: 10, instructions: [apply({ type: 'group', groupId: 77 })] }), 8));
  const r = s.send(ctl(4, 9));
  assert.deepEqual(r.map((x) => [x.type, x.xid]), [['error', 8], ['error_experimenter', 9]]);
  assert.deepEqual(errorOf(r), [2, 9]);
  assert.deepEqual(flows(s).map((x) => x.priority).sort(), [1, 2], 'table unchanged');
  s.sw.receive(1, udp());
  assert.equal(s.out.get(2)!.length, 1, 'old flows still forward');
  // a bad match is refused at add time
  s.send(ctl(0, 10));
  assert.deepEqual(errorOf(s.send(add(fmx({ match: m(['tcp_dst', 1]) }), 11))), [4, 9]);
  assert.equal(s.send(ctl(6, 12))[0]!.type, 'bundle_control');
  assert.equal(s.send(ctl(4, 13))[0]!.type, 'error_experimenter', 'discarded bundle is gone');
});

test('port status on addPort, carrier change, admin down, port_mod and removePort', () => {
  const s = makeSwitch(2);
  s.sw.addPort(7, 'p7', '02:00:00:00:00:07');
  const add = s.async[0] as MessageOf<'port_status'>;
  assert.deepEqual([add.reason, add.port.portNo, add.port.state], [0, 7, 1]);
  s.sw.port(1)!.carrierChanged(false);
  const down = s.async[1] as MessageOf<'port_status'>;
  assert.deepEqual([down.reason, down.port.portNo, down.port.state], [2, 1, 1]);
  s.sw.port(1)!.carrierChanged(true);
  assert.equal((s.async[2] as MessageOf<'port_status'>).port.state, 4);
  s.sw.setPortAdmin(2, false);
  assert.equal((s.async[3] as MessageOf<'port_status'>).port.config, 1);
  assert.deepEqual(s.send({ type: 'port_mod', portNo: 2, hwAddr: '02:00:00:00:00:02', config: 0, mask: 1, advertise: 0 }), []);
  assert.equal((s.async[4] as MessageOf<'port_status'>).port.config, 0);
  assert.deepEqual(errorOf(s.send({ type: 'port_mod', portNo: 77, hwAddr: '02:00:00:00:00:02', config: 0, mask: 1, advertise: 0 })), [7, 0]);
  assert.deepEqual(errorOf(s.send({ type: 'port_mod', portNo: 2, hwAddr: '02:00:00:00:00:09', config: 0, mask: 1, advertise: 0 })), [7, 1]);
  s.sw.removePort(7);
  assert.equal((s.async[5] as MessageOf<'port_status'>).reason, 1);
  const pd = s.send({ type: 'multipart_request', flags: 0, body: { mpType: 'port_desc' } })[0] as MessageOf<'multipart_reply'>;
  assert.deepEqual((pd.body as { ports: { portNo: number }[] }).ports.map((p) => p.portNo), [1, 2]);
});

test('fail mode: standalone without controller learns MACs like NORMAL; secure keeps its flows and stays silent', () => {
  const s = makeSwitch(3, { failMode: 'standalone' });
  s.sw.onAsync = null;
  const a2b = udpPacket({ srcMac: '00:00:00:00:00:0a', dstMac: '00:00:00:00:00:0b', srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 1, dstPort: 2 });
  const b2a = udpPacket({ srcMac: '00:00:00:00:00:0b', dstMac: '00:00:00:00:00:0a', srcIp: '10.0.0.2', dstIp: '10.0.0.1', srcPort: 2, dstPort: 1 });
  s.sw.receive(1, a2b);
  assert.deepEqual([1, 2, 3].map((p) => s.out.get(p)!.length), [0, 1, 1], 'unknown destination floods');
  s.sw.receive(2, b2a);
  assert.deepEqual([1, 2, 3].map((p) => s.out.get(p)!.length), [1, 1, 1], 'learned destination unicast');
  s.sw.receive(1, a2b);
  assert.deepEqual([1, 2, 3].map((p) => s.out.get(p)!.length), [1, 2, 1]);
  assert.equal(s.sw.learnedPort('00:00:00:00:00:0b'), 2);

  const q = makeSwitch(3, { failMode: 'secure' });
  const seen: OfpMessage[] = [];
  q.ok({ priority: 0, match: [], instructions: [apply(out(CONTROLLER, 0xffff))] });
  q.ok({ priority: 5, match: m(['in_port', 1]), instructions: [apply(out(3))] });
  q.sw.onAsync = null;
  q.sw.receive(2, a2b);
  q.sw.receive(1, a2b);
  assert.deepEqual([1, 2, 3].map((p) => q.out.get(p)!.length), [0, 0, 1]);
  assert.equal(seen.length + q.async.length, 0);
});

test('handshake-level messages: features, config, desc, role, async, echo', () => {
  const s = makeSwitch(2);
  const f = s.send({ type: 'features_request', xid: 3 })[0] as MessageOf<'features_reply'>;
  assert.deepEqual([f.datapathId, f.nBuffers, f.nTables, f.capabilities, f.xid], [1n, 0, 254, 79, 3]);
  s.send({ type: 'set_config', flags: 0, missSendLen: 200 });
  assert.deepEqual(s.send({ type: 'get_config_request', xid: 4 }), [{ type: 'get_config_reply', flags: 0, missSendLen: 200, xid: 4 }]);
  assert.deepEqual(s.send({ type: 'echo_request', data: Buffer.from('hi'), xid: 5 }), [{ type: 'echo_reply', data: Buffer.from('hi'), xid: 5 }]);
  assert.deepEqual(s.send({ type: 'role_request', role: 2, generationId: 5n, xid: 6 }), [{ type: 'role_reply', role: 2, generationId: 5n, xid: 6 }]);
  assert.deepEqual(errorOf(s.send({ type: 'role_request', role: 3, generationId: 4n })), [11, 0]);
  s.send({ type: 'role_request', role: 3, generationId: 6n });
  assert.deepEqual(errorOf(s.mod({})), [1, 10]);
  const ga = s.send({ type: 'get_async_request', xid: 7 })[0] as MessageOf<'get_async_reply'>;
  assert.deepEqual(ga.packetInMask, [3, 0]);
  const d = s.send({ type: 'multipart_request', flags: 0, body: { mpType: 'desc' } })[0] as MessageOf<'multipart_reply'>;
  assert.equal((d.body as { hwDesc: string }).hwDesc, 'Open vSwitch');
});

test('large flow stats replies are split into REPLY_MORE parts', () => {
  const s = makeSwitch(1, { nTables: 4 });
  for (let i = 0; i < 1500; i++) s.ok({ priority: 100, match: m(['eth_type', 0x800], ['ipv4_dst', `10.${i >> 8}.${i & 255}.1`]), instructions: [apply(out(1))] });
  const parts = s.send(flowStatsReq({ tableId: 0 })) as MessageOf<'multipart_reply'>[];
  assert.ok(parts.length > 1);
  assert.deepEqual(parts.map((p) => p.flags), [...parts.slice(1).map(() => 1), 0]);
  const n = parts.reduce((a, p) => a + (p.body as { stats: unknown[] }).stats.length, 0);
  assert.equal(n, 1500);
  void parsePacket;
});
