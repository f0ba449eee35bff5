/**
 * The `netns` hypervisor's copy stream on loopback (src/drivers/hypervisor/netns/copy-stream.ts): bytes arrive, the
 * pacing holds a slow stream back, and `setRate` takes effect in the middle of a round (the shared migration
 * bandwidth re-divides it when another migration starts or ends).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CopyStream } from '../../../src/drivers/hypervisor/netns/copy-stream';

const KiB = 1024;

describe('CopyStream (loopback)', () => {
  test('a round at 128 KiB/s holds 256 KiB back about 2 s; raised to 64 MiB/s mid-round it ends at once', async () => {
    const slow = new CopyStream(128 * KiB, undefined);
    try {
      await slow.open();
      const t0 = performance.now();
      const round = slow.send(256 * KiB, false);
      await new Promise((r) => setTimeout(r, 300));
      slow.setRate(64 * 1024 * KiB);
      const ms = await round;
      const wall = performance.now() - t0;
      assert.ok(wall >= 250 && wall < 1500, `raised mid-round: ${wall.toFixed(0)} ms (paced all the way: about 2000)`);
      assert.ok(ms > 0 && ms <= wall + 50, `reported ${ms} ms of ${wall.toFixed(0)}`);
    } finally {
      await slow.close();
    }
  });

  test('rate 0 holds a round (another VM is paused) until a rate lets it go on', async () => {
    const s = new CopyStream(64 * 1024 * KiB, undefined);
    try {
      await s.open();
      s.setRate(0);
      let ended = false;
      const t0 = performance.now();
      const round = s.send(512 * KiB, false).then((ms) => ((ended = true), ms));
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(ended, false, 'a held stream sends nothing past its first chunks');
      const released = performance.now();
      s.setRate(64 * 1024 * KiB);
      const ms = await round;
      assert.ok(performance.now() - released < 400, `went on at once: ${(performance.now() - released).toFixed(0)} ms after the rate`);
      assert.ok(ms >= 550 && ms <= performance.now() - t0 + 50, `the round's time includes the hold: ${ms} ms`);
    } finally {
      await s.close();
    }
  });

  test('left at 128 KiB/s, 128 KiB take most of a second (a 16 KiB burst, then paced)', async () => {
    const s = new CopyStream(128 * KiB, undefined);
    try {
      await s.open();
      const ms = await s.send(128 * KiB, false);
      assert.ok(ms >= 600, `paced: ${ms} ms`);
    } finally {
      await s.close();
    }
  });
});
