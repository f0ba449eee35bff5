import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { parsePacket, verifyChecksums } from '../../../src/codec/packet';
import { runTrace } from '../../../src/cli/trace-command';
import { isXsiteError } from '../../../src/core/errors';
import { parseFlowFile } from '../../../src/emulator/trace/flow-file';
import { packetFromSpec } from '../../../src/emulator/trace/packet-spec';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const TOPO = path.join(ROOT, 'examples', 'trace', 'nat-topology.yaml');
const FLOWS = path.join(ROOT, 'examples', 'trace', 'nat.flows');

test('the tracer explains the multi-table cross-site NAT path of the example, hop by hop', () => {
  const { trace } = runTrace({ topologyFile: TOPO, flowsFile: FLOWS, from: 'a', packet: 'tcp,nw_dst=192.168.10.7,tp_src=33333,tp_dst=80' });
  assert.deepEqual(trace.hops.map((h) => h.switch), ['gw1', 'gw2']);
  const tables = (i: number) => trace.hops[i]!.result.steps.flatMap((s) => (s.kind === 'table' ? [s.tableId] : []));
  assert.deepEqual(tables(0), [0, 1, 2]);
  assert.deepEqual(tables(1), [0, 1]);
  // On the WAN: the gateways' public addresses and the tuple's port.
  assert.equal(trace.hops[0]!.result.final.ipv4_src, '203.0.113.1');
  assert.equal(trace.hops[0]!.result.final.ipv4_dst, '198.51.100.1');
  assert.equal(trace.hops[0]!.result.final.tcp_src, 40001);
  // Delivered to b with the original headers restored and valid checksums.
  assert.deepEqual(trace.delivered.map((d) => d.host), ['b']);
  const p = parsePacket(trace.delivered[0]!.frame);
  assert.deepEqual([p.ipv4!.src, p.ipv4!.dst, p.tcp!.srcPort, p.tcp!.dstPort, p.eth.dst], ['192.168.10.5', '192.168.10.7', 33333, 80, '02:00:00:00:10:07']);
  assert.equal(verifyChecksums(p).valid, true);
});

test('a packet the flows do not cover is reported as dropped, not delivered', () => {
  const { trace } = runTrace({ topologyFile: TOPO, flowsFile: FLOWS, from: 'a', packet: 'udp,nw_dst=192.168.10.7,tp_dst=53' });
  assert.equal(trace.delivered.length, 0);
  assert.deepEqual(trace.hops.map((h) => h.switch), ['gw1']);
});

test('flow files: bad lines are reported with their line numbers; unknown switches and refused flows too', () => {
  assert.throws(
    () => parseFlowFile('# ok\ns1 table=0,actions=output:1\ns1 table=0,nw_dts=1.2.3.4,actions=drop\nlonely\n', 'x.flows'),
    (e: unknown) => isXsiteError(e, 'FLOW_FILE_INVALID') && /x\.flows:3:/.test((e as Error).message) && /x\.flows:4:/.test((e as Error).message),
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xsite-flows-'));
  try {
    const f = path.join(dir, 'f.flows');
    fs.writeFileSync(f, 'nosuch table=0,actions=drop\n');
    assert.throws(() => runTrace({ topologyFile: TOPO, flowsFile: f, from: 'a', packet: 'udp' }), (e: unknown) => isXsiteError(e, 'FLOW_FILE_UNKNOWN_SWITCH'));
    fs.writeFileSync(f, 'gw1 table=0,actions=group:99\n');
    assert.throws(() => runTrace({ topologyFile: TOPO, flowsFile: f, from: 'a', packet: 'udp' }), (e: unknown) => isXsiteError(e, 'FLOW_FILE_REFUSED') && /:1:/.test((e as Error).message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('packet specs: defaults from the sender, exact values only', () => {
  const d = { ethSrc: '02:00:00:00:00:01', ethDst: 'ff:ff:ff:ff:ff:ff', ipv4Src: '10.0.0.1' };
  const p = parsePacket(packetFromSpec('udp,nw_dst=10.0.0.9,tp_dst=5353,dl_vlan=7', d));
  assert.deepEqual([p.eth.src, p.ipv4!.src, p.ipv4!.dst, p.udp!.dstPort, p.vlans[0]!.vid], ['02:00:00:00:00:01', '10.0.0.1', '10.0.0.9', 5353, 7]);
  const arp = parsePacket(packetFromSpec('arp,arp_tpa=10.0.0.2', d));
  assert.equal(arp.arp!.targetIp, '10.0.0.2');
  assert.throws(() => packetFromSpec('ip,nw_dst=10.0.0.0/8', d), (e: unknown) => isXsiteError(e, 'PACKET_SPEC_MASKED'));
});
