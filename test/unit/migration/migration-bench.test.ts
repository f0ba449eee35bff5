/** `xsite bench migration` on the emulator, small: every migration completes, the audit is clean, probes are counted. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runMigrationBench, whereInMigrations } from '../../../bench/migration/run';
import type { MigrationRecord } from '../../../src/model/migration';

it('bench migration (emulator): 6 migrations, 2 at once, all completed, 0 probes lost, clean audit', async () => {
  const r = await runMigrationBench({ count: 6, concurrency: 2, memoryMB: 4 });
  assert.equal(r.dataplane, 'emulator');
  assert.equal(r.hypervisor, 'sim');
  assert.equal(r.migrations.requested, 6);
  assert.equal(r.migrations.completed, 6);
  assert.ok(r.migrations.maxAtOnce >= 1 && r.migrations.maxAtOnce <= 2);
  assert.equal(r.probes.streams, 4);
  assert.ok(r.probes.sent > 50);
  assert.equal(r.probes.lost, 0, JSON.stringify(r.probes.lostAt));
  assert.deepEqual(r.audit, { leakedFlows: 0, leakedTuples: 0, mismatches: 0, activeMigrations: 0, leakedFrames: 0, leftovers: null });
  assert.ok(r.switchoverMs.max > 0);
  // Another migration's copy stream or preparation never lands between a pause's precompute and its switchover.
  assert.deepEqual(r.switchovers, { precomputed: 6, computedInPause: 0 });
  // Frames were held in the pauses (and sent on: no probe lost). heldDropped is not 0: it also counts WAN stragglers of
  // a copy stream after its flow was closed (central no longer knows their tuple).
  assert.ok(r.controllers.migrationHeld > 0 && r.controllers.heldReleased >= r.controllers.migrationHeld, JSON.stringify(r.controllers));
});

it('a lost probe is placed in its VM\'s migrations and among what the others were doing then', () => {
  const m = (id: string, vm: string, from: string, to: string, t0: number): MigrationRecord =>
    ({ id, vm, fromHost: from, toHost: to, phases: { preMigration: { startedAt: t0, endedAt: t0 + 10 }, migration: { startedAt: t0 + 10, endedAt: t0 + 100 }, postMigration: { startedAt: t0 + 100, endedAt: t0 + 120 } } }) as unknown as MigrationRecord;
  const done = [m('1', 'a', 'h1', 'h2', 1000), m('2', 'b', 'h3', 'h4', 1050)];
  const marks = new Map([['2', { paused: 1090 }]]);
  assert.equal(whereInMigrations(done, 'a', 1105, marks), 'migration 1 of a (h1 -> h2), post-migration +5 ms; meanwhile: b (h3 -> h4) migration +45 ms (paused +15 ms)');
  assert.equal(whereInMigrations(done, 'a', 1200, marks), '80 ms after migration 1 of a (h1 -> h2)');
  assert.equal(whereInMigrations(done, 'b', 1005), 'before any migration; meanwhile: a (h1 -> h2) pre-migration +5 ms');
});
