import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, MESSAGE_TYPE_NUMBERS } from '../../../../src/codec/openflow/message';
import type { OfpMessage, OfpMessageType } from '../../../../src/codec/openflow/types';
import { MESSAGES } from './samples';

function label(m: OfpMessage): string {
  return m.type === 'multipart_request' || m.type === 'multipart_reply' ? `${m.type}/${m.body.mpType}` : m.type;
}

test('samples cover every message type', () => {
  const covered = new Set(MESSAGES.map((m) => m.type));
  const all = Object.keys(MESSAGE_TYPE_NUMBERS) as OfpMessageType[];
  assert.deepEqual(all.filter((t) => !covered.has(t)), []);
});

for (const m of MESSAGES) {
  test(`round trip ${label(m)} xid=${m.xid}`, () => {
    const bytes = encodeMessage(m);
    assert.equal(bytes.readUInt16BE(2), bytes.length, 'header length');
    assert.equal(bytes[0], 4);
    assert.equal(bytes.readUInt32BE(4), m.xid);
    const decoded = decodeMessage(bytes);
    assert.deepEqual(decoded, m);
    assert.deepEqual(encodeMessage(decoded), bytes);
  });
}

test('xid: argument beats msg.xid beats 0', () => {
  assert.equal(encodeMessage({ type: 'barrier_request' }).readUInt32BE(4), 0);
  assert.equal(encodeMessage({ type: 'barrier_request', xid: 5 }).readUInt32BE(4), 5);
  assert.equal(encodeMessage({ type: 'barrier_request', xid: 5 }, 0xffffffff).readUInt32BE(4), 0xffffffff);
});

test('encodeMessage returns independent buffers', () => {
  const a = encodeMessage({ type: 'echo_request', data: Buffer.from('aaaa') });
  const b = encodeMessage({ type: 'echo_request', data: Buffer.from('bbbb') });
  assert.equal(a.subarray(8).toString(), 'aaaa');
  assert.equal(b.subarray(8).toString(), 'bbbb');
});

test('decoded payloads do not alias the input buffer', () => {
  const bytes = encodeMessage({ type: 'echo_request', data: Buffer.from('abcd') });
  const m = decodeMessage(bytes);
  bytes.fill(0, 8);
  assert.equal(m.type === 'echo_request' && m.data.toString(), 'abcd');
});

test('hello of another version decodes with its version and no bitmap parsing', () => {
  const m = decodeMessage(Buffer.from('01000008000000aa', 'hex'));
  assert.deepEqual(m, { type: 'hello', version: 1, xid: 0xaa });
  // OF1.0 hello with junk body: ignored
  assert.deepEqual(decodeMessage(Buffer.from('0100000c000000aa01020304', 'hex')), { type: 'hello', version: 1, xid: 0xaa });
  // OF1.5 hello with a bitmap
  const h = decodeMessage(Buffer.from('06000010000000010001000800000050', 'hex'));
  assert.deepEqual(h, { type: 'hello', version: 6, versions: [4, 6], xid: 1 });
  assert.deepEqual(encodeMessage(h), Buffer.from('06000010000000010001000800000050', 'hex'));
});

test('hello skips unknown elements and tolerates a missing final pad', () => {
  // unknown element type 7 (len 5, padded to 8), then bitmap without trailing padding
  const hex = '04000018000000010007000501000000' + '00010008' + '00000010';
  const buf = Buffer.from(hex, 'hex');
  buf.writeUInt16BE(buf.length, 2);
  assert.deepEqual(decodeMessage(buf), { type: 'hello', versions: [4], xid: 1 });
});

test('bundle_add: the inner message always carries the outer xid', () => {
  const bytes = encodeMessage(
    { type: 'bundle_add', bundleId: 9, flags: 0, properties: [], message: { type: 'barrier_request', xid: 5 } },
    77,
  );
  assert.equal(bytes.readUInt32BE(4), 77);
  assert.equal(bytes.readUInt32BE(24 + 4), 77);
  const m = decodeMessage(bytes);
  assert.equal(m.type === 'bundle_add' && m.message.xid, 77);
});

test('bundle_add with properties pads the inner message to 8', () => {
  const bytes = encodeMessage({
    type: 'bundle_add',
    bundleId: 1,
    flags: 0,
    properties: [{ type: 0xffff, data: Buffer.from('00abcdef00000001', 'hex') }],
    message: { type: 'echo_request', data: Buffer.from('abc') },
  });
  // 24 (header+exp+bundle) + 11 (echo) + 5 pad + 12 (prop) + 4 pad
  assert.equal(bytes.length, 24 + 11 + 5 + 12 + 4);
  assert.equal(bytes.toString('hex', 40, 44), 'ffff000c');
});
