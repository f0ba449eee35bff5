/**
 * The main job on real Open vSwitch (`xsite demo --dataplane ovs --hypervisor netns|qemu`): three DCs as a lab, the
 * controllers in this process (Unix sockets), a VM that migrates DC1 -> DC2 -> DC3 (netns) or DC1 -> DC2 (qemu, one
 * migration to keep CI time sane) while its peers keep TCP sessions to it and one sends an ICMP echo every 10 ms.
 * Afterwards nothing of the lab is left (namespaces, links, processes, QEMU). Needs root, openvswitch-switch, QEMU.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leftovers } from '../../src/lab/lab';
import { type MigrationDemoResult, migrationDemoPassed, runMigrationDemo } from '../../src/scenario/migration-demo';
import { labSkipReason } from '../support/lab-guard';

const skip = labSkipReason();

const show = (r: MigrationDemoResult) =>
  r.migrations
    .map((m) => `${m.from}->${m.to} ${m.status} downtime ${m.hypervisorDowntimeMs} ms, switchover ${m.switchoverMs} ms, probes ${m.probes.lost}/${m.probes.sent} lost (gap ${m.probes.maxGapMs} ms), TCP ${m.tcp.kept}/${m.tcp.sessions}, ${m.flowMods} flow_mods, NAT ${JSON.stringify(m.nat)}`)
    .join('\n# ');

describe('xsite demo on Open vSwitch', { skip, concurrency: false, timeout: 300_000 }, () => {
  it('netns: two cross-site migrations, the memory copied through the gateways, no probe lost, every TCP session kept, no tuple leaked, nothing left behind', async () => {
    const lines: string[] = [];
    const r = await runMigrationDemo({ dataplane: 'ovs', hypervisor: 'netns', log: (l) => lines.push(l) });
    process.stderr.write(`# ${show(r)}\n`);
    assert.equal(r.dataplane, 'ovs');
    assert.equal(r.hypervisor, 'netns');
    assert.equal(r.probeKind, 'icmp');
    assert.equal(r.migrations.length, 2);
    for (const m of r.migrations) {
      assert.equal(m.status, 'completed', lines.join('\n'));
      assert.ok(m.probes.sent > 50, `probes sent: ${m.probes.sent}`);
      assert.equal(m.probes.lost, 0, `probes lost ${m.from}->${m.to}: ${m.probes.lost}/${m.probes.sent}\n${lines.join('\n')}`);
      assert.equal(m.tcp.sessions, 3);
      assert.equal(m.tcp.kept, 3, lines.join('\n'));
      assert.equal(m.nat.leaked, 0);
      // The memory crossed the data plane between the hosts' migration endpoints, through the gateways' NAT.
      assert.equal(m.copyStream.over, 'route', JSON.stringify(m.copyStream));
      assert.match(m.copyStream.route ?? '', new RegExp(`^${m.from}-mig \\S+ -> ${m.to}-mig \\S+:80\\d\\d$`));
      assert.match(m.copyStream.tuple ?? '', /^tcp 203\.0\.113\.\d+:\d+ -> 203\.0\.113\.\d+$/);
      assert.ok(m.switchoverMs > 0 && m.hypervisorDowntimeMs > 0);
      assert.ok(m.flowMods > 0);
    }
    assert.deepEqual(
      r.migrations.map((m) => [m.from, m.to]),
      [
        ['dc1-h1', 'dc2-h2'],
        ['dc2-h2', 'dc3-h2'],
      ],
    );
    assert.equal(migrationDemoPassed(r), true);
    assert.ok(r.lab !== null);
    assert.deepEqual((await leftovers(r.lab!)).map(String), []);
  });

  it('qemu: a real guest migrates DC1 -> DC2, its migration stream through the gateways, no probe lost, its TCP sessions kept; nothing left behind (no QEMU, no plug, no relay)', async () => {
    const lines: string[] = [];
    const r = await runMigrationDemo({ dataplane: 'ovs', hypervisor: 'qemu', path: ['dc2-h2'], log: (l) => lines.push(l) });
    process.stderr.write(`# ${show(r)}\n`);
    assert.equal(r.hypervisor, 'qemu');
    assert.equal(r.migrations.length, 1);
    const m = r.migrations[0]!;
    assert.equal(m.status, 'completed', lines.join('\n'));
    // QEMU's migration stream crossed the data plane between the hosts' migration endpoints (through the relays).
    assert.equal(m.copyStream.over, 'route', JSON.stringify(m.copyStream));
    assert.match(m.copyStream.tuple ?? '', /^tcp 203\.0\.113\.\d+:\d+ -> 203\.0\.113\.\d+$/);
    assert.equal(m.tcp.kept, m.tcp.sessions, lines.join('\n'));
    assert.equal(m.nat.leaked, 0);
    assert.ok(m.probes.sent > 50);
    assert.equal(m.probes.lost, 0, `probes lost: ${m.probes.lost}/${m.probes.sent}\n${lines.join('\n')}`);
    assert.equal(migrationDemoPassed(r), true);
    assert.ok(r.lab !== null);
    assert.deepEqual((await leftovers(r.lab!)).map(String), []);
  });
});
