/**
 * BandwidthShares (src/drivers/hypervisor/bandwidth-shares.ts): weighted shares per group; with `pausedFirst` a paused
 * VM's stream takes the bandwidth and the pre-copy streams of its group wait.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BandwidthShares, STOP_AND_COPY_WEIGHT } from '../../../src/drivers/hypervisor/bandwidth-shares';

describe('BandwidthShares', () => {
  test('by weight within a group; other groups and unknown keys are not counted', () => {
    const s = new BandwidthShares<string>();
    s.set('a', 1);
    s.set('b', 1);
    s.set('c', STOP_AND_COPY_WEIGHT, '', true);
    s.set('x', 1, 'other path');
    assert.equal(s.share('a', 600), 100);
    assert.equal(s.share('c', 600), 400);
    assert.equal(s.share('x', 600), 600);
    assert.equal(s.share('unknown', 600), 600);
    s.set('c', 0);
    assert.deepEqual(s.keys().sort(), ['a', 'b', 'x']);
    assert.equal(s.share('a', 600), 300);
  });

  test('pausedFirst: the paused share the bandwidth, the pre-copy streams of the group get 0 until no VM is paused', () => {
    const s = new BandwidthShares<string>({ pausedFirst: true });
    s.set('a', 1);
    s.set('b', 1);
    s.set('x', 1, 'other path');
    assert.equal(s.share('a', 600), 300);
    s.set('c', STOP_AND_COPY_WEIGHT, '', true);
    assert.deepEqual([s.isPaused('a'), s.isPaused('c'), s.isPaused('unknown')], [false, true, false]);
    assert.deepEqual([s.share('a', 600), s.share('b', 600), s.share('c', 600), s.share('x', 600)], [0, 0, 600, 600]);
    s.set('d', STOP_AND_COPY_WEIGHT, '', true);
    assert.deepEqual([s.share('c', 600), s.share('d', 600)], [300, 300]);
    s.set('c', 0);
    s.set('d', 0);
    assert.deepEqual([s.share('a', 600), s.share('b', 600)], [300, 300]);
  });
});
