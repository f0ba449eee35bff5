import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isXsiteError } from '../../../src/core/errors';
import { encodeFrame, FrameDecoder } from '../../../src/drivers/channel/framing';
import { decodeEnvelope, encodeEnvelope, errorBody, errorFromBody } from '../../../src/drivers/channel/envelope';
import { channelMac, verifyMac } from '../../../src/drivers/channel/auth';
import { RecentJobResults } from '../../../src/drivers/channel/job-results';
import { XsiteError } from '../../../src/core/errors';

test('frames: 4-byte big-endian length + payload, reassembled across chunks', () => {
  const f = encodeFrame(Buffer.from('hello'));
  assert.deepEqual([...f.subarray(0, 4)], [0, 0, 0, 5]);
  const d = new FrameDecoder();
  const stream = Buffer.concat([f, encodeFrame(Buffer.from('world!')), f]);
  const out: string[] = [];
  for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)).map((b) => b.toString()));
  assert.deepEqual(out, ['hello', 'world!', 'hello']);
  assert.equal(d.buffered, 0);
  assert.deepEqual(new FrameDecoder().push(stream).map((b) => b.toString()), ['hello', 'world!', 'hello']);
});

test('frames: zero and oversized lengths throw CHANNEL_BAD_FRAME, on the header alone', () => {
  assert.throws(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 0])), (e) => isXsiteError(e, 'CHANNEL_BAD_FRAME'));
  const d = new FrameDecoder(10);
  assert.throws(() => d.push(Buffer.from([0, 0, 0, 11])), (e) => isXsiteError(e, 'CHANNEL_BAD_FRAME'));
  assert.throws(() => d.push(Buffer.from([1])), (e) => isXsiteError(e, 'CHANNEL_BAD_FRAME'), 'unusable after a framing error');
  assert.throws(() => encodeFrame(Buffer.alloc(11), 10), (e) => isXsiteError(e, 'CHANNEL_BAD_FRAME'));
  assert.throws(() => encodeFrame(Buffer.alloc(0)), (e) => isXsiteError(e, 'CHANNEL_BAD_FRAME'));
});

test('envelopes: round trip and validation', () => {
  const env = { v: 1, kind: 'job' as const, id: 'j1', dc: 'dc1', body: { a: [1, 'x'] } };
  const f = encodeEnvelope(env);
  assert.deepEqual(decodeEnvelope(f.subarray(4)), env);
  assert.deepEqual(decodeEnvelope(Buffer.from('{"v":1,"kind":"ping","id":"p"}')), { v: 1, kind: 'ping', id: 'p', body: null });
  const bad = ['', 'null', '"s"', '{"v":1,"kind":"ping"}', '{"v":"1","kind":"ping","id":"p"}', '{"v":1,"kind":"x","id":"p"}', `{"v":1,"kind":"ping","id":"${'i'.repeat(300)}"}`, '{"v":1,"kind":"ping","id":"p","dc":5}'];
  for (const b of bad) assert.throws(() => decodeEnvelope(Buffer.from(b)), (e) => isXsiteError(e, 'CHANNEL_BAD_FRAME'), b);
  assert.throws(() => decodeEnvelope(Buffer.from('{"v":2,"kind":"job","id":"p"}')), (e) => isXsiteError(e, 'CHANNEL_VERSION') && e.details?.['id'] === 'p');
  // Handshake kinds are readable in any version.
  assert.equal(decodeEnvelope(Buffer.from('{"v":9,"kind":"hello","id":"h"}')).v, 9);
  const circular: Record<string, unknown> = {};
  circular['self'] = circular;
  assert.throws(() => encodeEnvelope({ v: 1, kind: 'event', id: 'c', body: circular }), (e) => isXsiteError(e, 'CHANNEL_BAD_FRAME'));
});

test('error bodies keep XsiteError codes and details; other errors get a fallback code', () => {
  const b = errorBody(new XsiteError('NAT_EXHAUSTED', 'no tuple left', { pool: 'p1', n: 10n }));
  assert.deepEqual(b, { code: 'NAT_EXHAUSTED', message: 'no tuple left', details: { pool: 'p1', n: '10' } });
  const e = errorFromBody(b);
  assert.ok(isXsiteError(e, 'NAT_EXHAUSTED'));
  assert.deepEqual(errorBody(new TypeError('boom')), { code: 'CHANNEL_HANDLER_FAILED', message: 'boom' });
  assert.ok(isXsiteError(errorFromBody('junk'), 'CHANNEL_BAD_FRAME'));
});

test('MAC: HMAC-SHA256 over nonce and DC, checked in constant time', () => {
  const mac = channelMac('k', 'n1', 'dc1');
  assert.match(mac, /^[0-9a-f]{64}$/);
  assert.equal(verifyMac('k', 'n1', 'dc1', mac), true);
  assert.equal(verifyMac('k2', 'n1', 'dc1', mac), false);
  assert.equal(verifyMac('k', 'n2', 'dc1', mac), false);
  assert.equal(verifyMac('k', 'n1', 'dc2', mac), false);
  assert.equal(verifyMac('k', 'n1', 'dc1', mac.slice(2)), false);
  assert.equal(verifyMac('k', 'n1', 'dc1', 'xyz'), false);
});

test('recent job results: bounded, oldest first out, re-set refreshes', () => {
  const r = new RecentJobResults(2);
  r.set('a', { ok: true, value: 1 });
  r.set('b', { ok: true, value: 2 });
  r.set('a', { ok: true, value: 3 });
  r.set('c', { ok: true, value: 4 });
  assert.deepEqual(r.ids(), ['a', 'c']);
  assert.deepEqual(r.get('a'), { ok: true, value: 3 });
  assert.equal(r.has('b'), false);
});
