/**
 * `xsite demo` (the main job) on the emulator: DC1 -> DC2 -> DC3 with 0 probes lost and every TCP session kept, the
 * memory streamed through the emulated gateways.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrationDemoPassed, runMigrationDemo } from '../../../src/scenario/migration-demo';

test('xsite demo: a VM migrates DC1 -> DC2 -> DC3, no probe lost, every TCP session kept, nothing leaked', { timeout: 120_000 }, async () => {
  const r = await runMigrationDemo({});
  assert.equal(r.migrations.length, 2);
  assert.deepEqual(r.migrations.map((m) => [m.from, m.to, m.status]), [
    ['dc1-h1', 'dc2-h2', 'completed'],
    ['dc2-h2', 'dc3-h2', 'completed'],
  ]);
  for (const m of r.migrations) {
    assert.equal(m.probes.lost, 0, JSON.stringify(m.probes));
    assert.ok(m.probes.sent > 50);
    assert.equal(m.tcp.kept, m.tcp.sessions);
    assert.ok(m.hypervisorDowntimeMs > 0 && m.switchoverMs > 0 && m.flowMods > 0);
    assert.equal(m.nat.leaked, 0);
    assert.ok(m.timeline.some((l) => l.includes('switchover')));
    // The memory crossed the emulated data plane between the hosts' migration endpoints, through both gateways.
    assert.equal(m.copyStream.over, 'route');
    assert.match(m.copyStream.route ?? '', new RegExp(`^${m.from}-mig \\S+ -> ${m.to}-mig \\S+$`));
    assert.match(m.copyStream.tuple ?? '', /^tcp \S+ -> \S+$/);
  }
  assert.equal(r.leaks.packets, 0);
  assert.equal(migrationDemoPassed(r), true);
});
