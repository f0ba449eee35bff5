import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrContains, cidrsOverlap, parseCidr, parseIp, type Cidr, type IpAddr } from '../../../../src/emulator/topology/cidr';
import { closest, editDistance } from '../../../../src/emulator/topology/suggest';

const cidr = (t: string): Cidr => parseCidr(t) as Cidr;
const ip = (t: string): IpAddr => parseIp(t) as IpAddr;

test('CIDR parsing, containment and overlap, both families', () => {
  assert.equal(cidr('10.1.0.0/16').text, '10.1.0.0/16');
  assert.match(parseCidr('10.1.0.0') as string, /missing \/prefix-length/);
  assert.match(parseCidr('10.1.0.0/33') as string, /0\.\.32/);
  assert.match(parseCidr('10.1.2.3/16') as string, /did you mean "10\.1\.0\.0\/16"/);
  assert.equal(cidr('0.0.0.0/0').prefix, 0);
  assert.ok(cidrContains(cidr('10.1.0.0/16'), ip('10.1.255.7')));
  assert.ok(!cidrContains(cidr('10.1.0.0/16'), ip('10.2.0.1')));
  assert.ok(!cidrContains(cidr('10.1.0.0/16'), ip('::1')));
  assert.ok(cidrContains(cidr('2001:db8::/32'), ip('2001:DB8:1::5')));
  assert.ok(cidrsOverlap(cidr('10.0.0.0/8'), cidr('10.3.0.0/16')));
  assert.ok(!cidrsOverlap(cidr('10.1.0.0/16'), cidr('10.2.0.0/16')));
  assert.ok(cidrContains(cidr('10.1.0.0/23'), ip('10.1.1.200')));
});

test('edit distance and closest candidate', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(closest('latencyms', ['latencyMs', 'loss']), 'latencyMs');
  assert.equal(closest('swtich', ['switch', 'host']), 'switch');
  assert.equal(closest('zzz', ['switch', 'host']), undefined);
});
