/**
 * Packet-in reasons as OVS 3.1 reports them to an OpenFlow 1.3 controller: traffic arriving on a port and hitting
 * the table-miss flow (priority 0, empty match) -> NO_MATCH (our golden fixtures captured from OVS show it); the same
 * flow hit by a packet injected with PACKET_OUT to OFPP_TABLE -> ACTION (OVS's packet_out reason, sent as ACTION in
 * 1.3); any other flow's output to CONTROLLER -> ACTION.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPacket } from '../../../../src/codec/packet';
import type { MessageOf } from '../../../../src/codec/openflow/types';
import { makeSwitch } from './helpers';

const CONTROLLER = 0xfffffffd;
const TABLE = 0xfffffff9;
const frame = buildPacket({ eth: { src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:0b' }, ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { srcPort: 1, dstPort: 2 } });
const toController = [{ type: 'apply_actions' as const, actions: [{ type: 'output' as const, port: CONTROLLER, maxLen: 0xffff }] }];

function reasons(async: unknown[]): number[] {
  return (async as MessageOf<'packet_in'>[]).filter((m) => m.type === 'packet_in').map((m) => m.reason);
}

test('table-miss flow hit by port traffic: NO_MATCH', () => {
  const s = makeSwitch();
  s.ok({ priority: 0, match: [], instructions: toController });
  s.sw.receive(1, frame);
  assert.deepEqual(reasons(s.async), [0]);
});

test('table-miss flow hit by a PACKET_OUT to OFPP_TABLE: ACTION, as OVS reports packet_out in OpenFlow 1.3', () => {
  const s = makeSwitch();
  s.ok({ priority: 0, match: [], instructions: toController });
  assert.deepEqual(s.send({ type: 'packet_out', bufferId: 0xffffffff, inPort: 1, actions: [{ type: 'output', port: TABLE, maxLen: 0 }], data: frame }), []);
  assert.deepEqual(reasons(s.async), [1]);
});

test('any other flow that outputs to CONTROLLER: ACTION', () => {
  const s = makeSwitch();
  s.ok({ priority: 5, match: [], instructions: toController });
  s.sw.receive(1, frame);
  assert.deepEqual(reasons(s.async), [1]);
});

test('write_actions is not checked for match consistency (OVS), apply_actions is', () => {
  const s = makeSwitch();
  const vlanMatch = [{ field: 'vlan_vid' as const, value: 0x1000, mask: 0x1000 }];
  // dec_nw_ttl with no IP in the match: refused in apply_actions (MATCH_INCONSISTENT), accepted in write_actions.
  const r = s.mod({ priority: 10, match: vlanMatch, instructions: [{ type: 'apply_actions', actions: [{ type: 'dec_nw_ttl' }] }] });
  assert.equal(r[0]?.type, 'error');
  assert.deepEqual(s.mod({ priority: 10, match: vlanMatch, instructions: [{ type: 'write_actions', actions: [{ type: 'output', port: 3, maxLen: 0 }, { type: 'dec_nw_ttl' }, { type: 'pop_vlan' }] }] }), []);
});
