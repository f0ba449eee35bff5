/**
 * The cross-site scenario on real Open vSwitch: the same three DCs as bridges of a private userspace OVS, the VMs in
 * network namespaces (kernel TCP/UDP/ICMP), central and three local controllers as separate processes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leftovers } from '../../src/lab/lab';
import { crossSitePassed, runCrossSiteScenario } from '../../src/scenario/cross-site';
import { labSkipReason } from '../support/lab-guard';

const skip = labSkipReason();

test('xsite demo --scenario cross-site --dataplane ovs: every pair as expected, restarts survived, nothing leaked', { skip, timeout: 300_000 }, async () => {
  const before = (await leftovers()).length;
  const r = await runCrossSiteScenario({ dataplane: 'ovs' });
  assert.deepEqual(r.failures, []);
  assert.equal(r.reachable, r.expected.reachable);
  assert.equal(r.isolated, r.expected.isolated);
  assert.deepEqual(r.leaks, { packets: 0, flows: 0, tuples: 0 });
  assert.equal(crossSitePassed(r), true);
  assert.equal((await leftovers()).length, before, 'no namespace, bridge or process left behind');
});
