import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OFPBAC, OFPBIC, OFPBMC, OFPBRC, OFPGMFC, OFPMMFC } from '../../../../src/codec/openflow/constants';
import { OfpDecodeError, OfpEncodeError, OFPET } from '../../../../src/codec/openflow/errors';
import { decodeMessage, encodeMessage } from '../../../../src/codec/openflow/message';
import type { OfpMessage } from '../../../../src/codec/openflow/types';
import { MESSAGES } from './samples';
import { seededRandom } from '../../../../src/core/random';

/** Builds a message from hex, fixing up the header length unless `keepLen`. */
function msg(h: string, keepLen = false): Buffer {
  const b = Buffer.from(h.replace(/\s|\|/g, ''), 'hex');
  if (!keepLen && b.length >= 4) b.writeUInt16BE(b.length, 2);
  return b;
}

function assertDecodeError(buf: Buffer, code: string, ofpType: number, ofpCode: number): void {
  assert.throws(
    () => decodeMessage(buf),
    (e: unknown) => {
      if (!(e instanceof OfpDecodeError)) return false;
      assert.deepEqual({ code: e.code, ofpType: e.ofpType, ofpCode: e.ofpCode }, { code, ofpType, ofpCode }, buf.toString('hex'));
      return true;
    },
  );
}

const BR = OFPET.BAD_REQUEST;

test('header: short, length mismatch, version, type', () => {
  assertDecodeError(Buffer.alloc(0), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN);
  assertDecodeError(Buffer.from('0400000800', 'hex'), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN);
  assertDecodeError(msg('04 05 0000 00000001', true), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN); // length 0
  assertDecodeError(msg('04 05 0010 00000001', true), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN); // claims more
  assertDecodeError(msg('04 05 ffff 00000001', true), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN); // oversized claim
  assertDecodeError(msg('04 05 0008 00000001 00', true), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN); // claims less
  assertDecodeError(msg('01 05 0008 00000001'), 'OFP_BAD_VERSION', BR, OFPBRC.BAD_VERSION);
  assertDecodeError(msg('05 0e 0008 00000001'), 'OFP_BAD_VERSION', BR, OFPBRC.BAD_VERSION);
  assertDecodeError(msg('04 1e 0008 00000001'), 'OFP_BAD_TYPE', BR, OFPBRC.BAD_TYPE); // 30
  assertDecodeError(msg('04 ff 0008 00000001'), 'OFP_BAD_TYPE', BR, OFPBRC.BAD_TYPE);
  assertDecodeError(msg('04 16 0010 00000001 ffffffff 00000000'), 'OFP_BAD_TYPE', BR, OFPBRC.BAD_TYPE); // queue_get_config
});

test('fixed-size bodies: truncated or with trailing bytes', () => {
  assertDecodeError(msg('04 05 0000 00000001 00'), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN); // features_request + 1
  assertDecodeError(msg('04 14 0000 00000001 0000000000000000'), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN); // barrier + 8
  assertDecodeError(msg('04 06 0000 00000001 0000000000000001 00000100 fe'), 'OFP_TRUNCATED', BR, OFPBRC.BAD_LEN);
  assertDecodeError(msg('04 09 0000 00000001 0000'), 'OFP_TRUNCATED', BR, OFPBRC.BAD_LEN); // set_config short
  assertDecodeError(msg('04 09 0000 00000001 0000 ffff 00'), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN);
  assertDecodeError(msg('04 18 0000 00000001 00000002 00000000'), 'OFP_TRUNCATED', BR, OFPBRC.BAD_LEN); // role short
  assertDecodeError(msg('04 0c 0000 00000001 02 00000000000000' + '00'.repeat(60)), 'OFP_TRUNCATED', BR, OFPBRC.BAD_LEN); // port_status short
  assertDecodeError(msg('04 01 0000 00000001 00'), 'OFP_TRUNCATED', BR, OFPBRC.BAD_LEN); // error short
});

test('hello element overrunning the message', () => {
  assertDecodeError(msg('04 00 0000 00000001 0001 0010 00000010'), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN);
  assertDecodeError(msg('04 00 0000 00000001 0001 0002 00000010'), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN);
});

test('multipart: unsupported types and bad bodies', () => {
  assertDecodeError(msg('04 12 0000 00000001 0005 0000 00000000 ffffffff ffffffff'), 'OFP_BAD_MULTIPART', BR, OFPBRC.BAD_MULTIPART); // queue
  assertDecodeError(msg('04 12 0000 00000001 000c 0000 00000000'), 'OFP_BAD_MULTIPART', BR, OFPBRC.BAD_MULTIPART); // table features
  assertDecodeError(msg('04 13 0000 00000001 1234 0000 00000000'), 'OFP_BAD_MULTIPART', BR, OFPBRC.BAD_MULTIPART);
  assertDecodeError(msg('04 12 0000 00000001 0000'), 'OFP_TRUNCATED', BR, OFPBRC.BAD_LEN);
  assertDecodeError(msg('04 12 0000 00000001 0000 0000 00000000 00'), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN); // desc + junk
  assertDecodeError(msg('04 13 0000 00000001 000d 0000 00000000' + '00'.repeat(63)), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN); // port desc 63
  assertDecodeError(msg('04 13 0000 00000001 0003 0000 00000000' + '00'.repeat(23)), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN); // table stats 23
  assertDecodeError(msg('04 13 0000 00000001 0000 0000 00000000' + '00'.repeat(1055)), 'OFP_TRUNCATED', BR, OFPBRC.BAD_LEN); // desc short
  // flow stats entry: length 0, length past the end
  assertDecodeError(msg('04 13 0000 00000001 0001 0000 00000000 0000' + '00'.repeat(54)), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN);
  assertDecodeError(msg('04 13 0000 00000001 0001 0000 00000000 0080' + '00'.repeat(54)), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN);
  // group stats entry whose bucket counters are not a multiple of 16
  assertDecodeError(msg('04 13 0000 00000001 0006 0000 00000000 0030' + '00'.repeat(46)), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN);
});

test('flow_mod: truncated, bad match, bad instructions', () => {
  const good = encodeMessage(MESSAGES.find((m) => m.type === 'flow_mod')!);
  assertDecodeError(msg(good.subarray(0, 40).toString('hex')), 'OFP_TRUNCATED', BR, OFPBRC.BAD_LEN);
  assertDecodeError(msg(good.subarray(0, 50).toString('hex')), 'OFP_BAD_MATCH', OFPET.BAD_MATCH, OFPBMC.BAD_LEN);
  assertDecodeError(msg(good.subarray(0, good.length - 8).toString('hex')), 'OFP_BAD_INSTRUCTION_LENGTH', OFPET.BAD_INSTRUCTION, OFPBIC.BAD_LEN);
  const badField = Buffer.from(good);
  badField[48 + 4 + 2] = 45 << 1; // first TLV's field -> 45
  assertDecodeError(badField, 'OFP_BAD_OXM_FIELD', OFPET.BAD_MATCH, OFPBMC.BAD_FIELD);
  const badIns = Buffer.from(good);
  badIns.writeUInt16BE(9, good.length - 24); // instruction type 9
  assertDecodeError(badIns, 'OFP_BAD_INSTRUCTION', OFPET.BAD_INSTRUCTION, OFPBIC.UNKNOWN_INST);
  const badAct = Buffer.from(good);
  badAct.writeUInt16BE(12, good.length - 16 + 2); // output action len 12
  assertDecodeError(badAct, 'OFP_BAD_ACTION_LENGTH', OFPET.BAD_ACTION, OFPBAC.BAD_LEN);
});

test('packet_out: actions_len past the message, misaligned actions, unknown action', () => {
  assertDecodeError(msg('04 0d 0000 00000001 ffffffff fffffffd 0018 000000000000 0000 0010 fffffffb 0000 000000000000'), 'OFP_TRUNCATED', BR, OFPBRC.BAD_LEN);
  assertDecodeError(msg('04 0d 0000 00000001 ffffffff fffffffd 000c 000000000000 0000 000c fffffffb 0000 0000'), 'OFP_BAD_ACTION_LENGTH', OFPET.BAD_ACTION, OFPBAC.BAD_LEN);
  assertDecodeError(msg('04 0d 0000 00000001 ffffffff fffffffd 0008 000000000000 0063 0008 00000000'), 'OFP_BAD_ACTION', OFPET.BAD_ACTION, OFPBAC.BAD_TYPE);
  assertDecodeError(msg('04 0d 0000 00000001 ffffffff fffffffd 0004 000000000000 0000 0010'), 'OFP_BAD_ACTION_LENGTH', OFPET.BAD_ACTION, OFPBAC.BAD_LEN);
  // 4097 actions
  const many = '0018000800000000'.repeat(4097);
  assertDecodeError(msg('04 0d 0000 00000001 ffffffff fffffffd 8008 000000000000' + many), 'OFP_TOO_MANY_ACTIONS', OFPET.BAD_ACTION, OFPBAC.TOO_MANY);
});

test('packet_in: truncated match', () => {
  assertDecodeError(msg('04 0a 0000 00000001 ffffffff 0040 00 00 0000000000000000 0001 000c 80000004 0000'), 'OFP_BAD_MATCH', OFPET.BAD_MATCH, OFPBMC.BAD_LEN);
  assertDecodeError(msg('04 0a 0000 00000001 ffffffff 0040 00 00 0000000000000000 0001 000c 80000004 00000001 00000000'), 'OFP_TRUNCATED', BR, OFPBRC.BAD_LEN); // missing 2-byte pad
});

test('group_mod / meter_mod: bad buckets and bands', () => {
  assertDecodeError(msg('04 0f 0000 00000001 0000 00 00 00000001 0008 0000 ffffffff ffffffff 00000000'), 'OFP_BAD_BUCKET', OFPET.GROUP_MOD_FAILED, OFPGMFC.BAD_BUCKET);
  assertDecodeError(msg('04 0f 0000 00000001 0000 00 00 00000001 0018 0000 ffffffff ffffffff 00000000'), 'OFP_BAD_BUCKET', OFPET.GROUP_MOD_FAILED, OFPGMFC.BAD_BUCKET);
  assertDecodeError(msg('04 0f 0000 00000001 0000 00 00 00000001 00'), 'OFP_BAD_BUCKET', OFPET.GROUP_MOD_FAILED, OFPGMFC.BAD_BUCKET);
  assertDecodeError(msg('04 1d 0000 00000001 0000 0001 00000001 0003 0010 000003e8 00000000 00000000'), 'OFP_BAD_METER_BAND', OFPET.METER_MOD_FAILED, OFPMMFC.BAD_BAND);
  assertDecodeError(msg('04 1d 0000 00000001 0000 0001 00000001 0001 0018 000003e8 00000000 00000000'), 'OFP_BAD_METER_BAND', OFPET.METER_MOD_FAILED, OFPMMFC.BAD_BAND);
  assertDecodeError(msg('04 1d 0000 00000001 0000 0001 00000001 0001 0010 000003e8'), 'OFP_BAD_METER_BAND', OFPET.METER_MOD_FAILED, OFPMMFC.BAD_BAND);
});

test('bundles: nesting, bad inner length, bad properties', () => {
  const inner = encodeMessage({ type: 'bundle_control', bundleId: 1, ctrlType: 0, flags: 0, properties: [] }, 1).toString('hex');
  assertDecodeError(msg('04 04 0000 00000001 4f4e4600 000008fd 00000001 0000 0000' + inner), 'OFP_BUNDLE_NESTED', BR, OFPBRC.BAD_TYPE);
  const addInAdd = encodeMessage({ type: 'bundle_add', bundleId: 1, flags: 0, properties: [], message: { type: 'barrier_request' } }, 1).toString('hex');
  assertDecodeError(msg('04 04 0000 00000001 4f4e4600 000008fd 00000001 0000 0000' + addInAdd), 'OFP_BUNDLE_NESTED', BR, OFPBRC.BAD_TYPE);
  assertDecodeError(msg('04 04 0000 00000001 4f4e4600 000008fd 00000001 0000 0000 04140010 00000001'), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN);
  assertDecodeError(msg('04 04 0000 00000001 4f4e4600 000008fd 00000001 0000 0000 04140004 00000001'), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN);
  assertDecodeError(msg('04 04 0000 00000001 4f4e4600 000008fd 00000001 0000 0000'), 'OFP_BAD_LENGTH', BR, OFPBRC.BAD_LEN);
  assertDecodeError(msg('04 04 0000 00000001 4f4e4600 000008fd 00000001 0000 0000 01140008 00000001'), 'OFP_BAD_VERSION', BR, OFPBRC.BAD_VERSION);
  assertDecodeError(msg('04 04 0000 00000001 4f4e4600 000008fc 00000001 0000 0000 ffff 0002'), 'OFP_BAD_PROPERTY', BR, OFPBRC.BAD_LEN);
  assertDecodeError(msg('04 04 0000 00000001 4f4e4600 000008fc 00000001 0000 0000 ffff 0010 0000'), 'OFP_BAD_PROPERTY', BR, OFPBRC.BAD_LEN);
  assert.throws(
    () => encodeMessage({ type: 'bundle_add', bundleId: 1, flags: 0, properties: [], message: { type: 'bundle_add', bundleId: 1, flags: 0, properties: [], message: { type: 'barrier_request' } } }),
    (e: unknown) => e instanceof OfpEncodeError && e.code === 'OFP_BAD_VALUE',
  );
  // other ONF experimenter types are plain experimenter messages
  const other = decodeMessage(msg('04 04 0000 00000001 4f4e4600 00000001 ab'));
  assert.deepEqual(other, { type: 'experimenter', experimenter: 0x4f4e4600, expType: 1, data: Buffer.from('ab', 'hex'), xid: 1 });
});

test('encode: oversized message and unrepresentable values', () => {
  assert.throws(() => encodeMessage({ type: 'echo_request', data: Buffer.alloc(65535 - 7) }), (e: unknown) => e instanceof OfpEncodeError && e.code === 'OFP_TOO_LONG');
  assert.equal(encodeMessage({ type: 'echo_request', data: Buffer.alloc(65535 - 8) }).length, 65535);
  const bad: OfpMessage[] = [
    { type: 'error', errType: 0xffff, code: 1, data: Buffer.alloc(0) },
    { type: 'set_config', flags: 0, missSendLen: 0x10000 },
    { type: 'features_reply', datapathId: -1n, nBuffers: 0, nTables: 0, auxiliaryId: 0, capabilities: 0, reserved: 0 },
    { type: 'port_mod', portNo: 1, hwAddr: 'zz', config: 0, mask: 0, advertise: 0 },
    { type: 'hello', versions: [256] },
    { type: 'nope' } as unknown as OfpMessage,
    { type: 'multipart_request', flags: 0, body: { mpType: 'queue' } } as unknown as OfpMessage,
    { type: 'meter_mod', command: 0, flags: 0, meterId: 1, bands: [{ type: 'weird' }] } as unknown as OfpMessage,
  ];
  for (const m of bad) assert.throws(() => encodeMessage(m), (e: unknown) => e instanceof OfpEncodeError && e.code === 'OFP_BAD_VALUE', m.type);
  assert.throws(() => encodeMessage({ type: 'barrier_request' }, -1), (e: unknown) => e instanceof OfpEncodeError);
});

const rng = seededRandom;

test('mutated and truncated samples never throw anything but OfpDecodeError', () => {
  const rand = rng(12345);
  const bases = MESSAGES.map((m) => encodeMessage(m));
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < 6000; i++) {
    const base = bases[i % bases.length]!;
    let b = Buffer.from(base);
    const kind = rand();
    if (kind < 0.4) {
      const n = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < n; k++) b[8 + Math.floor(rand() * Math.max(1, b.length - 8))] = Math.floor(rand() * 256);
    } else if (kind < 0.7) {
      b = b.subarray(0, 8 + Math.floor(rand() * (b.length - 8)));
    } else {
      // a random 16-bit length field somewhere in the body
      const at = 8 + Math.floor(rand() * Math.max(1, b.length - 10));
      if (at + 2 <= b.length) b.writeUInt16BE(Math.floor(rand() * 65536), at);
    }
    if (b.length >= 4) b.writeUInt16BE(b.length, 2);
    try {
      const m = decodeMessage(b);
      decoded++;
      // whatever decodes must re-encode
      encodeMessage(m);
    } catch (e) {
      if (!(e instanceof OfpDecodeError)) {
        assert.fail(`non-codec error ${String(e)} for ${b.toString('hex')}`);
      }
      assert.ok(Number.isInteger(e.ofpType) && Number.isInteger(e.ofpCode));
      rejected++;
    }
  }
  assert.ok(decoded > 0 && rejected > 0);
});
