import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../../../src/core/clock';
import { isXsiteError } from '../../../../src/core/errors';
import { parsePacket } from '../../../../src/codec/packet';
import { EmulatedHost } from '../../../../src/emulator/host/host';
import { Hub, host, link, mac } from './fixtures';

test('ARP: the first ping resolves the peer; both caches learn; the reply is unicast', async () => {
  const clock = new VirtualClock();
  const a = host(clock, 1);
  const b = host(clock, 2);
  link(clock, a.endpoint, b.endpoint, { latencyMs: 1 });
  const p = a.ping('10.0.0.2', { count: 1 });
  clock.advance(100);
  const r = await p;
  assert.equal(r.received, 1);
  assert.equal(a.arp.lookup('10.0.0.2'), mac(2));
  assert.equal(b.arp.lookup('10.0.0.1'), mac(1), 'learned from the request addressed to it');
  assert.equal(a.arp.counters.requestsSent, 1);
  assert.equal(b.arp.counters.repliesSent, 1);
  assert.equal(a.arp.counters.repliesReceived, 1);
  // ARP exchange (1 ms each way) then the echo: 4 ms to the reply.
  assert.deepEqual(r.rttMs, [4]);
});

test('ping: count, interval, RTT of the link; loss gives timeouts; an absent host fails ARP', async () => {
  const clock = new VirtualClock();
  const a = host(clock, 1);
  const b = host(clock, 2);
  const l = link(clock, a.endpoint, b.endpoint, { latencyMs: 5 });
  a.arp.set('10.0.0.2', mac(2));
  b.arp.set('10.0.0.1', mac(1));
  let r = await settleAfter(clock, a.ping('10.0.0.2', { count: 4, intervalMs: 100 }), 1000);
  assert.deepEqual(r.rttMs, [10, 10, 10, 10]);
  assert.equal(r.sent, 4);
  assert.equal(b.icmp.counters.echoRepliesSent, 4);

  l.setUp(false);
  r = await settleAfter(clock, a.ping('10.0.0.2', { count: 2, intervalMs: 100, timeoutMs: 50 }), 1000);
  assert.deepEqual([r.sent, r.received, r.lost], [2, 0, 2]);
  l.setUp(true);

  r = await settleAfter(clock, a.ping('10.0.0.77', { count: 1, timeoutMs: 5000 }), 10_000);
  assert.equal(r.received, 0);
  assert.equal(a.arp.counters.resolveFailures, 1);
  assert.equal(a.arp.counters.queueDrops, 1);
  assert.equal(a.arp.resolving, 0);
});

test('ping to ourselves loops back; pings to the subnet broadcast are not answered', async () => {
  const clock = new VirtualClock();
  const a = host(clock, 1);
  const r = await settleAfter(clock, a.ping('10.0.0.1', { count: 2, intervalMs: 10 }), 100);
  assert.equal(r.received, 2);
  assert.deepEqual(r.rttMs, [0, 0]);
});

test('ARP cache entries expire and are resolved again', async () => {
  const clock = new VirtualClock();
  const a = host(clock, 1, { arp: { cacheTimeoutMs: 1000 } });
  const b = host(clock, 2);
  link(clock, a.endpoint, b.endpoint, { latencyMs: 1 });
  await settleAfter(clock, a.ping('10.0.0.2', { count: 1 }), 100);
  assert.equal(a.arp.entries().length, 1);
  clock.advance(2000);
  assert.equal(a.arp.lookup('10.0.0.2'), undefined);
  const r = await settleAfter(clock, a.ping('10.0.0.2', { count: 1 }), 100);
  assert.equal(r.received, 1);
  assert.equal(a.arp.counters.requestsSent, 2);
});

test('off-subnet destinations go to the gateway MAC (one ARP, for the gateway); no gateway = no route', async () => {
  const clock = new VirtualClock();
  const hub = new Hub(3);
  const a = host(clock, 5, { gateway: '10.0.0.1' });
  const gw = host(clock, 1);
  const other = host(clock, 9);
  link(clock, a.endpoint, hub.ports[0]!, { latencyMs: 1 });
  link(clock, gw.endpoint, hub.ports[1]!, { latencyMs: 1 });
  link(clock, other.endpoint, hub.ports[2]!, { latencyMs: 1 });
  await settleAfter(clock, a.ping('192.0.2.7', { count: 1, timeoutMs: 100 }), 500);
  const fromA = hub.seen.filter((s) => s.port === 'hub:0').map((s) => parsePacket(s.frame));
  assert.deepEqual(
    fromA.filter((p) => p.arp).map((p) => p.arp!.targetIp),
    ['10.0.0.1'],
  );
  const echo = fromA.find((p) => p.icmp)!;
  assert.equal(echo.eth.dst, mac(1));
  assert.equal(echo.ipv4!.dst, '192.0.2.7');
  assert.equal(gw.ipv4.counters.rxNotForUs, 1, 'a host gateway does not forward');
  assert.equal(other.nic.counters.rxFiltered, 2, 'unicast to the gateway (ARP reply aside) is filtered elsewhere');
  assert.equal(a.ipv4.nextHop(0xc0000207), 0x0a000001);

  const lone = host(clock, 3);
  link(clock, lone.endpoint, new EmulatedHost({ name: 'x', mac: mac(4), ip: '10.0.0.4/24', clock }).endpoint);
  const r = await settleAfter(clock, lone.ping('192.0.2.7', { count: 1, timeoutMs: 100 }), 500);
  assert.equal(r.received, 0);
  assert.equal(lone.ipv4.counters.txNoRoute, 1);
  assert.throws(() => host(clock, 8, { gateway: '10.9.0.1' }), (e) => isXsiteError(e, 'HOST_BAD_GATEWAY'));
  assert.throws(() => new EmulatedHost({ name: 'y', mac: mac(8), ip: '10.0.0.8', clock }), (e) => isXsiteError(e, 'HOST_BAD_ADDRESS'));
  assert.equal(a.ipv4.network, '10.0.0.0');
  assert.equal(a.ipv4.broadcast, '10.0.0.255');
});

test('gratuitous ARP updates peers that know the address, creates nothing elsewhere; RARP is sent too', async () => {
  const clock = new VirtualClock();
  const hub = new Hub(4);
  const a = host(clock, 1);
  const b = host(clock, 2);
  const bystander = host(clock, 3);
  link(clock, a.endpoint, hub.ports[0]!, { latencyMs: 1 });
  link(clock, b.endpoint, hub.ports[1]!, { latencyMs: 1 });
  link(clock, bystander.endpoint, hub.ports[2]!, { latencyMs: 1 });
  await settleAfter(clock, a.ping('10.0.0.2', { count: 1 }), 100);
  assert.equal(a.arp.lookup('10.0.0.2'), mac(2));
  // 10.0.0.2 now answers from another MAC (e.g. a replacement VM) and announces it.
  const b2 = new EmulatedHost({ name: 'b2', mac: '02:00:00:00:0b:02', ip: '10.0.0.2/24', clock });
  link(clock, b2.endpoint, hub.ports[3]!, { latencyMs: 1 });
  const updates: string[] = [];
  a.arp.onUpdate = (ip, m) => updates.push(`${ip}=${m}`);
  b2.announce();
  clock.advance(10);
  assert.equal(a.arp.lookup('10.0.0.2'), '02:00:00:00:0b:02');
  assert.deepEqual(updates, ['10.0.0.2=02:00:00:00:0b:02']);
  assert.equal(bystander.arp.lookup('10.0.0.2'), undefined, 'merge rule: no new entry from a GARP');
  assert.equal(a.arp.counters.gratuitousReceived, 1);
  assert.equal(a.arp.counters.rarpReceived, 1);
  assert.equal(b.arp.counters.conflicts, 1, 'the old owner sees its address claimed');
  const rarps = hub.seen.filter((s) => s.frame.readUInt16BE(12) === 0x8035);
  assert.equal(rarps.length, 1);
  assert.equal(rarps[0]!.frame.length, 60);
  // QEMU-style: several rounds.
  b2.announce({ rounds: 3, intervalMs: 100 });
  clock.advance(500);
  assert.equal(b2.arp.counters.rarpSent, 4);
  assert.equal(b2.arp.counters.gratuitousSent, 4);
});

test('static ARP entries are not overwritten by learning', () => {
  const clock = new VirtualClock();
  const a = host(clock, 1);
  const b = host(clock, 2);
  link(clock, a.endpoint, b.endpoint);
  a.arp.set('10.0.0.2', '02:00:00:00:99:99', { static: true });
  b.arp.gratuitous();
  clock.advance(10);
  assert.equal(a.arp.lookup('10.0.0.2'), '02:00:00:00:99:99');
  assert.equal(a.arp.entries()[0]!.static, true);
});

test('VLAN: same tag talks (frames tagged on the wire), another tag or untagged does not', async () => {
  const clock = new VirtualClock();
  const hub = new Hub(3);
  const a = host(clock, 1, { vlan: 100 });
  const b = host(clock, 2, { vlan: 100 });
  const c = host(clock, 3, { vlan: 200 });
  link(clock, a.endpoint, hub.ports[0]!);
  link(clock, b.endpoint, hub.ports[1]!);
  link(clock, c.endpoint, hub.ports[2]!);
  const r = await settleAfter(clock, a.ping('10.0.0.2', { count: 1 }), 100);
  assert.equal(r.received, 1);
  for (const s of hub.seen) {
    const p = parsePacket(s.frame);
    assert.equal(p.vlans.length, 1);
    assert.equal(p.vlans[0]!.vid, 100);
  }
  assert.ok(c.nic.counters.rxVlanMismatch >= 1, 'the ARP broadcast for VLAN 100 is not for VLAN 200');
  const r2 = await settleAfter(clock, a.ping('10.0.0.3', { count: 1, timeoutMs: 100 }), 5000);
  assert.equal(r2.received, 0);
  assert.equal(c.arp.counters.requestsReceived, 0);

  const d = host(clock, 4);
  const e = host(clock, 5, { vlan: 100 });
  link(clock, d.endpoint, e.endpoint);
  const r3 = await settleAfter(clock, d.ping('10.0.0.5', { count: 1, timeoutMs: 100 }), 5000);
  assert.equal(r3.received, 0);
  assert.ok(e.nic.counters.rxVlanMismatch > 0);
  assert.throws(() => host(clock, 6, { vlan: 4095 }), (err) => isXsiteError(err, 'NIC_BAD_VLAN'));
});

test('the NIC filters unicast frames for other MACs; malformed frames and bad checksums are counted', () => {
  const clock = new VirtualClock();
  const a = host(clock, 1);
  const f = Buffer.alloc(60);
  Buffer.from([2, 0, 0, 0, 0, 0x77]).copy(f, 0);
  a.endpoint.receive(f);
  assert.equal(a.nic.counters.rxFiltered, 1);
  a.endpoint.receive(Buffer.alloc(10));
  assert.equal(a.nic.counters.rxRunts, 1);
  // An IPv4 frame for us with a truncated header.
  const bad = Buffer.alloc(20);
  Buffer.from([2, 0, 0, 0, 0, 1]).copy(bad, 0);
  bad.writeUInt16BE(0x0800, 12);
  bad[14] = 0x45;
  a.endpoint.receive(bad);
  assert.equal(a.counters.rxMalformed, 1);
});

test('a NIC cannot be plugged twice; sending without carrier is counted', () => {
  const clock = new VirtualClock();
  const a = host(clock, 1);
  const b = host(clock, 2);
  const c = host(clock, 3);
  link(clock, a.endpoint, b.endpoint);
  assert.throws(() => link(clock, a.endpoint, c.endpoint), (e) => isXsiteError(e, 'NIC_IN_USE'));
  a.detach();
  assert.equal(a.nic.attached, false);
  a.arp.gratuitous();
  assert.equal(a.nic.counters.txNoCarrier, 1);
});

/** Advances the clock by `ms`, then awaits `p`. */
async function settleAfter<T>(clock: VirtualClock, p: Promise<T>, ms: number): Promise<T> {
  clock.advance(ms);
  return p;
}
