import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDemo } from '../../../src/bin/demo';

test('xsite demo: controller over TCP drives the emulator; every pair pings, sessions kept, no probe lost', async () => {
  const lines: string[] = [];
  const r = await runDemo((l) => lines.push(l));
  assert.equal(r.pairs, 15);
  assert.equal(r.pingOk, r.pairs);
  assert.equal(r.tcp.kept, r.tcp.sessions);
  assert.equal(r.probes.sent, 100);
  assert.equal(r.probes.lost, 0);
  assert.deepEqual(r.trace.hops, ['s1', 's2', 's3']);
  assert.deepEqual(r.trace.deliveredTo, ['h6']);
  assert.ok(lines.some((l) => l.includes('Datapath actions')), 'the trace is printed');
});
