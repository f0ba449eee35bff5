import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RealClock, VirtualClock } from '../../../src/core/clock';
import { seededRandom } from '../../../src/core/random';

test('virtual clock runs events in time order, ties in scheduling order, and skips cancelled ones', () => {
  const c = new VirtualClock();
  const seen: string[] = [];
  c.setTimeout(() => seen.push('b@10'), 10);
  c.setTimeout(() => seen.push('a@5'), 5);
  const h = c.setTimeout(() => seen.push('cancelled'), 7);
  c.setTimeout(() => seen.push('c@10'), 10);
  c.clearTimeout(h);
  c.advance(9);
  assert.deepEqual(seen, ['a@5']);
  assert.equal(c.now(), 9);
  c.runAll();
  assert.deepEqual(seen, ['a@5', 'b@10', 'c@10']);
  assert.equal(c.now(), 10);
});

test('virtual clock: events scheduled by events run at the right time', () => {
  const c = new VirtualClock();
  const times: number[] = [];
  const tick = () => {
    times.push(c.now());
    if (times.length < 5) c.setTimeout(tick, 2.5);
  };
  c.setTimeout(tick, 0);
  c.runAll();
  assert.deepEqual(times, [0, 2.5, 5, 7.5, 10]);
});

test('virtual clock: runAll stops at maxEvents on a self-rescheduling loop', () => {
  const c = new VirtualClock();
  const loop = () => c.setTimeout(loop, 0);
  c.setTimeout(loop, 0);
  assert.equal(c.runAll(1000), 1000);
});

test('real clock fires and cancels timers', async () => {
  const c = new RealClock();
  let fired = 0;
  c.setTimeout(() => fired++, 1);
  c.clearTimeout(c.setTimeout(() => (fired += 100), 1));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(fired, 1);
});

test('seeded random is deterministic per seed and differs across seeds', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const c = seededRandom(43);
  const xs = Array.from({ length: 5 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
});
