import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OFPBAC, OFPBIC } from '../../../../src/codec/openflow/constants';
import { OfpDecodeError, OfpEncodeError, OFPET } from '../../../../src/codec/openflow/errors';
import { decodeInstructions, encodeInstructions } from '../../../../src/codec/openflow/instructions';
import type { Instruction } from '../../../../src/codec/openflow/types';
import { Reader, Writer } from '../../../../src/codec/openflow/wire';
import { ALL_INSTRUCTIONS } from './samples';

function enc(list: Instruction[]): Buffer {
  const w = new Writer();
  encodeInstructions(w, list);
  return Buffer.from(w.finish());
}

function dec(hex: string): Instruction[] {
  return decodeInstructions(new Reader(Buffer.from(hex.replace(/\s/g, ''), 'hex')));
}

function assertInsError(hex: string, code: string, ofpType: number, ofpCode: number): void {
  assert.throws(
    () => dec(hex),
    (e: unknown) => e instanceof OfpDecodeError && e.code === code && e.ofpType === ofpType && e.ofpCode === ofpCode,
    hex,
  );
}

for (const ins of ALL_INSTRUCTIONS) {
  test(`instruction ${ins.type} round trips`, () => {
    const bytes = enc([ins]);
    assert.equal(bytes.length % 8, 0);
    assert.equal(bytes.readUInt16BE(2), bytes.length);
    assert.deepEqual(dec(bytes.toString('hex')), [ins]);
  });
}

test('all instructions together round trip in order', () => {
  const bytes = enc(ALL_INSTRUCTIONS);
  assert.deepEqual(dec(bytes.toString('hex')), ALL_INSTRUCTIONS);
  assert.deepEqual(enc(dec(bytes.toString('hex'))), bytes);
});

test('exact bytes', () => {
  assert.equal(enc([{ type: 'goto_table', tableId: 2 }]).toString('hex'), '0001000802000000');
  assert.equal(enc([{ type: 'meter', meterId: 1 }]).toString('hex'), '0006000800000001');
  assert.equal(enc([{ type: 'clear_actions' }]).toString('hex'), '0005000800000000');
  assert.equal(
    enc([{ type: 'write_metadata', metadata: 0x10n, mask: 0xffn }]).toString('hex'),
    '0002001800000000' + '0000000000000010' + '00000000000000ff',
  );
  assert.equal(
    enc([{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }]).toString('hex'),
    '0004001800000000' + '0000001000000002' + '0000000000000000',
  );
  assert.equal(enc([{ type: 'apply_actions', actions: [] }]).toString('hex'), '0004000800000000');
});

test('decode errors', () => {
  const BI = OFPET.BAD_INSTRUCTION;
  assertInsError('00070008 00000000', 'OFP_BAD_INSTRUCTION', BI, OFPBIC.UNKNOWN_INST);
  assertInsError('00000008 00000000', 'OFP_BAD_INSTRUCTION', BI, OFPBIC.UNKNOWN_INST);
  assertInsError('00010004', 'OFP_BAD_INSTRUCTION_LENGTH', BI, OFPBIC.BAD_LEN); // short
  assertInsError('00010004 00000000', 'OFP_BAD_INSTRUCTION_LENGTH', BI, OFPBIC.BAD_LEN); // len 4
  assertInsError('0001000c 02000000 00000000', 'OFP_BAD_INSTRUCTION_LENGTH', BI, OFPBIC.BAD_LEN); // misaligned
  assertInsError('00010010 02000000 00000000 00000000', 'OFP_BAD_INSTRUCTION_LENGTH', BI, OFPBIC.BAD_LEN); // goto of 16
  assertInsError('00020010 00000000 0000000000000000', 'OFP_BAD_INSTRUCTION_LENGTH', BI, OFPBIC.BAD_LEN); // write_metadata of 16
  assertInsError('00050010 00000000 0000000000000000', 'OFP_BAD_INSTRUCTION_LENGTH', BI, OFPBIC.BAD_LEN); // clear_actions with body
  assertInsError('00040020 00000000 00000010 00000002 00000000 00000000', 'OFP_BAD_INSTRUCTION_LENGTH', BI, OFPBIC.BAD_LEN); // past end
  assertInsError('00010008 01000000 00010008 02000000', 'OFP_DUP_INSTRUCTION', BI, OFPBIC.DUP_INST);
  // actions inside report OFPET_BAD_ACTION
  assertInsError('00040010 00000000 0000000c 00000000', 'OFP_BAD_ACTION_LENGTH', OFPET.BAD_ACTION, OFPBAC.BAD_LEN);
  assertInsError('00040010 00000000 00630008 00000000', 'OFP_BAD_ACTION', OFPET.BAD_ACTION, OFPBAC.BAD_TYPE);
  assertInsError('00040018 00000000 00000018 00000002 0000000000000000', 'OFP_BAD_ACTION_LENGTH', OFPET.BAD_ACTION, OFPBAC.BAD_LEN);
});

test('encode errors', () => {
  const bad: Instruction[] = [
    { type: 'goto_table', tableId: 256 },
    { type: 'write_metadata', metadata: 1 as unknown as bigint, mask: 0n },
    { type: 'meter', meterId: -1 },
    { type: 'nope' } as unknown as Instruction,
  ];
  for (const i of bad) assert.throws(() => enc([i]), (e: unknown) => e instanceof OfpEncodeError && e.code === 'OFP_BAD_VALUE');
});
