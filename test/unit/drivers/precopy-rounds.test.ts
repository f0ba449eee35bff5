import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterRound } from '../../../src/drivers/hypervisor/sim/precopy';

const MB = 1024 * 1024;
const model = { memoryBytes: 64 * MB, dirtyBytesPerSec: 8 * MB, downtimeLimitMs: 100, maxRounds: 5 };

test('afterRound: the next round is what the guest dirtied during the measured one', () => {
  // 64 MB in 2 s (32 MB/s): 16 MB dirtied, 500 ms to copy at that rate -> another round.
  assert.deepEqual(afterRound(model, 1, 64 * MB, 2000), { dirtiedBytes: 16 * MB, pause: false });
  // 16 MB in 500 ms: 4 MB dirtied, 125 ms > 100 -> another round; 4 MB in 100 ms: 0.8 MB, 20 ms -> pause.
  assert.deepEqual(afterRound(model, 2, 16 * MB, 500), { dirtiedBytes: 4 * MB, pause: false });
  assert.deepEqual(afterRound(model, 3, 4 * MB, 100), { dirtiedBytes: Math.round(0.8 * MB), pause: true });
});

test('afterRound: a slow path takes more rounds than a fast one; maxRounds ends pre-copy; dirt is capped at the memory', () => {
  // The same round at a tenth of the rate: 10x the dirt, no pause yet.
  assert.equal(afterRound(model, 3, 4 * MB, 1000).pause, false);
  assert.equal(afterRound(model, 5, 4 * MB, 1000).pause, true, 'the 5th round is the last');
  assert.equal(afterRound(model, 1, 64 * MB, 60_000).dirtiedBytes, 64 * MB);
  assert.deepEqual(afterRound({ ...model, dirtyBytesPerSec: 0 }, 1, 64 * MB, 2000), { dirtiedBytes: 0, pause: true });
});
