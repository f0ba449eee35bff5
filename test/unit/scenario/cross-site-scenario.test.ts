/**
 * The cross-site scenario of the controllers issue on the emulator: central and three local controllers as separate
 * processes over their control channel, every pair of VMs checked, central and one local restarted half way, every
 * tuple released at the end and the audit clean.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crossSitePassed, runCrossSiteScenario } from '../../../src/scenario/cross-site';

test('xsite demo --scenario cross-site (emulator): every pair as expected, restarts survived, nothing leaked', { timeout: 180_000 }, async () => {
  const r = await runCrossSiteScenario({ dataplane: 'emulator' });
  assert.deepEqual(r.failures, []);
  assert.equal(r.pairs, 56);
  assert.equal(r.reachable, 18);
  assert.equal(r.isolated, 38);
  assert.deepEqual(r.leaks, { packets: 0, flows: 0, tuples: 0 });
  assert.ok(r.tuplesInUseMax > 0, 'cross-site flows used NAT tuples');
  assert.deepEqual(r.restarts.map((x) => [x.controller, x.pairsOk === x.pairsRechecked]), [
    ['central', true],
    ['local dc2', true],
  ]);
  assert.ok(r.audit !== undefined, 'GET /v1/audit answered');
  assert.equal(crossSitePassed(r), true);
});
