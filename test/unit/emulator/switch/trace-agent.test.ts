import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePacket, tcpSegment, verifyChecksums } from '../../../../src/codec/packet';
import type { FlowStats, MessageOf } from '../../../../src/codec/openflow/types';
import { encodeMessage } from '../../../../src/codec/openflow/message';
import { memoryDuplexPair } from '../../../../src/openflow/memory-duplex';
import { SwitchConnection } from '../../../../src/openflow/connection';
import { formatTrace, OfAgent } from '../../../../src/emulator/switch';
import { apply, CONTROLLER, fm, goto, m, makeSwitch, out, setf, write } from './helpers';

const H = { srcMac: '00:00:00:00:00:0a', dstMac: '00:00:00:00:00:0b', srcIp: '10.0.0.1', dstIp: '10.0.0.2' };

test('tracer on a 3-table NAT path: tables, outputs, final fields, and no state change', () => {
  const s = makeSwitch();
  s.ok({ tableId: 0, priority: 10, cookie: 0xa0n, match: m(['in_port', 1], ['eth_type', 0x800]), instructions: [{ type: 'write_metadata', metadata: 7n, mask: 0xffn }, goto(1)] });
  s.ok({ tableId: 1, priority: 20, cookie: 0xa1n, match: m(['metadata', 7n], ['eth_type', 0x800], ['ip_proto', 6], ['tcp_dst', 80]), instructions: [apply(setf('ipv4_dst', '192.168.1.10'), setf('tcp_dst', 8080)), goto(2)] });
  s.ok({ tableId: 2, priority: 30, cookie: 0xa2n, match: m(['eth_type', 0x800], ['ipv4_dst', '192.168.1.0', '255.255.255.0']), instructions: [write(setf('eth_dst', '02:00:00:00:99:99'), out(3))] });
  const frame = tcpSegment({ ...H, srcPort: 5000, dstPort: 80, data: Buffer.from('GET /') });
  const r = s.sw.trace(1, frame);
  const tables = r.steps.filter((x) => x.kind === 'table');
  assert.deepEqual(tables.map((t) => (t.kind === 'table' ? [t.tableId, t.flow?.cookie] : [])), [[0, 0xa0n], [1, 0xa1n], [2, 0xa2n]]);
  assert.equal(r.outputs.length, 1);
  assert.equal(r.outputs[0]!.port, 3);
  const p = parsePacket(r.outputs[0]!.frame);
  assert.equal(p.ipv4!.dst, '192.168.1.10');
  assert.equal(p.tcp!.dstPort, 8080);
  assert.equal(p.eth.dst, '02:00:00:00:99:99');
  assert.equal(verifyChecksums(p).valid, true);
  assert.equal(r.final.ipv4_dst, '192.168.1.10');
  assert.equal(r.final.tcp_dst, 8080);
  assert.equal(r.final.metadata, 7n);
  assert.equal(r.initial.tcp_dst, 80);
  const text = formatTrace(r);
  assert.match(text, /^Flow: in_port=1/);
  assert.match(text, / 1\. eth_type=0x800,.*metadata=0x7, priority 20, cookie 0xa1/);
  assert.match(text, /Datapath actions: 3/);
  // nothing changed: no transmission, no counters
  assert.equal(s.out.get(3)!.length, 0);
  const st = ((s.send({ type: 'multipart_request', flags: 0, body: { mpType: 'flow', tableId: 255, outPort: 0xffffffff, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match: [] } })[0] as MessageOf<'multipart_reply'>).body as { stats: FlowStats[] }).stats;
  assert.ok(st.every((f) => f.packetCount === 0n));
  // miss and packet-in
  const r2 = s.sw.trace(2, frame);
  assert.deepEqual(r2.drops, ['table 0: no match']);
  s.ok({ priority: 0, match: [], instructions: [apply(out(CONTROLLER, 0xffff))] });
  const r3 = s.sw.trace(2, frame);
  assert.equal(r3.packetIns.length, 1);
  assert.equal(s.async.length, 0, 'trace sends nothing to the controller');
});

test('agent: real controller SwitchConnection handshakes, flows, barrier, multipart, bundle, packet-in', async () => {
  const s = makeSwitch(2);
  s.sw.onAsync = null;
  const agent = new OfAgent(s.sw);
  const [a, b] = memoryDuplexPair();
  agent.attach(a);
  const conn = new SwitchConnection(b, { missSendLen: 0xffff });
  try {
    await new Promise<void>((resolve, reject) => {
      conn.once('ready', resolve);
      conn.once('close', (r) => reject(new Error(`closed: ${r}`)));
    });
    assert.equal(conn.datapathId, 1n);
    assert.equal(conn.nTables, 254);
    assert.deepEqual([...conn.ports.keys()].sort(), [1, 2]);
    assert.equal(agent.connected, true);
    conn.send(fm({ priority: 0, match: [], instructions: [apply(out(CONTROLLER, 0xffff))] }));
    conn.send(fm({ priority: 5, match: m(['in_port', 1]), instructions: [apply(out(2))] }));
    await conn.barrier();
    const flows = await conn.multipart({ mpType: 'flow', tableId: 255, outPort: 0xffffffff, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match: [] });
    assert.equal(flows.stats.length, 2);
    await conn.bundle([fm({ priority: 9, match: m(['in_port', 2], ['eth_type', 0x806]), instructions: [apply(out(1))] })]);
    await assert.rejects(conn.bundle([fm({ priority: 9, instructions: [apply({ type: 'group', groupId: 5 })] })]));
    const after = await conn.multipart({ mpType: 'flow', tableId: 255, outPort: 0xffffffff, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match: [] });
    assert.equal(after.stats.length, 3);
    // an error for a bad flow_mod
    await assert.rejects(conn.request(fm({ match: m(['tcp_dst', 1]) }), 'barrier_reply'), /type 4 code 9/);
    // a malformed message: bad version
    const bad = encodeMessage({ type: 'barrier_request' }, 99);
    bad[0] = 3;
    const err = new Promise<MessageOf<'error'>>((resolve) => conn.on('ofp_error', resolve));
    conn.sendBytes(bad);
    const e = await err;
    assert.deepEqual([e.errType, e.code, e.xid], [1, 0, 99]);
    // packet-in reaches the controller
    const pin = new Promise<MessageOf<'packet_in'>>((resolve) => conn.once('packet_in', resolve));
    s.sw.receive(2, tcpSegment({ ...H, srcPort: 1, dstPort: 2 }));
    const p = await pin;
    assert.deepEqual([p.reason, p.match], [0, [{ field: 'in_port', value: 2 }]]);
  } catch (e) {
    throw e;
  } finally {
    conn.close();
    agent.close();
  }
  assert.equal(s.sw.onAsync, null, 'disconnected: fail mode applies');
});
