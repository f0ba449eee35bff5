import assert from 'node:assert/strict';
import { test } from 'node:test';
import { L2_COOKIE, L2_PRIORITY, learn, type MacTable, tableMissFlow } from '../../../src/apps/l2-learning';
import type { MessageOf } from '../../../src/codec/openflow/types';

const NO_BUFFER = 0xffffffff;
const FLOOD = 0xfffffffb;

function frame(dst: string, src: string): Buffer {
  const b = Buffer.alloc(60);
  Buffer.from(dst.replace(/:/g, ''), 'hex').copy(b, 0);
  Buffer.from(src.replace(/:/g, ''), 'hex').copy(b, 6);
  b.writeUInt16BE(0x0800, 12);
  return b;
}

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

test('unknown destination: learn the source, flood the packet', () => {
  const t: MacTable = new Map();
  const out = learn(t, 1, frame(B, A), NO_BUFFER);
  assert.equal(out.length, 1);
  const po = out[0] as MessageOf<'packet_out'>;
  assert.equal(po.type, 'packet_out');
  assert.deepEqual(po.actions, [{ type: 'output', port: FLOOD, maxLen: 0 }]);
  assert.equal(po.inPort, 1);
  assert.equal(po.data.length, 60);
  assert.equal(t.get(0x02000000000a), 1);
});

test('known destination: a flow (in_port, eth_dst, eth_src) -> port, then the packet itself', () => {
  const t: MacTable = new Map();
  learn(t, 1, frame(B, A), NO_BUFFER);
  const out = learn(t, 2, frame(A, B), NO_BUFFER);
  assert.deepEqual(out.map((m) => m.type), ['flow_mod', 'packet_out']);
  const fm = out[0] as MessageOf<'flow_mod'>;
  assert.equal(fm.cookie, L2_COOKIE);
  assert.equal(fm.priority, L2_PRIORITY.LEARNED);
  assert.deepEqual(fm.match, [
    { field: 'in_port', value: 2 },
    { field: 'eth_dst', value: A },
    { field: 'eth_src', value: B },
  ]);
  assert.deepEqual(fm.instructions, [{ type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] }]);
});

test('buffered packet-in: the flow carries the buffer id and no packet-out is needed', () => {
  const t: MacTable = new Map();
  learn(t, 1, frame(B, A), 5);
  const out = learn(t, 2, frame(A, B), 77);
  assert.deepEqual(out.map((m) => m.type), ['flow_mod']);
  assert.equal((out[0] as MessageOf<'flow_mod'>).bufferId, 77);
});

test('destination on the ingress port: dropped (no hairpin); multicast source not learned; broadcast flooded', () => {
  const t: MacTable = new Map();
  learn(t, 3, frame(B, A), NO_BUFFER);
  assert.deepEqual(learn(t, 3, frame(A, B), NO_BUFFER).filter((m) => m.type === 'flow_mod').length, 0);
  learn(t, 4, frame(A, '01:00:5e:00:00:01'), NO_BUFFER);
  assert.equal(t.has(0x01005e000001), false);
  const bc = learn(t, 1, frame('ff:ff:ff:ff:ff:ff', A), NO_BUFFER);
  assert.equal((bc[0] as MessageOf<'packet_out'>).actions[0]!.type, 'output');
  assert.equal(((bc[0] as MessageOf<'packet_out'>).actions[0] as { port: number }).port, FLOOD);
});

test('runt frames are ignored', () => {
  assert.deepEqual(learn(new Map(), 1, Buffer.alloc(10), NO_BUFFER), []);
});

test('table-miss flow sends everything else to the controller without buffering', () => {
  const f = tableMissFlow();
  assert.equal(f.priority, L2_PRIORITY.TABLE_MISS);
  assert.deepEqual(f.match, []);
  assert.deepEqual(f.instructions, [{ type: 'apply_actions', actions: [{ type: 'output', port: 0xfffffffd, maxLen: 0xffff }] }]);
});
