/**
 * The conformance case generator (no OVS needed): enough cases, every family populated, unique names, every setup
 * message encodes and round-trips through the codec, every packet parses, real-packet cases carry their marker; and
 * the OVS oracle's datapath-action interpreter on known trace output.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeMessage } from '../../../src/codec/openflow/message';
import { parsePacket } from '../../../src/codec/packet';
import { allCases, familyCounts, marker } from '../../conformance/cases';
import { applyDatapathActions, datapathActions, splitTop, wireReason } from '../../conformance/oracle-ovs';
import { canonicalVerdict, headerView, roundTrips, verdictsAgree } from '../../conformance/verdict';

const MIN_PER_FAMILY: Record<string, number> = {
  'match-in_port': 5, 'match-eth': 8, 'match-eth_type': 10, 'match-vlan': 20, 'match-ip': 10, 'match-ipv4': 20,
  'match-l4': 20, 'match-icmpv4': 8, 'match-arp': 20, 'match-ipv6': 15, 'match-icmpv6': 8, 'match-nd': 8,
  'match-metadata': 6, 'set-field': 25, 'vlan-push-pop': 12, 'dec-ttl': 8, output: 15, group: 15, pipeline: 15,
  priority: 10, 'table-miss': 8, rejected: 10,
};

describe('conformance cases', () => {
  const cases = allCases();

  it('has at least 200 cases, at least 20 with real packets', () => {
    assert.ok(cases.length >= 200, `${cases.length}`);
    assert.ok(cases.filter((c) => c.real).length >= 20);
  });

  it('populates every family', () => {
    const counts = familyCounts(cases);
    for (const [family, min] of Object.entries(MIN_PER_FAMILY)) {
      assert.ok((counts.get(family) ?? 0) >= min, `${family}: ${counts.get(family) ?? 0} < ${min}`);
    }
    assert.deepEqual([...counts.keys()].sort(), Object.keys(MIN_PER_FAMILY).sort(), 'no family without a minimum');
  });

  it('is deterministic and has unique names', () => {
    const again = allCases();
    assert.deepEqual(again.map((c) => c.name), cases.map((c) => c.name));
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
    for (let i = 0; i < cases.length; i++) assert.ok(again[i]!.packet.equals(cases[i]!.packet), cases[i]!.name);
  });

  it('every message encodes and round-trips through the codec', () => {
    for (const c of cases) {
      for (const msg of c.messages) {
        assert.ok(encodeMessage(msg, 1).length >= 8, c.name);
        assert.ok(roundTrips(msg), `${c.name}: ${msg.type} round-trips`);
      }
    }
  });

  it('every packet parses with valid checksums, in_port is a switch port', () => {
    for (const c of cases) {
      const h = headerView(c.packet);
      assert.ok(h.checksumsOk, c.name);
      assert.ok(c.inPort >= 1 && c.inPort <= 4, c.name);
      parsePacket(c.packet);
    }
  });

  it('real-packet cases carry their own marker', () => {
    for (const c of cases.filter((x) => x.real)) assert.ok(c.packet.includes(marker(c.name)), c.name);
  });
});

describe('OVS datapath actions interpreter', () => {
  const pkt = allCases().find((c) => c.name === 'set-field/napt-tcp-src')!.packet;
  const start = headerView(pkt);
  const ports = new Map<number, number | 'LOCAL'>([[1, 'LOCAL'], [2, 3], [3, 2], [4, 4], [5, 1]]);
  const portOf = (dp: number) => ports.get(dp)!;

  it('finds the datapath actions line and splits at top-level commas', () => {
    assert.equal(datapathActions('Flow: x\nDatapath actions: set(eth(src=02:11:11:11:11:11)),3\n'), 'set(eth(src=02:11:11:11:11:11)),3');
    assert.deepEqual(splitTop('set(ipv4(src=1.2.3.4,tos=0x21)),3,push_vlan(vid=100,pcp=5),2'), ['set(ipv4(src=1.2.3.4,tos=0x21))', '3', 'push_vlan(vid=100,pcp=5)', '2']);
  });

  it('applies sets, masks, vlan push/pop and maps ports', () => {
    const outs = applyDatapathActions(
      'set(eth(src=02:11:11:11:11:11)),set(ipv4(src=1.2.3.4,tos=0x21,ttl=63)),set(tcp(dst=999)),3,push_vlan(tpid=0x88a8,vid=100,pcp=5),2,pop_vlan,set(ipv4(dst=10.0.0.0/255.0.0.0)),4,1',
      start,
      portOf,
    );
    assert.deepEqual(outs.map((o) => o.port), [2, 3, 4, 'LOCAL']);
    const [a, b, c] = outs.map((o) => o.headers);
    assert.equal(a!.eth.src, '02:11:11:11:11:11');
    assert.deepEqual([a!.ipv4!.src, a!.ipv4!.dscp, a!.ipv4!.ecn, a!.ipv4!.ttl, a!.tcp!.dst], ['1.2.3.4', 8, 1, 63, 999]);
    assert.deepEqual(b!.vlans, [{ tpid: 0x88a8, vid: 100, pcp: 5, dei: false }]);
    assert.equal(b!.len, start.len + 4);
    assert.deepEqual(c!.vlans, []);
    assert.equal(c!.ipv4!.dst, `10.${start.ipv4!.dst.split('.').slice(1).join('.')}`);
    assert.equal(start.eth.src, 'a2:00:00:00:00:01', 'the start model is not modified');
  });

  it('turns controller userspace actions into CONTROLLER outputs with the OpenFlow 1.3 reason', () => {
    const outs = applyDatapathActions('userspace(pid=0,controller(reason=6,dont_send=0,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535))', start, portOf);
    // explicit_miss (6): the controller action of a table-miss flow reaches an OpenFlow 1.3 controller as NO_MATCH
    // (what OVS 3.1 sent in test/fixtures/openflow/ovs/packet_in-*.hex); packet_out (5) as ACTION.
    assert.deepEqual(outs.map((o) => [o.port, o.reason]), [['CONTROLLER', 0]]);
    const fromPacketOut = applyDatapathActions('userspace(pid=0,controller(reason=5,dont_send=0,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535))', start, portOf);
    assert.deepEqual(fromPacketOut.map((o) => [o.port, o.reason]), [['CONTROLLER', 1]]);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(wireReason), [0, 1, undefined, 1, 1, 1, 0, undefined]);
    assert.deepEqual(applyDatapathActions('userspace(pid=0,controller(reason=2,dont_send=0)),2', start, portOf).map((o) => o.port), [3], 'no INVALID_TTL packet-in by default');
  });

  it('handles drop and clone, and refuses unknown actions', () => {
    assert.deepEqual(applyDatapathActions('drop', start, portOf), []);
    const outs = applyDatapathActions('clone(set(eth(dst=ff:ff:ff:ff:ff:ff)),2),3', start, portOf);
    assert.deepEqual(outs.map((o) => [o.port, o.headers.eth.dst]), [[3, 'ff:ff:ff:ff:ff:ff'], [2, start.eth.dst]]);
    assert.throws(() => applyDatapathActions('ct(commit),2', start, portOf), /unsupported/);
  });

  it('compares verdicts per port, order kept within a port', () => {
    const h = start;
    const a = { kind: 'forwarded' as const, outputs: [{ port: 3, headers: h }, { port: 2, headers: h }] };
    const b = { kind: 'forwarded' as const, outputs: [{ port: 2, headers: h }, { port: 3, headers: h }] };
    assert.ok(verdictsAgree(a, b));
    const h2 = { ...h, eth: { ...h.eth, dst: 'ff:ff:ff:ff:ff:ff' } };
    const c = { kind: 'forwarded' as const, outputs: [{ port: 2, headers: h }, { port: 2, headers: h2 }] };
    const d = { kind: 'forwarded' as const, outputs: [{ port: 2, headers: h2 }, { port: 2, headers: h }] };
    assert.ok(!verdictsAgree(c, d));
    assert.notEqual(canonicalVerdict({ kind: 'rejected', errors: [{ index: 0, type: 'flow_mod', errType: 4, code: 9 }] }), canonicalVerdict({ kind: 'forwarded', outputs: [] }));
  });
});
