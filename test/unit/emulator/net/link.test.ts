import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../../../src/core/clock';
import { isXsiteError } from '../../../../src/core/errors';
import { seededRandom } from '../../../../src/core/random';
import type { Endpoint, Transmitter } from '../../../../src/emulator/net/endpoint';
import { Link, linkOf } from '../../../../src/emulator/net/link';
import { LINK_PRESETS, bdpQueue, linkPreset, wanLink } from '../../../../src/emulator/net/wan';

/** Records what it receives (with arrival times) and carrier changes. */
class Probe implements Endpoint {
  tx: Transmitter | undefined;
  rx: { at: number; frame: Buffer }[] = [];
  carrier: boolean[] = [];
  attaches = 0;
  detaches = 0;
  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
  ) {}
  receive(frame: Buffer): void {
    this.rx.push({ at: this.clock.now(), frame });
  }
  attach(tx: Transmitter | undefined): void {
    this.tx = tx;
    if (tx) this.attaches++;
    else this.detaches++;
  }
  carrierChanged(up: boolean): void {
    this.carrier.push(up);
  }
  send(frame: Buffer): void {
    this.tx!.transmit(frame);
  }
}

function frame(n: number, len = 100): Buffer {
  const b = Buffer.alloc(len);
  b.writeUInt32BE(n, 20);
  return b;
}
const idOf = (f: Buffer) => f.readUInt32BE(20);

function pair(params: ConstructorParameters<typeof Link>[2] extends infer O ? Omit<O & object, 'clock'> : never = {}) {
  const clock = new VirtualClock();
  const a = new Probe('a', clock);
  const b = new Probe('b', clock);
  const link = new Link(a, b, { clock, ...params });
  return { clock, a, b, link };
}

test('attaching: both ends get a transmitter, up, and linkOf finds the link', () => {
  const { a, b, link } = pair();
  assert.equal(a.attaches, 1);
  assert.equal(b.attaches, 1);
  assert.equal(a.tx!.up, true);
  assert.equal(linkOf(a.tx), link);
  assert.equal(link.name, 'a<->b');
  assert.deepEqual(a.carrier, [], 'no carrierChanged at construction');
});

test('latency: a frame arrives exactly latencyMs later, each direction independently, asynchronously', () => {
  const { clock, a, b, link } = pair({ latencyMs: 10 });
  a.send(frame(1));
  clock.advance(5);
  b.send(frame(2));
  assert.equal(b.rx.length, 0, 'never delivered synchronously');
  clock.runUntil(9.999);
  assert.equal(b.rx.length, 0);
  clock.runUntil(10);
  assert.deepEqual(b.rx.map((r) => [r.at, idOf(r.frame)]), [[10, 1]]);
  clock.advance(5);
  assert.deepEqual(a.rx.map((r) => [r.at, idOf(r.frame)]), [[15, 2]]);
  assert.equal(link.ab.rxFrames, 1);
  assert.equal(link.ab.txBytes, 100);
  assert.equal(link.ba.rxBytes, 100);
});

test('zero latency and unlimited bandwidth still deliver on a timer, in order', () => {
  const { clock, a, b } = pair();
  for (let i = 0; i < 5; i++) a.send(frame(i));
  assert.equal(b.rx.length, 0);
  clock.runAll();
  assert.deepEqual(b.rx.map((r) => idOf(r.frame)), [0, 1, 2, 3, 4]);
  assert.equal(clock.now(), 0);
});

test('serialisation: back-to-back frames leave one transmission time apart (store-and-forward)', () => {
  // 1000 bytes at 8 Mbit/s = 1 ms on the wire.
  const { clock, a, b, link } = pair({ latencyMs: 2, bandwidthMbps: 8 });
  for (let i = 0; i < 5; i++) a.send(frame(i, 1000));
  assert.equal(link.ab.inFlight, 5);
  clock.runAll();
  assert.deepEqual(b.rx.map((r) => r.at), [3, 4, 5, 6, 7]);
  assert.deepEqual(b.rx.map((r) => idOf(r.frame)), [0, 1, 2, 3, 4]);
  // A frame sent once the wire is idle again starts at once.
  clock.advance(10);
  a.send(frame(9, 500));
  clock.runAll();
  assert.equal(b.rx.at(-1)!.at, 17 + 0.5 + 2);
  // The other direction has its own wire.
  const t0 = clock.now();
  a.send(frame(10, 1000));
  b.send(frame(11, 1000));
  clock.runAll();
  assert.equal(a.rx.at(-1)!.at, t0 + 3);
  assert.equal(b.rx.at(-1)!.at, t0 + 3);
});

test('throughput at the bandwidth: 1000 full frames over 100 Mbit/s take 121.12 ms', () => {
  const { clock, a, b } = pair({ bandwidthMbps: 100, queueBytes: 2_000_000 });
  for (let i = 0; i < 1000; i++) a.send(frame(i, 1514));
  clock.runAll();
  assert.equal(b.rx.length, 1000);
  assert.ok(Math.abs(b.rx.at(-1)!.at - (1000 * 1514 * 8) / 100_000) < 1e-6);
  for (let i = 1; i < b.rx.length; i++) assert.ok(idOf(b.rx[i]!.frame) === i);
});

test('loss: the loss rate is about right over many frames and reproducible from the seed', () => {
  const run = (seed: number) => {
    const { clock, a, b, link } = pair({ lossRate: 0.1, random: seededRandom(seed) });
    for (let i = 0; i < 20_000; i++) a.send(frame(i, 60));
    clock.runAll();
    const ids = b.rx.map((r) => idOf(r.frame));
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, 'survivors stay in order');
    assert.equal(link.ab.droppedLoss + b.rx.length, 20_000);
    assert.equal(link.ab.txFrames, 20_000, 'lost frames did go on the wire');
    return ids;
  };
  const x = run(42);
  const lossRate = 1 - x.length / 20_000;
  assert.ok(lossRate > 0.09 && lossRate < 0.11, `loss ${lossRate}`);
  assert.deepEqual(run(42), x, 'same seed, same losses');
  assert.notDeepEqual(run(43), x);
  // Loss 0 never draws from the random source; loss 1 drops everything.
  const all = pair({ lossRate: 1 });
  all.a.send(frame(1));
  all.clock.runAll();
  assert.equal(all.b.rx.length, 0);
  assert.equal(all.link.ab.droppedLoss, 1);
});

test('queue: drop-tail once the backlog would exceed queueBytes, then room again as it drains', () => {
  // 1000 bytes at 1 Mbit/s = 8 ms; a 3000-byte queue holds three frames' worth of backlog.
  const { clock, a, b, link } = pair({ bandwidthMbps: 1, queueBytes: 3000 });
  for (let i = 0; i < 10; i++) a.send(frame(i, 1000));
  assert.equal(link.ab.txFrames, 3);
  assert.equal(link.ab.droppedQueue, 7);
  assert.equal(link.ab.backlogBytes, 3000);
  clock.advance(8);
  assert.equal(link.ab.backlogBytes, 2000);
  a.send(frame(10, 1000));
  a.send(frame(11, 1000));
  assert.equal(link.ab.droppedQueue, 8);
  clock.runAll();
  assert.deepEqual(b.rx.map((r) => idOf(r.frame)), [0, 1, 2, 10]);
  assert.deepEqual(b.rx.map((r) => r.at), [8, 16, 24, 32]);
  // Without a bandwidth there is no queue at all.
  const u = pair({ queueBytes: 0 });
  for (let i = 0; i < 10; i++) u.a.send(frame(i, 1000));
  assert.equal(u.link.ab.droppedQueue, 0);
});

test('down link: frames in flight are lost, frames sent are dropped, carrier is signalled both ways', () => {
  const { clock, a, b, link } = pair({ latencyMs: 10 });
  a.send(frame(1));
  b.send(frame(2));
  clock.advance(5);
  link.setUp(false);
  assert.deepEqual(a.carrier, [false]);
  assert.deepEqual(b.carrier, [false]);
  assert.equal(a.tx!.up, false);
  a.send(frame(3));
  clock.advance(100);
  assert.equal(b.rx.length, 0);
  assert.equal(a.rx.length, 0);
  assert.equal(link.ab.droppedDown, 2);
  assert.equal(link.ba.droppedDown, 1);
  link.setUp(false); // no change, no signal
  assert.deepEqual(a.carrier, [false]);
  link.setUp(true);
  assert.deepEqual(b.carrier, [false, true]);
  a.send(frame(4));
  clock.advance(10);
  assert.deepEqual(b.rx.map((r) => idOf(r.frame)), [4]);
});

test('the serialisation backlog is forgotten when the link goes down', () => {
  const { clock, a, b, link } = pair({ bandwidthMbps: 1, latencyMs: 1 });
  for (let i = 0; i < 5; i++) a.send(frame(i, 1000));
  link.setUp(false);
  link.setUp(true);
  assert.equal(link.ab.backlogBytes, 0);
  a.send(frame(9, 1000));
  clock.runAll();
  assert.deepEqual(b.rx.map((r) => [r.at, idOf(r.frame)]), [[9, 9]]);
});

test('a receiver that takes the link down while receiving stops the delivery of the rest', () => {
  const clock = new VirtualClock();
  const a = new Probe('a', clock);
  let link!: Link;
  const got: number[] = [];
  const b: Endpoint = {
    name: 'b',
    attach() {},
    receive(f) {
      got.push(idOf(f));
      if (got.length === 2) link.setUp(false);
    },
  };
  link = new Link(a, b, { clock });
  for (let i = 0; i < 5; i++) a.send(frame(i));
  clock.runAll();
  assert.deepEqual(got, [0, 1]);
  assert.equal(link.ab.droppedDown, 3);
});

test('disconnect detaches both ends (carrier down first); replace moves one end like a cable', () => {
  const { clock, a, b, link } = pair({ latencyMs: 1 });
  const c = new Probe('c', clock);
  a.send(frame(1));
  link.replace(b, c);
  assert.equal(b.detaches, 1);
  assert.deepEqual(b.carrier, [false]);
  assert.deepEqual(a.carrier, [false, true], 'far end sees a flap');
  assert.equal(link.b, c);
  a.send(frame(2));
  c.send(frame(3));
  clock.runAll();
  assert.deepEqual(c.rx.map((r) => idOf(r.frame)), [2]);
  assert.deepEqual(a.rx.map((r) => idOf(r.frame)), [3]);
  assert.equal(b.rx.length, 0);
  link.disconnect();
  link.disconnect();
  assert.equal(a.detaches, 1);
  assert.equal(c.detaches, 1);
  assert.equal(link.connected, false);
  assert.throws(() => link.replace(a, b), (e) => isXsiteError(e, 'LINK_DISCONNECTED'));
});

test('bad parameters are refused with LINK_BAD_PARAM; setParams changes them for later frames', () => {
  const clock = new VirtualClock();
  assert.throws(() => new Link(new Probe('a', clock), new Probe('b', clock), { clock, lossRate: 2 }), (e) => isXsiteError(e, 'LINK_BAD_PARAM'));
  assert.throws(() => new Link(new Probe('a', clock), new Probe('b', clock), { clock, latencyMs: -1 }), (e) => isXsiteError(e, 'LINK_BAD_PARAM'));
  const { a, b, link, clock: c2 } = pair({ latencyMs: 1 });
  link.setParams({ latencyMs: 7 });
  a.send(frame(1));
  c2.runAll();
  assert.equal(b.rx[0]!.at, 7);
});

test('a long-busy link keeps its FIFO compact and in order', () => {
  const { clock, a, b, link } = pair({ latencyMs: 50 });
  for (let i = 0; i < 10_000; i++) {
    a.send(frame(i, 60));
    clock.advance(0.1);
  }
  clock.runAll();
  assert.equal(b.rx.length, 10_000);
  for (let i = 0; i < 10_000; i++) assert.equal(idOf(b.rx[i]!.frame), i);
  assert.equal(link.ab.inFlight, 0);
});

test('WAN presets: 20 ms / 1 Gbit/s by default, BDP-sized queue, overrides', () => {
  assert.equal(LINK_PRESETS.wan.latencyMs, 20);
  assert.equal(LINK_PRESETS.wan.bandwidthMbps, 1000);
  assert.equal(bdpQueue(20, 1000), 5_000_000);
  assert.equal(linkPreset('wan', { latencyMs: 40 }).queueBytes, 10_000_000);
  const clock = new VirtualClock();
  const a = new Probe('dc1', clock);
  const b = new Probe('dc2', clock);
  const link = wanLink(a, b, { clock });
  assert.equal(link.latencyMs, 20);
  a.send(frame(1, 1250)); // 10 microseconds at 1 Gbit/s
  clock.runAll();
  assert.ok(Math.abs(b.rx[0]!.at - 20.01) < 1e-9);
  const slow = wanLink(new Probe('x', clock), new Probe('y', clock), { clock, preset: 'intercontinental', lossRate: 0 });
  assert.equal(slow.latencyMs, 80);
  assert.equal(slow.lossRate, 0);
});
