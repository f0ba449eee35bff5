import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6, parseMac } from '../../../../src/codec/openflow/addr';

function v6(s: string): string {
  const b = Buffer.alloc(16);
  assert.ok(parseIpv6(s, b), `parse ${s}`);
  return formatIpv6(b);
}

test('MAC parse/format', () => {
  const b = Buffer.alloc(6);
  assert.ok(parseMac('AA:bb:0c:Dd:ee:FF', b));
  assert.equal(formatMac(b), 'aa:bb:0c:dd:ee:ff');
  // One canonical text form: colon-separated (dash-separated MACs are refused, as everywhere in xsite).
  assert.equal(parseMac('01-02-03-04-05-06', b), false);
  for (const bad of ['', 'aa:bb:cc:dd:ee', 'aa:bb:cc:dd:ee:fg', 'aa:bb:cc:dd:ee:ff:', 'aabb.ccdd.eeff.00', 'aa:bb:cc:dd:ee:f']) {
    assert.equal(parseMac(bad, b), false, bad);
  }
  assert.equal(parseMac(42 as unknown as string, b), false);
});

test('IPv4 parse/format', () => {
  assert.equal(parseIpv4('0.0.0.0'), 0);
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIpv4('10.1.2.3'), 0x0a010203);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.', 'a.b.c.d', '1.2.3.4 ', '1234.1.1.1']) {
    assert.equal(parseIpv4(bad), -1, bad);
  }
  assert.equal(formatIpv4(Buffer.from([192, 168, 0, 1])), '192.168.0.1');
});

test('IPv6 parse/format follows RFC 5952', () => {
  assert.equal(v6('::'), '::');
  assert.equal(v6('::1'), '::1');
  assert.equal(v6('1::'), '1::');
  assert.equal(v6('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(v6('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1'); // single zero group not compressed
  assert.equal(v6('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1'); // longest run wins
  assert.equal(v6('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1'); // first of equal runs
  assert.equal(v6('fe80:0000:0000:0000:0202:b3ff:fe1e:8329'), 'fe80::202:b3ff:fe1e:8329');
  assert.equal(v6('::ffff:192.0.2.1'), '::ffff:192.0.2.1');
  assert.equal(v6('::ffff:c000:0201'), '::ffff:192.0.2.1');
  assert.equal(v6('64:ff9b::192.0.2.33'), '64:ff9b::c000:221');
  assert.equal(v6('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8');
  const b = Buffer.alloc(16);
  for (const bad of ['', ':', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::', '1:2:3:4:5:6:7:', ':1:2:3:4:5:6:7', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4', 'fe80::1%eth0']) {
    assert.equal(parseIpv6(bad, b), false, bad);
  }
});
