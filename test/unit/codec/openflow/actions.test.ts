import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeActions, encodeActions, MAX_ACTIONS } from '../../../../src/codec/openflow/actions';
import { OFPBAC } from '../../../../src/codec/openflow/constants';
import { OfpDecodeError, OfpEncodeError, OFPET } from '../../../../src/codec/openflow/errors';
import type { Action } from '../../../../src/codec/openflow/types';
import { Reader, Writer } from '../../../../src/codec/openflow/wire';
import { ALL_ACTIONS, OXM_SAMPLES } from './samples';

function enc(actions: Action[]): Buffer {
  const w = new Writer();
  encodeActions(w, actions);
  return Buffer.from(w.finish());
}

function dec(hex: string): Action[] {
  return decodeActions(new Reader(Buffer.from(hex.replace(/\s/g, ''), 'hex')));
}

function assertActionError(hex: string, code: string, ofpCode: number): void {
  assert.throws(
    () => dec(hex),
    (e: unknown) => e instanceof OfpDecodeError && e.code === code && e.ofpType === OFPET.BAD_ACTION && e.ofpCode === ofpCode,
    hex,
  );
}

for (const a of ALL_ACTIONS) {
  test(`action ${a.type} round trips and is 8-aligned`, () => {
    const bytes = enc([a]);
    assert.equal(bytes.length % 8, 0);
    assert.equal(bytes.readUInt16BE(2), bytes.length);
    assert.deepEqual(dec(bytes.toString('hex')), [a]);
    assert.deepEqual(enc(dec(bytes.toString('hex'))), bytes);
  });
}

test('set_field for every basic field round trips with length 4 + OXM padded to 8', () => {
  for (const s of OXM_SAMPLES) {
    const a: Action = { type: 'set_field', field: { field: s.field, value: s.value } };
    const bytes = enc([a]);
    const oxmLen = bytes[7]!;
    assert.equal(bytes.length, (4 + 4 + oxmLen + 7) & ~7, s.field);
    assert.deepEqual(dec(bytes.toString('hex')), [a]);
  }
});

test('exact bytes: output, set_field vlan_vid, group, experimenter', () => {
  assert.equal(enc([{ type: 'output', port: 0xfffffffd, maxLen: 0xffff }]).toString('hex'), '00000010fffffffdffff000000000000');
  assert.equal(enc([{ type: 'set_field', field: { field: 'vlan_vid', value: 0x1005 } }]).toString('hex'), '0019001080000c021005000000000000');
  assert.equal(enc([{ type: 'set_field', field: { field: 'ipv6_dst', value: '::1' } }]).length, 24);
  assert.equal(enc([{ type: 'group', groupId: 3 }]).toString('hex'), '0016000800000003');
  assert.equal(enc([{ type: 'push_vlan', ethertype: 0x8100 }]).toString('hex'), '0011000881000000');
  assert.equal(enc([{ type: 'set_nw_ttl', ttl: 9 }]).toString('hex'), '0017000809000000');
  // experimenter data is zero-padded to 8
  assert.equal(enc([{ type: 'experimenter', experimenter: 0x2320, data: Buffer.from('0001', 'hex') }]).toString('hex'), 'ffff001000002320' + '0001000000000000');
});

test('decode errors: lengths, alignment, unknown type, set_field', () => {
  assertActionError('0000000c fffffffd 0000 0000', 'OFP_BAD_ACTION_LENGTH', OFPBAC.BAD_LEN); // misaligned 12
  assertActionError('00000000 00000000', 'OFP_BAD_ACTION_LENGTH', OFPBAC.BAD_LEN); // zero length
  assertActionError('00000018 fffffffd ffff 000000000000', 'OFP_BAD_ACTION_LENGTH', OFPBAC.BAD_LEN); // past the end
  assertActionError('00000008 fffffffd', 'OFP_BAD_ACTION_LENGTH', OFPBAC.BAD_LEN); // output of 8
  assertActionError('00120010 00000000 0000000000000000', 'OFP_BAD_ACTION_LENGTH', OFPBAC.BAD_LEN); // pop_vlan of 16
  assertActionError('0012', 'OFP_BAD_ACTION_LENGTH', OFPBAC.BAD_LEN); // truncated header
  assertActionError('00120008 00000000 0012', 'OFP_BAD_ACTION_LENGTH', OFPBAC.BAD_LEN); // trailing junk
  assertActionError('00630008 00000000', 'OFP_BAD_ACTION', OFPBAC.BAD_TYPE); // type 99
  assertActionError('00010008 00000000', 'OFP_BAD_ACTION', OFPBAC.BAD_TYPE); // OF1.0 set_vlan_vid
  assertActionError('00190010 80005004 00000000 00000000', 'OFP_BAD_OXM_FIELD', OFPBAC.BAD_SET_TYPE); // field 40
  assertActionError('00190010 80000c03 10050000 00000000', 'OFP_BAD_OXM_LENGTH', OFPBAC.BAD_SET_LEN); // vlan_vid len 3
  assertActionError('00190008 80000c08 ', 'OFP_BAD_OXM_LENGTH', OFPBAC.BAD_SET_LEN); // OXM past the action
  assertActionError('00190010 80000d04 10051fff 00000000', 'OFP_BAD_ACTION', OFPBAC.BAD_SET_ARGUMENT); // masked
  assertActionError('00190018 80000c02 1005 000000000000 0000000000000000', 'OFP_BAD_ACTION_LENGTH', OFPBAC.BAD_LEN); // over-padded
});

test('list cap: more than MAX_ACTIONS actions', () => {
  const one = '0018000800000000'; // dec_nw_ttl
  assert.equal(dec(one.repeat(MAX_ACTIONS)).length, MAX_ACTIONS);
  assertActionError(one.repeat(MAX_ACTIONS + 1), 'OFP_TOO_MANY_ACTIONS', OFPBAC.TOO_MANY);
  assert.throws(() => enc(new Array<Action>(MAX_ACTIONS + 1).fill({ type: 'dec_nw_ttl' })), (e: unknown) => e instanceof OfpEncodeError);
});

test('encode errors', () => {
  const bad: Action[] = [
    { type: 'output', port: -1, maxLen: 0 },
    { type: 'output', port: 1, maxLen: 0x10000 },
    { type: 'set_mpls_ttl', ttl: 256 },
    { type: 'push_vlan', ethertype: 0x10000 },
    { type: 'set_field', field: { field: 'vlan_vid', value: 1, mask: 1 } },
    { type: 'set_field', field: { field: 'eth_src', value: 'nope' } },
    { type: 'experimenter', experimenter: 1, data: 'x' as unknown as Buffer },
    { type: 'bogus' } as unknown as Action,
  ];
  for (const a of bad) assert.throws(() => enc([a]), (e: unknown) => e instanceof OfpEncodeError && e.code === 'OFP_BAD_VALUE', a.type);
});
