import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RealClock } from '../../../../src/core/clock';
import { verifyStream } from '../../../../src/emulator/host/stream';
import { host, link } from './fixtures';

test('real time: ping and a short TCP stream work on the wall clock', async () => {
  const clock = new RealClock();
  try {
    const a = host(clock, 1);
    const b = host(clock, 2);
    link(clock, a.endpoint, b.endpoint, { latencyMs: 2, bandwidthMbps: 1000 });
    const r = await a.ping('10.0.0.2', { count: 2, intervalMs: 5, timeoutMs: 500 });
    assert.equal(r.received, 2);
    for (const rtt of r.rttMs) assert.ok(rtt >= 4 && rtt < 400, `rtt ${rtt}`);
    const s = await verifyStream({ client: a, server: b, serverIp: '10.0.0.2', bytes: 64 * 1024, timeoutMs: 5000 });
    assert.equal(s.kept, true, JSON.stringify(s));
  } finally {
    clock.clearAll();
  }
});
