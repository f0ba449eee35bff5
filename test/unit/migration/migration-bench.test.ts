/** `xsite bench migration` on the emulator, small: every migration completes, the audit is clean, probes are counted. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runMigrationBench } from '../../../bench/migration/run';

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
});
