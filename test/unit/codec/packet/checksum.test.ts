import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checksumUpdate16,
  checksumUpdate32,
  checksumUpdateBytes,
  finishChecksum,
  internetChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  onesComplementSum,
} from '../../../../src/codec/packet/checksum';
import { parsePacket, verifyChecksums } from '../../../../src/codec/packet';
import { ipv4ToNumber, ipv6ToBytes } from '../../../../src/core/addr';
import { hex, TCP_SYN, TCP_V6_SYN, UDP_V4, UDP_V6 } from './fixtures';

test('RFC 1071 example: sum 0xddf2, checksum 0x220d', () => {
  const b = hex('0001f203f4f5f6f7');
  assert.equal(onesComplementSum(b), 0xddf2);
  assert.equal(internetChecksum(b), 0x220d);
});

test('known IPv4 header checksum (192.168.0.1 -> 192.168.0.199, UDP): 0xb861', () => {
  const h = hex('450000730000400040110000c0a80001c0a800c7');
  assert.equal(internetChecksum(h), 0xb861);
  h.writeUInt16BE(0xb861, 10);
  assert.equal(internetChecksum(h), 0);
});

test('odd length pads with a zero byte; chained sums equal one sum; ranges', () => {
  assert.equal(onesComplementSum(hex('01')), 0x0100);
  assert.equal(onesComplementSum(hex('0102 03')), 0x0102 + 0x0300);
  const b = Buffer.from(Array.from({ length: 101 }, (_, i) => (i * 37) & 0xff));
  assert.equal(onesComplementSum(b, 0, 101), onesComplementSum(b, 40, 101, onesComplementSum(b, 0, 40)));
  assert.equal(onesComplementSum(Buffer.alloc(0)), 0);
  assert.equal(finishChecksum(0xffff), 0);
  assert.equal(finishChecksum(0x1fffe), 0); // folds the carry first
  // Large input: no precision loss.
  const big = Buffer.alloc(1 << 20, 0xff);
  assert.equal(onesComplementSum(big), 0xffff);
});

test('pseudo-header sums match the checksums of captured TCP/UDP frames', () => {
  for (const f of [TCP_SYN, UDP_V4]) {
    const ipLen = f.readUInt16BE(16);
    const l4 = 14 + 20;
    const ps = ipv4PseudoHeaderSum(f, 26, 30, f[23]!, ipLen - 20);
    assert.equal(internetChecksum(f, l4, 14 + ipLen, ps), 0);
  }
  for (const f of [TCP_V6_SYN, UDP_V6]) {
    const plen = f.readUInt16BE(18);
    const ps = ipv6PseudoHeaderSum(f, 22, 38, f[20]!, plen);
    assert.equal(internetChecksum(f, 54, 54 + plen, ps), 0);
  }
});

test('RFC 1624 section 4 example: incremental update gives 0x0000, not 0xffff', () => {
  assert.equal(checksumUpdate16(0xdd2f, 0x5555, 0x3285), 0x0000);
});

/** True when data whose checksum field (elsewhere) holds `ck` verifies: sum(data) + ck folds to 0xffff. */
function verifies(data: Buffer, ck: number): boolean {
  return finishChecksum(onesComplementSum(data) + ck) === 0;
}

test('incremental updates equal full recomputation (randomized)', () => {
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let i = 0; i < 2000; i++) {
    const len = 2 * (4 + rnd(30));
    const b = Buffer.from(Array.from({ length: len }, () => rnd(256)));
    const ck = internetChecksum(b);
    const at = 2 * rnd(len / 2 - 1);
    if (i % 3 === 0) {
      const oldW = b.readUInt16BE(at);
      const newW = rnd(0x10000);
      b.writeUInt16BE(newW, at);
      const full = internetChecksum(b);
      const inc = checksumUpdate16(ck, oldW, newW);
      // One's complement has two zeros: both encodings verify the same way.
      assert.equal(verifies(b, inc), true);
      // One's complement has two zeros: the update may pick the other encoding of the same value.
      assert.equal(inc === full || inc + full === 0xffff, true, `${inc} vs ${full}`);
    } else if (i % 3 === 1) {
      const oldV = b.readUInt32BE(at - (at % 4));
      const newV = rnd(0x10000) * 0x10000 + rnd(0x10000);
      b.writeUInt32BE(newV, at - (at % 4));
      const full = internetChecksum(b);
      const inc = checksumUpdate32(ck, oldV, newV);
      assert.equal(verifies(b, inc), true);
      assert.equal(inc === full || inc + full === 0xffff, true);
    } else {
      const n = 2 * (1 + rnd(Math.min(8, (len - at) / 2)));
      const oldBytes = Buffer.from(b.subarray(at, at + n));
      const newBytes = Buffer.from(Array.from({ length: n }, () => rnd(256)));
      newBytes.copy(b, at);
      const inc = checksumUpdateBytes(ck, oldBytes, newBytes);
      assert.equal(verifies(b, inc), true);
    }
  }
});

test('NAT rewrite of a captured TCP SYN with incremental updates keeps every checksum valid', () => {
  const f = Buffer.from(TCP_SYN);
  const oldDst = f.readUInt32BE(30);
  const newDst = ipv4ToNumber('192.0.2.77');
  const oldPort = f.readUInt16BE(36);
  f.writeUInt32BE(newDst, 30);
  f.writeUInt16BE(8080, 36);
  f.writeUInt16BE(checksumUpdate32(f.readUInt16BE(24), oldDst, newDst), 24);
  let tcpCk = checksumUpdate32(f.readUInt16BE(50), oldDst, newDst); // pseudo-header covers the address
  tcpCk = checksumUpdate16(tcpCk, oldPort, 8080);
  f.writeUInt16BE(tcpCk, 50);
  const pkt = parsePacket(f);
  assert.equal(pkt.ipv4?.dst, '192.0.2.77');
  assert.equal(pkt.tcp?.dstPort, 8080);
  assert.deepEqual(verifyChecksums(pkt), { valid: true, ipv4: 'ok', tcp: 'ok' });
});

test('IPv6 address rewrite with checksumUpdateBytes keeps the TCP checksum valid', () => {
  const f = Buffer.from(TCP_V6_SYN);
  const oldSrc = Buffer.from(f.subarray(22, 38));
  const newSrc = ipv6ToBytes('2001:db8:abcd::42');
  newSrc.copy(f, 22);
  f.writeUInt16BE(checksumUpdateBytes(f.readUInt16BE(70), oldSrc, newSrc), 70);
  const pkt = parsePacket(f, { verifyChecksums: true });
  assert.equal(pkt.ipv6?.src, '2001:db8:abcd::42');
  assert.deepEqual(pkt.checksums, { valid: true, tcp: 'ok' });
});

test('checksumUpdateBytes rejects mismatched lengths', () => {
  assert.throws(() => checksumUpdateBytes(0, Buffer.alloc(2), Buffer.alloc(4)), { code: 'BAD_ARGUMENT' });
  assert.throws(() => checksumUpdateBytes(0, Buffer.alloc(3), Buffer.alloc(3)), { code: 'BAD_ARGUMENT' });
});
