/**
 * PauseGate (src/central/pause-gate.ts): other migrations' network changes stay out of a held pause.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PauseGate } from '../../../src/central/pause-gate';

const tick = () => new Promise((r) => setImmediate(r));

describe('PauseGate', () => {
  test('a change runs at once when no pause holds the gate, and passes its result and error through', async () => {
    const g = new PauseGate();
    assert.equal(await g.change(async () => 7), 7);
    await assert.rejects(g.change(async () => Promise.reject(new Error('boom'))), /boom/);
    // A failed change does not keep a hold waiting.
    const release = await g.hold();
    release();
  });

  test('a change waits while a pause holds the gate and runs once it is released', async () => {
    const g = new PauseGate();
    const release = await g.hold();
    assert.equal(g.isHeld(), true);
    const log: string[] = [];
    const c = g.change(async () => void log.push('change'));
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(log.length, 0);
    log.push('released');
    release();
    await c;
    assert.deepEqual(log, ['released', 'change']);
    assert.equal(g.isHeld(), false);
  });

  test('hold() waits for the changes under way; a change that comes meanwhile waits for the pause', async () => {
    const g = new PauseGate();
    const log: string[] = [];
    let finish!: () => void;
    const first = g.change(() => new Promise<void>((r) => (finish = r)).then(() => void log.push('first done')));
    await tick();
    const held = g.hold().then((release) => {
      log.push('held');
      return release;
    });
    const second = g.change(async () => void log.push('second'));
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(log.length, 0);
    finish();
    const release = await held;
    await first;
    for (let i = 0; i < 5; i++) await tick();
    assert.deepEqual(log, ['first done', 'held']);
    release();
    release(); // idempotent
    await second;
    assert.deepEqual(log, ['first done', 'held', 'second']);
  });

  test('two holds take turns', async () => {
    const g = new PauseGate();
    const r1 = await g.hold();
    let second = false;
    const h2 = g.hold().then((r) => {
      second = true;
      return r;
    });
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(second, false);
    r1();
    const r2 = await h2;
    assert.equal(g.isHeld(), true);
    r2();
    assert.equal(g.isHeld(), false);
  });
});
