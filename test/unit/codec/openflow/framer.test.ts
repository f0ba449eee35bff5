import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OFPBRC } from '../../../../src/codec/openflow/constants';
import { OfpDecodeError, OFPET } from '../../../../src/codec/openflow/errors';
import { decodeMessage, encodeMessage, Framer } from '../../../../src/codec/openflow/message';
import { MESSAGES } from './samples';

const stream = Buffer.concat(MESSAGES.map((m) => encodeMessage(m)));
const frames = MESSAGES.map((m) => encodeMessage(m));

function isFraming(e: unknown): boolean {
  return e instanceof OfpDecodeError && e.code === 'OFP_FRAMING' && e.ofpType === OFPET.BAD_REQUEST && e.ofpCode === OFPBRC.BAD_LEN;
}

test('one chunk with many messages', () => {
  const f = new Framer();
  const out = f.push(stream);
  assert.deepEqual(out, frames);
  assert.equal(f.buffered, 0);
});

test('byte by byte', () => {
  const f = new Framer();
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) out.push(...f.push(stream.subarray(i, i + 1)));
  assert.deepEqual(out, frames);
});

test('assorted chunk sizes, including splits inside the header', () => {
  for (const size of [3, 7, 8, 9, 13, 64, 1000]) {
    const f = new Framer();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) {
      out.push(...f.push(stream.subarray(i, i + size)));
      assert.ok(f.buffered < 65536);
    }
    assert.deepEqual(out.map((b) => decodeMessage(b)), MESSAGES, `size ${size}`);
  }
});

test('a 65535-byte message split in two and an empty chunk', () => {
  const big = encodeMessage({ type: 'echo_request', xid: 1, data: Buffer.alloc(65535 - 8, 7) });
  assert.equal(big.length, 65535);
  const f = new Framer();
  assert.deepEqual(f.push(big.subarray(0, 30000)), []);
  assert.deepEqual(f.push(Buffer.alloc(0)), []);
  assert.equal(f.buffered, 30000);
  const out = f.push(Buffer.concat([big.subarray(30000), frames[0]!]));
  assert.equal(out.length, 2);
  assert.deepEqual(out[0], big);
  assert.deepEqual(out[1], frames[0]);
});

test('length below 8 is a framing error, sticky', () => {
  const f = new Framer();
  assert.throws(() => f.push(Buffer.from('0400000400000000', 'hex')), isFraming);
  assert.throws(() => f.push(frames[0]!), isFraming);
  const g = new Framer();
  assert.throws(() => g.push(Buffer.concat([frames[0]!, Buffer.from('0400000000000001', 'hex')])), isFraming);
  // the bad header split across chunks
  const h = new Framer();
  assert.deepEqual(h.push(Buffer.from('040000', 'hex')), []);
  assert.throws(() => h.push(Buffer.from('0700000001', 'hex')), isFraming);
});
