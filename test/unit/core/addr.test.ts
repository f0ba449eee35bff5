import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ipv4FromBytes,
  ipv4FromNumber,
  ipv4ToBytes,
  ipv4ToNumber,
  ipv6FromBytes,
  ipv6ToBytes,
  isIpv4,
  isIpv6,
  isMac,
  macFromBytes,
  macFromNumber,
  macToBytes,
  macToNumber,
  normalizeIpv6,
  writeIpv4,
  writeIpv6,
  writeMac,
} from '../../../src/core/addr';
import { isXsiteError } from '../../../src/core/errors';

const badAddress = (e: unknown): boolean => isXsiteError(e, 'BAD_ADDRESS');

test('MAC text <-> bytes, lowercase canonical', () => {
  assert.deepEqual([...macToBytes('AA:bb:0C:dd:ee:0f')], [0xaa, 0xbb, 0x0c, 0xdd, 0xee, 0x0f]);
  assert.equal(macFromBytes(Buffer.from([0xaa, 0xbb, 0x0c, 0xdd, 0xee, 0x0f])), 'aa:bb:0c:dd:ee:0f');
  const b = Buffer.alloc(10);
  writeMac('02:00:00:00:00:0a', b, 3);
  assert.equal(macFromBytes(b, 3), '02:00:00:00:00:0a');
  assert.equal(macToNumber('ff:ff:ff:ff:ff:fe'), 0xfffffffffffe);
  assert.equal(macFromNumber(0x020000000001), '02:00:00:00:00:01');
  assert.equal(isMac('02:00:00:00:00:0a'), true);
  assert.equal(isMac('02-00-00-00-00-0a'), false);
});

test('MAC validation throws BAD_ADDRESS', () => {
  for (const bad of ['', '02:00:00:00:00', '02:00:00:00:00:0g', '02:00:00:00:00:0a:', '0200.0000.000a', '02-00-00-00-00-0a', 42 as unknown as string]) {
    assert.throws(() => macToBytes(bad), badAddress, String(bad));
  }
  assert.throws(() => macFromBytes(Buffer.alloc(5)), badAddress);
  assert.throws(() => writeMac('02:00:00:00:00:0a', Buffer.alloc(6), 1), badAddress);
  assert.throws(() => macFromNumber(2 ** 48), badAddress);
});

test('IPv4 text <-> number <-> bytes', () => {
  assert.equal(ipv4ToNumber('192.0.2.1'), 0xc0000201);
  assert.equal(ipv4ToNumber('255.255.255.255'), 0xffffffff);
  assert.equal(ipv4ToNumber('0.0.0.0'), 0);
  assert.equal(ipv4FromNumber(0xc0000201), '192.0.2.1');
  assert.equal(ipv4FromNumber(0xffffffff), '255.255.255.255');
  assert.deepEqual([...ipv4ToBytes('10.99.0.2')], [10, 99, 0, 2]);
  assert.equal(ipv4FromBytes(Buffer.from([0, 10, 99, 0, 2]), 1), '10.99.0.2');
  const b = Buffer.alloc(4);
  writeIpv4('1.2.3.4', b);
  assert.deepEqual([...b], [1, 2, 3, 4]);
  assert.equal(isIpv4('1.2.3.4'), true);
  assert.equal(isIpv4('1.2.3'), false);
});

test('IPv4 validation throws BAD_ADDRESS', () => {
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..2.3', '1.2.3.4 ', 'a.b.c.d', '1.2.3.-4', '1.2.3.4.', '.1.2.3']) {
    assert.throws(() => ipv4ToNumber(bad), badAddress, bad);
  }
  assert.throws(() => ipv4FromNumber(-1), badAddress);
  assert.throws(() => ipv4FromNumber(2 ** 32), badAddress);
  assert.throws(() => ipv4FromNumber(1.5), badAddress);
});

test('IPv6 text -> RFC 5952 canonical text', () => {
  const cases: [string, string][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1::', '1::'],
    ['2001:DB8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // leftmost of equal runs
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'], // longest run wins
    ['fe80::00ff:fe00:000a', 'fe80::ff:fe00:a'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'],
    ['::192.0.2.1', '::c000:201'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['ff02::1:ff00:2', 'ff02::1:ff00:2'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ];
  for (const [input, canonical] of cases) {
    assert.equal(normalizeIpv6(input), canonical, input);
    assert.equal(isIpv6(input), true, input);
  }
});

test('IPv6 bytes round trip', () => {
  const b = ipv6ToBytes('fd00:99::2');
  assert.equal(b.toString('hex'), 'fd000099000000000000000000000002');
  assert.equal(ipv6FromBytes(b), 'fd00:99::2');
  const out = Buffer.alloc(20);
  writeIpv6('fd00:99::2', out, 4);
  assert.equal(ipv6FromBytes(out, 4), 'fd00:99::2');
  // Every single-group value pattern survives a round trip.
  for (let k = 0; k < 8; k++) {
    const raw = Buffer.alloc(16);
    raw.writeUInt16BE(0xabc, 2 * k);
    assert.deepEqual(ipv6ToBytes(ipv6FromBytes(raw)), raw);
  }
});

test('IPv6 validation throws BAD_ADDRESS', () => {
  for (const bad of [
    '', ':', ':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', ':1::', '1::2:', '1:2:3:4:5:6:7:8::',
    '::1.2.3', '::1.2.3.256', '1.2.3.4', '::1.2.3.4:5', 'fe80::1%eth0', '1:2:3:4:5:6:7:1.2.3.4',
  ]) {
    assert.throws(() => ipv6ToBytes(bad), badAddress, bad);
    assert.equal(isIpv6(bad), false, bad);
  }
  assert.throws(() => ipv6FromBytes(Buffer.alloc(15)), badAddress);
});

test('randomized IPv6 and IPv4 round trips', () => {
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 2000; i++) {
    const raw = Buffer.alloc(16);
    for (let k = 0; k < 8; k++) if (rnd() < 0.4) raw.writeUInt16BE(Math.floor(rnd() * 0x10000), 2 * k);
    const text = ipv6FromBytes(raw);
    assert.deepEqual(ipv6ToBytes(text), raw, text);
    assert.equal(text, text.toLowerCase());
    // WHATWG URL serializes IPv6 hosts per RFC 5952 too (but IPv4-mapped ones in hex).
    if (!text.startsWith('::ffff:')) assert.equal(new URL(`http://[${text}]/`).hostname, `[${text}]`);
    const n = Math.floor(rnd() * 2 ** 32);
    assert.equal(ipv4ToNumber(ipv4FromNumber(n)), n);
  }
});
