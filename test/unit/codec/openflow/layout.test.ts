/** Exact byte layouts, computed by hand from the OpenFlow 1.3.5 specification's structures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage } from '../../../../src/codec/openflow/message';
import type { OfpMessage } from '../../../../src/codec/openflow/types';

function hex(s: string): string {
  return s.replace(/\s|\|/g, '');
}

function check(msg: OfpMessage, expected: string): void {
  const want = hex(expected);
  assert.equal(encodeMessage(msg).toString('hex'), want);
  const back = decodeMessage(Buffer.from(want, 'hex'));
  assert.equal(encodeMessage(back).toString('hex'), want);
}

test('HELLO with version bitmap {1.3}', () => {
  // ofp_header | ofp_hello_elem_versionbitmap: type=1 len=8 bitmap=1<<4
  check({ type: 'hello', versions: [4], xid: 1 }, '04 00 0010 00000001 | 0001 0008 00000010');
});

test('HELLO with versions 1.0 and 1.3 and 1.5 (bitmap 0x52), and without elements', () => {
  check({ type: 'hello', versions: [1, 4, 6], xid: 0 }, '04 00 0010 00000000 | 0001 0008 00000052');
  check({ type: 'hello' }, '04 00 0008 00000000');
  // a bitmap spanning two words: version 33 needs the second u32; element length 12, padded to 16
  check({ type: 'hello', versions: [4, 33] }, '04 00 0018 00000000 | 0001 000c 00000010 00000002 00000000');
});

test('ECHO_REQUEST, FEATURES_REQUEST, BARRIER_REQUEST', () => {
  check({ type: 'echo_request', xid: 0x01020304, data: Buffer.from('hi') }, '04 02 000a 01020304 6869');
  check({ type: 'features_request', xid: 7 }, '04 05 0008 00000007');
  check({ type: 'barrier_request', xid: 8 }, '04 14 0008 00000008');
});

test('FEATURES_REPLY', () => {
  check(
    { type: 'features_reply', xid: 2, datapathId: 0x0000000000000abcn, nBuffers: 256, nTables: 254, auxiliaryId: 0, capabilities: 0x47, reserved: 0 },
    '04 06 0020 00000002 | 0000000000000abc | 00000100 | fe | 00 | 0000 | 00000047 | 00000000',
  );
});

test('SET_CONFIG', () => {
  check({ type: 'set_config', xid: 3, flags: 0, missSendLen: 0xffff }, '04 09 000c 00000003 | 0000 ffff');
});

test('ERROR (bad request / bad type) and experimenter error', () => {
  check({ type: 'error', xid: 9, errType: 1, code: 1, data: Buffer.from('0416000800000009', 'hex') }, '04 01 0014 00000009 | 0001 0001 | 0416000800000009');
  check({ type: 'error_experimenter', xid: 9, expType: 2306, experimenter: 0x4f4e4600, data: Buffer.alloc(0) }, '04 01 0010 00000009 | ffff 0902 4f4e4600');
});

test('PACKET_IN with in_port match', () => {
  check(
    { type: 'packet_in', xid: 0, bufferId: 0xffffffff, totalLen: 4, reason: 1, tableId: 2, cookie: 3n, match: [{ field: 'in_port', value: 5 }], data: Buffer.from('deadbeef', 'hex') },
    '04 0a 002e 00000000 | ffffffff 0004 01 02 | 0000000000000003 | 0001 000c 80000004 00000005 00000000 | 0000 | deadbeef',
  );
});

test('PACKET_OUT flooding an unbuffered frame', () => {
  check(
    { type: 'packet_out', xid: 4, bufferId: 0xffffffff, inPort: 0xfffffffd, actions: [{ type: 'output', port: 0xfffffffb, maxLen: 0 }], data: Buffer.from('abcd', 'hex') },
    '04 0d 002a 00000004 | ffffffff fffffffd 0010 000000000000 | 0000 0010 fffffffb 0000 000000000000 | abcd',
  );
});

test('FLOW_MOD: in_port=1 -> apply_actions(output:2)', () => {
  check(
    {
      type: 'flow_mod',
      xid: 5,
      cookie: 0x11n,
      cookieMask: 0n,
      tableId: 0,
      command: 0,
      idleTimeout: 10,
      hardTimeout: 0,
      priority: 0x64,
      bufferId: 0xffffffff,
      outPort: 0xffffffff,
      outGroup: 0xffffffff,
      flags: 1,
      match: [{ field: 'in_port', value: 1 }],
      instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }],
    },
    '04 0e 0058 00000005 | 0000000000000011 0000000000000000 | 00 00 000a 0000 0064 | ffffffff ffffffff ffffffff | 0001 0000 |' +
      '0001 000c 80000004 00000001 00000000 |' +
      '0004 0018 00000000 | 0000 0010 00000002 0000 000000000000',
  );
});

test('MULTIPART_REQUEST port_desc and port_stats', () => {
  check({ type: 'multipart_request', xid: 6, flags: 0, body: { mpType: 'port_desc' } }, '04 12 0010 00000006 | 000d 0000 00000000');
  check({ type: 'multipart_request', xid: 6, flags: 0, body: { mpType: 'port_stats', portNo: 0xffffffff } }, '04 12 0018 00000006 | 0004 0000 00000000 | ffffffff 00000000');
});

test('ROLE_REQUEST', () => {
  check({ type: 'role_request', xid: 1, role: 2, generationId: 5n }, '04 18 0018 00000001 | 00000002 00000000 | 0000000000000005');
});

test('GROUP_MOD with one bucket', () => {
  check(
    { type: 'group_mod', xid: 1, command: 0, groupType: 0, groupId: 1, buckets: [{ weight: 0, watchPort: 0xffffffff, watchGroup: 0xffffffff, actions: [{ type: 'output', port: 1, maxLen: 0 }] }] },
    '04 0f 0030 00000001 | 0000 00 00 00000001 | 0020 0000 ffffffff ffffffff 00000000 | 0000 0010 00000001 0000 000000000000',
  );
});

test('METER_MOD with a drop band', () => {
  check(
    { type: 'meter_mod', xid: 1, command: 0, flags: 1, meterId: 1, bands: [{ type: 'drop', rate: 1000, burstSize: 0 }] },
    '04 1d 0020 00000001 | 0000 0001 00000001 | 0001 0010 000003e8 00000000 00000000',
  );
});

test('ONF BUNDLE_CONTROL open request and BUNDLE_ADD of a barrier', () => {
  check(
    { type: 'bundle_control', xid: 1, bundleId: 1, ctrlType: 0, flags: 1, properties: [] },
    '04 04 0018 00000001 | 4f4e4600 000008fc | 00000001 0000 0001',
  );
  check(
    { type: 'bundle_add', xid: 2, bundleId: 1, flags: 1, properties: [], message: { type: 'barrier_request', xid: 2 } },
    '04 04 0020 00000002 | 4f4e4600 000008fd | 00000001 0000 0001 | 04 14 0008 00000002',
  );
});
