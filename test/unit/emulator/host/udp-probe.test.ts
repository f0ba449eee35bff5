import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../../../src/core/clock';
import { isXsiteError } from '../../../../src/core/errors';
import { ProbeReceiver, ProbeSender, ProbeStats, probeReport } from '../../../../src/emulator/host/probe';
import { UDP_MAX_PAYLOAD } from '../../../../src/emulator/host/udp';
import { host, link, mac } from './fixtures';

function pairWithStaticArp(params: Parameters<typeof link>[3]) {
  const clock = new VirtualClock();
  const a = host(clock, 1);
  const b = host(clock, 2);
  const l = link(clock, a.endpoint, b.endpoint, params);
  a.arp.set('10.0.0.2', mac(2), { static: true });
  b.arp.set('10.0.0.1', mac(1), { static: true });
  return { clock, a, b, l };
}

test('UDP: bind, send, receive with the source; unbound port counted; errors', () => {
  const { clock, a, b } = pairWithStaticArp({ latencyMs: 1 });
  const got: string[] = [];
  const sb = b.udp.bind(7000, (data, from) => got.push(`${data.toString()} from ${from.srcIp}:${from.srcPort}`));
  const sa = a.udp.bind(6000);
  sa.send('10.0.0.2', 7000, Buffer.from('hello'));
  sa.send('10.0.0.2', 7001, Buffer.from('nobody'));
  clock.advance(5);
  assert.deepEqual(got, ['hello from 10.0.0.1:6000']);
  assert.equal(b.udp.counters.rxNoPort, 1);
  assert.throws(() => b.udp.bind(7000), (e) => isXsiteError(e, 'UDP_PORT_IN_USE'));
  assert.throws(() => sa.send('10.0.0.2', 7000, Buffer.alloc(UDP_MAX_PAYLOAD + 1)), (e) => isXsiteError(e, 'UDP_TOO_BIG'));
  const eph = a.udp.bind();
  assert.ok(eph.port >= 49152);
  sb.close();
  sa.send('10.0.0.2', 7000, Buffer.from('late'));
  clock.advance(5);
  assert.equal(got.length, 1);
  assert.equal(b.udp.counters.rxNoPort, 2);
  // Broadcast reaches the subnet.
  const bc: string[] = [];
  b.udp.bind(9999, (d, f) => bc.push(`${d.toString()}->${f.dstIp}`));
  sa.send('10.0.0.255', 9999, Buffer.from('all'));
  clock.advance(5);
  assert.deepEqual(bc, ['all->10.0.0.255']);
});

test('probe statistics: duplicates, reordering, gaps, delays', () => {
  const s = new ProbeStats();
  const arrivals: [number, number, number][] = [
    [0, 0, 5],
    [1, 10, 15],
    [3, 30, 35],
    [2, 20, 36],
    [3, 30, 37],
    [4, 40, 245],
    [6, 60, 260],
  ];
  for (const [seq, sentAt, now] of arrivals) s.record(seq, sentAt, now);
  const r = s.report(8);
  assert.equal(r.received, 6);
  assert.equal(r.duplicates, 1);
  assert.equal(r.reordered, 1);
  assert.equal(r.lost, 2);
  assert.equal(r.maxGapMs, 245 - 36);
  assert.equal(r.maxGapEndAt, 245);
  assert.equal(r.minDelayMs, 5);
  assert.equal(r.maxDelayMs, 205);
  assert.equal(s.report().sent, 7);
  // Large sequence numbers grow the bitset.
  s.record(100_000, 0, 300);
  assert.equal(s.received, 7);
});

test('UDP probes over a lossy link: loss measured exactly, no reordering, blackout ~ one interval', async () => {
  const { clock, a, b, l } = pairWithStaticArp({ latencyMs: 2, lossRate: 0.05, seed: 7 });
  const rx = new ProbeReceiver(b, { port: 4000 });
  const tx = new ProbeSender(a, { dstIp: '10.0.0.2', dstPort: 4000, intervalMs: 10, count: 2000 }).start();
  const done = tx.whenDone();
  clock.advance(2000 * 10 + 100);
  await done;
  const r = probeReport(tx, rx);
  assert.equal(r.sent, 2000);
  assert.equal(r.lost, l.ab.droppedLoss, 'every loss on the link and nothing else');
  assert.ok(r.lost > 60 && r.lost < 140, `lost ${r.lost}`);
  assert.equal(r.received + r.lost, 2000);
  assert.equal(r.reordered, 0);
  assert.equal(r.duplicates, 0);
  assert.equal(r.minDelayMs, 2);
  assert.ok(r.maxGapMs >= 20 && r.maxGapMs <= 60, `gap ${r.maxGapMs}`);
  assert.equal(tx.isRunning, false);
});

test('a 500 ms outage shows as the blackout; a reflector gives round trips to the sender', () => {
  const { clock, a, b, l } = pairWithStaticArp({ latencyMs: 3 });
  const rx = new ProbeReceiver(b, { port: 4000, reflect: true });
  const tx = new ProbeSender(a, { dstIp: '10.0.0.2', dstPort: 4000, intervalMs: 10 }).start();
  clock.advance(1000);
  l.setUp(false);
  clock.advance(500);
  l.setUp(true);
  clock.advance(1000);
  tx.stop();
  clock.advance(100);
  const one = rx.report(tx.sent);
  assert.equal(tx.sent, 251);
  // Probes leave at 0, 10, ...; the one sent at t=1000 is in flight when the link drops, those at 1010..1500 find it
  // down: 51 lost. Last arrival before: 993 (sent 990); first after: 1513 (sent 1510).
  assert.equal(one.lost, 51);
  assert.equal(one.maxGapMs, 520);
  assert.equal(one.maxGapEndAt, 1513);
  const two = tx.report();
  assert.equal(two.minDelayMs, 6);
  assert.equal(two.maxDelayMs, 6);
  assert.equal(two.lost, 51);
  assert.equal(two.maxGapMs, 520);
  rx.close();
  tx.close();
});
