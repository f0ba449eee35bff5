import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeMessage } from '../../../../src/codec/openflow/message';
import { SwitchConnection } from '../../../../src/openflow/connection';
import { memoryDuplexPair } from '../../../../src/openflow/memory-duplex';
import { fuzzCorpus } from '../../../../bench/fuzz/corpus';
import { mutate, prng, runFuzz } from '../../../../bench/fuzz/openflow-fuzz';
import { ScriptedSwitch } from '../../../support/scripted-switch';

test('fuzz: 100,000 mutated messages decode or are rejected with typed errors, never crash', () => {
  const r = runFuzz({ count: 100_000, seed: 20261122 });
  assert.equal(r.messages, 100_000);
  assert.equal(r.crashes, 0, `crashes: ${JSON.stringify(r.examples.slice(0, 3))}`);
  assert.equal(r.unstable, 0, `unstable: ${JSON.stringify(r.examples.slice(0, 3))}`);
  // The mutator must reach both outcomes, or the test proves nothing.
  assert.ok(r.decoded > 1000, `decoded ${r.decoded}`);
  assert.ok(r.rejected > 1000, `rejected ${r.rejected}`);
});

test('fuzz: a live connection survives 3,000 mutated messages, answering with OFPT_ERROR, and still works', async () => {
  const [a, b] = memoryDuplexPair();
  const sw = new ScriptedSwitch(b, 1n);
  const conn = new SwitchConnection(a);
  await new Promise((r) => conn.once('ready', r));
  const rnd = prng(7);
  const corpus = fuzzCorpus().map((m) => encodeMessage(m, 0x55));
  let sent = 0;
  for (let i = 0; i < 3000; i++) {
    const m = mutate(corpus[Math.floor(rnd() * corpus.length)]!, rnd);
    // Only frame-consistent messages: a broken frame length legitimately ends the connection.
    if (m.length < 8 || m.readUInt16BE(2) !== m.length) continue;
    // Skip well-formed replies/echoes that would legitimately be answered or consumed.
    sw.sendBytes(m);
    sent++;
    if (i % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  assert.ok(sent > 1000);
  await conn.barrier();
  assert.equal(conn.state, 'main');
  assert.ok(sw.received.some((m) => m.type === 'error'), 'malformed messages were answered with OFPT_ERROR');
  conn.close();
});
