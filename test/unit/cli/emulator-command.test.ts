import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseControllerTarget, topologySummary } from '../../../src/cli/emulator-command';
import { loadExampleTopology } from '../../../src/emulator/topology/examples';
import { isXsiteError } from '../../../src/core/errors';

test('controller targets: tcp:HOST:PORT, anything else is BAD_ARGUMENT', () => {
  assert.deepEqual(parseControllerTarget('tcp:127.0.0.1:6653'), { host: '127.0.0.1', port: 6653 });
  for (const bad of ['127.0.0.1:6653', 'tcp:127.0.0.1', 'tcp:h:0', 'tcp:h:70000', 'ssl:h:1']) {
    assert.throws(() => parseControllerTarget(bad), (e: unknown) => isXsiteError(e, 'BAD_ARGUMENT'), bad);
  }
});

test('topology summary counts what the three-DC example holds', () => {
  const s = topologySummary(loadExampleTopology('three-dcs'));
  assert.equal(s.datacenters, 3);
  assert.equal(s.wanLinks, 3);
  assert.equal(s.vms, 8);
});
