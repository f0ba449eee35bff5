import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OfpDecodeError, OfpEncodeError, OFPET } from '../../../../src/codec/openflow/errors';
import { OFPBMC } from '../../../../src/codec/openflow/constants';
import { decodeMatch, decodeOxm, encodeMatch, encodeOxm, oxmFieldInfo, oxmFields } from '../../../../src/codec/openflow/oxm';
import type { Match, OxmTlv } from '../../../../src/codec/openflow/types';
import { Reader, Writer } from '../../../../src/codec/openflow/wire';
import { OXM_SAMPLES } from './samples';

function oxmBytes(tlv: OxmTlv): Buffer {
  const w = new Writer();
  encodeOxm(w, tlv);
  return Buffer.from(w.finish());
}

function matchBytes(m: Match): Buffer {
  const w = new Writer();
  encodeMatch(w, m);
  return Buffer.from(w.finish());
}

function decodeMatchHex(hex: string): Match {
  return decodeMatch(new Reader(Buffer.from(hex.replace(/\s/g, ''), 'hex')));
}

function assertMatchError(hex: string, code: string, ofpCode: number): void {
  assert.throws(
    () => decodeMatchHex(hex),
    (e: unknown) => e instanceof OfpDecodeError && e.code === code && e.ofpType === OFPET.BAD_MATCH && e.ofpCode === ofpCode,
  );
}

test('table has the 40 OpenFlow-basic fields numbered 0..39', () => {
  const fields = oxmFields();
  assert.equal(fields.length, 40);
  fields.forEach((f, i) => assert.equal(f.field, i));
  assert.equal(oxmFieldInfo('ipv6_exthdr')?.field, 39);
  assert.equal(oxmFieldInfo('nope'), undefined);
  assert.deepEqual(new Set(OXM_SAMPLES.map((s) => s.field)).size, 40);
});

for (const sample of OXM_SAMPLES) {
  const info = oxmFieldInfo(sample.field)!;
  test(`OXM ${sample.field} round trips without mask`, () => {
    const tlv: OxmTlv = { field: sample.field, value: sample.value };
    const bytes = oxmBytes(tlv);
    assert.equal(bytes.length, 4 + info.len);
    assert.equal(bytes.readUInt16BE(0), 0x8000);
    assert.equal(bytes[2], info.field << 1);
    assert.equal(bytes[3], info.len);
    const r = new Reader(bytes);
    assert.deepEqual(decodeOxm(r), tlv);
    assert.equal(r.remaining, 0);
  });
  if (sample.mask !== undefined) {
    test(`OXM ${sample.field} round trips with mask`, () => {
      const bytes = oxmBytes(sample);
      assert.equal(bytes.length, 4 + 2 * info.len);
      assert.equal(bytes[2], (info.field << 1) | 1);
      assert.deepEqual(decodeOxm(new Reader(bytes)), sample);
    });
  } else {
    test(`OXM ${sample.field} rejects a mask`, () => {
      assert.throws(() => oxmBytes({ ...sample, mask: sample.value }), (e: unknown) => e instanceof OfpEncodeError && e.code === 'OFP_BAD_VALUE');
      const hm = Buffer.concat([oxmBytes(sample), Buffer.alloc(info.len)]);
      hm[2] |= 1;
      hm[3] = 2 * info.len;
      assert.throws(() => decodeOxm(new Reader(hm)), (e: unknown) => e instanceof OfpDecodeError && e.ofpCode === OFPBMC.BAD_MASK);
    });
  }
}

test('whole match: every field, padding, round trip', () => {
  const m: Match = OXM_SAMPLES;
  const bytes = matchBytes(m);
  assert.equal(bytes.length % 8, 0);
  assert.equal(bytes.readUInt16BE(0), 1);
  const len = bytes.readUInt16BE(2);
  assert.ok(len <= bytes.length && bytes.length - len < 8);
  assert.ok(bytes.subarray(len).every((b) => b === 0));
  const r = new Reader(bytes);
  assert.deepEqual(decodeMatch(r), m);
  assert.equal(r.remaining, 0);
});

test('empty match is 8 bytes: 0001 0004 00000000', () => {
  assert.equal(matchBytes([]).toString('hex'), '0001000400000000');
  assert.deepEqual(decodeMatchHex('0001000400000000'), []);
});

test('exact bytes of in_port=1 + eth_type=0x0800 + ipv4_src=10.0.0.0/8', () => {
  const bytes = matchBytes([
    { field: 'in_port', value: 1 },
    { field: 'eth_type', value: 0x800 },
    { field: 'ipv4_src', value: '10.0.0.0', mask: '255.0.0.0' },
  ]);
  // 4 + 8 + 6 + 12 = 30 bytes, padded to 32
  assert.equal(bytes.toString('hex'), '0001' + '001e' + '8000000400000001' + '80000a020800' + '800017080a000000ff000000' + '0000');
});

test('non-basic classes are kept raw and round trip byte-exactly', () => {
  const raws: OxmTlv[] = [
    { field: 'raw', oxmClass: 0x0001, oxmField: 16, hasMask: false, payload: Buffer.from('0a000001', 'hex') }, // NXM_NX_TUN_IPV4_SRC
    { field: 'raw', oxmClass: 0x0001, oxmField: 0, hasMask: true, payload: Buffer.from('00010001', 'hex') },
    { field: 'raw', oxmClass: 0xffff, oxmField: 1, hasMask: false, payload: Buffer.from('4f4e46000001', 'hex') },
  ];
  const bytes = matchBytes(raws);
  assert.deepEqual(decodeMatch(new Reader(bytes)), raws);
  assert.deepEqual(matchBytes(decodeMatch(new Reader(bytes))), bytes);
});

test('value bits outside the mask are accepted', () => {
  const m: Match = [{ field: 'ipv4_src', value: '10.1.2.3', mask: '255.0.0.0' }];
  assert.deepEqual(decodeMatch(new Reader(matchBytes(m))), m);
});

test('decode errors: bad field, length, mask, value, duplicate, match type and length', () => {
  assertMatchError('0001 000c 80005004 00000000 00000000', 'OFP_BAD_OXM_FIELD', OFPBMC.BAD_FIELD); // field 40
  assertMatchError('0001 000a 80007e02 0000 000000000000', 'OFP_BAD_OXM_FIELD', OFPBMC.BAD_FIELD); // field 63
  assertMatchError('0001 000a 80000002 0001 000000000000', 'OFP_BAD_OXM_LENGTH', OFPBMC.BAD_LEN); // in_port len 2
  assertMatchError('0001 000c 80000104 00000001 00000000', 'OFP_BAD_OXM_MASK', OFPBMC.BAD_MASK); // in_port with HM, len 4
  assertMatchError('0001 000c 80000b04 08000800 00000000', 'OFP_BAD_OXM_MASK', OFPBMC.BAD_MASK); // eth_type masked
  assertMatchError('0001 000a 80000c02 f001 000000000000', 'OFP_BAD_OXM_VALUE', OFPBMC.BAD_VALUE); // vlan_vid > 13 bits
  assertMatchError('0001 0009 80001001 ff 00000000000000', 'OFP_BAD_OXM_VALUE', OFPBMC.BAD_VALUE); // ip_dscp > 6 bits
  assertMatchError('0001 0014 8000000400000001 8000000400000002 00000000', 'OFP_DUP_OXM_FIELD', OFPBMC.DUP_FIELD);
  assertMatchError('0000 0058' + '00'.repeat(84), 'OFP_BAD_MATCH', OFPBMC.BAD_TYPE); // OFPMT_STANDARD
  assertMatchError('0001 0002 00000000', 'OFP_BAD_MATCH', OFPBMC.BAD_LEN); // length < 4
  assertMatchError('0001 0010 80000004 00000001', 'OFP_BAD_MATCH', OFPBMC.BAD_LEN); // length past the buffer
  assertMatchError('0001 000c 80000004 00000001', 'OFP_BAD_MATCH', OFPBMC.BAD_LEN); // padding missing
  assertMatchError('0001 000a 80000004 0000 000000000000', 'OFP_BAD_OXM_LENGTH', OFPBMC.BAD_LEN); // TLV overruns match length
  assertMatchError('0001 0006 8000 0000', 'OFP_BAD_OXM_LENGTH', OFPBMC.BAD_LEN); // truncated TLV header
  assertMatchError('0001 000a ffff0002 4f4e 000000000000', 'OFP_BAD_OXM_LENGTH', OFPBMC.BAD_LEN); // experimenter OXM without id
  assert.throws(() => decodeMatchHex('0001'), (e: unknown) => e instanceof OfpDecodeError && e.ofpCode === OFPBMC.BAD_LEN);
});

test('encode errors are OfpEncodeError OFP_BAD_VALUE', () => {
  const bad: OxmTlv[] = [
    { field: 'eth_src', value: '02:00:00:00:00' },
    { field: 'eth_src', value: 5 },
    { field: 'ipv4_src', value: '10.0.0.256' },
    { field: 'ipv6_src', value: '1:::2' },
    { field: 'in_port', value: -1 },
    { field: 'in_port', value: 2 ** 32 },
    { field: 'in_port', value: 1.5 },
    { field: 'in_port', value: 1n },
    { field: 'vlan_vid', value: 0x2000 },
    { field: 'ip_dscp', value: 64 },
    { field: 'metadata', value: 1 },
    { field: 'metadata', value: -1n },
    { field: 'metadata', value: 1n << 64n },
    { field: 'ipv4_src', value: '10.0.0.1', mask: 'x' },
    { field: 'nope' as 'in_port', value: 1 },
    { field: 'raw', oxmClass: 1, oxmField: 200, hasMask: false, payload: Buffer.alloc(0) },
    { field: 'raw', oxmClass: 1, oxmField: 1, hasMask: false, payload: Buffer.alloc(256) },
  ];
  for (const tlv of bad) {
    assert.throws(() => oxmBytes(tlv), (e: unknown) => e instanceof OfpEncodeError && e.code === 'OFP_BAD_VALUE', JSON.stringify(tlv, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  }
  assert.throws(
    () => matchBytes([{ field: 'in_port', value: 1 }, { field: 'in_port', value: 2 }]),
    (e: unknown) => e instanceof OfpEncodeError && e.code === 'OFP_BAD_VALUE',
  );
});
