import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XsiteError, isXsiteError } from '../../../src/core/errors';
import { MemNet, next, within } from './support';

test('request/reply local -> central (allocate a NAT tuple)', async () => {
  const net = new MemNet();
  try {
    let n = 0;
    net.server.onRequest(async (dc, body) => {
      const b = body as { op: string };
      if (b.op !== 'alloc_nat') throw new XsiteError('NAT_BAD_OP', `unknown op ${b.op}`);
      return { dc, tuple: { ip: '198.51.100.1', port: 40000 + n++ } };
    });
    const c = net.client('dc1');
    await within(c.connect());
    const [r1, r2] = await within(Promise.all([c.request({ op: 'alloc_nat' }), c.request({ op: 'alloc_nat' })]));
    assert.deepEqual(r1, { dc: 'dc1', tuple: { ip: '198.51.100.1', port: 40000 } });
    assert.deepEqual(r2, { dc: 'dc1', tuple: { ip: '198.51.100.1', port: 40001 } });
    await assert.rejects(within(c.request({ op: 'nope' })), (e) => isXsiteError(e, 'NAT_BAD_OP'));
  } finally {
    net.close();
  }
});

test('request/reply central -> local', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc2');
    c.onRequest((body) => ({ echo: body, from: 'dc2' }));
    await within(c.connect());
    assert.deepEqual(await within(net.server.request('dc2', { q: 'flows?' })), { echo: { q: 'flows?' }, from: 'dc2' });
  } finally {
    net.close();
  }
});

test('requests without a handler answer CHANNEL_NO_HANDLER; an unanswered request times out', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc1');
    await within(c.connect());
    await assert.rejects(within(c.request({})), (e) => isXsiteError(e, 'CHANNEL_NO_HANDLER'));
    await assert.rejects(within(net.server.request('dc1', {})), (e) => isXsiteError(e, 'CHANNEL_NO_HANDLER'));
    c.onRequest(() => new Promise(() => undefined)); // never answers
    await assert.rejects(within(net.server.request('dc1', {}, { timeoutMs: 30 })), (e) => isXsiteError(e, 'CHANNEL_TIMEOUT'));
  } finally {
    net.close();
  }
});

test('a request in flight when the transport dies rejects with CHANNEL_CLOSED; requests while offline too', async () => {
  const net = new MemNet();
  try {
    net.server.onRequest(() => new Promise(() => undefined));
    const c = net.client('dc1');
    await within(c.connect());
    const p = c.request({ slow: true });
    net.cut('dc1');
    await assert.rejects(within(p), (e) => isXsiteError(e, 'CHANNEL_CLOSED'));
    c.close();
    await assert.rejects(c.request({}), (e) => isXsiteError(e, 'CHANNEL_CLOSED'));
    assert.throws(() => c.send({}), (e) => isXsiteError(e, 'CHANNEL_CLOSED'));
  } finally {
    net.close();
  }
});

test('events up (first packet of a cross-site flow) and messages down', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc3');
    await within(c.connect());
    const up = next(net.server, 'message');
    c.send({ type: 'first_packet', src: '10.0.0.1', dst: '10.1.0.7' });
    assert.deepEqual(await up, ['dc3', { type: 'first_packet', src: '10.0.0.1', dst: '10.1.0.7' }]);
    const down = next(c, 'message');
    net.server.send('dc3', { type: 'directory_update', vms: 2 });
    assert.deepEqual(await down, [{ type: 'directory_update', vms: 2 }]);
  } finally {
    net.close();
  }
});

test('a reply too large for a frame becomes a CHANNEL_BAD_FRAME error reply', async () => {
  const net = new MemNet({ maxFrameBytes: 1024 });
  try {
    net.server.onRequest(() => 'x'.repeat(5000));
    const c = net.client('dc1', { maxFrameBytes: 1024 });
    await within(c.connect());
    await assert.rejects(within(c.request({})), (e) => isXsiteError(e, 'CHANNEL_BAD_FRAME'));
    // Sending something too large fails locally with the same code and nothing is written.
    assert.throws(() => c.send('y'.repeat(5000)), (e) => isXsiteError(e, 'CHANNEL_BAD_FRAME'));
    await assert.rejects(within(c.request('z'.repeat(5000))), (e) => isXsiteError(e, 'CHANNEL_BAD_FRAME'));
    assert.equal(c.isConnected, true);
  } finally {
    net.close();
  }
});

test('many DCs at once: each job goes to its own DC, each event is attributed to its DC', async () => {
  const dcs = Array.from({ length: 25 }, (_, i) => `dc${i}`);
  const secrets = Object.fromEntries(dcs.map((d) => [d, `s-${d}`]));
  const net = new MemNet({ secrets });
  try {
    const clients = dcs.map((dc) => {
      const c = net.client(dc, { secret: secrets[dc]! });
      c.onJob(async (job) => ({ ranOn: dc, id: job.id }));
      return c;
    });
    await within(Promise.all(clients.map((c) => c.connect())));
    assert.equal(net.server.connectedDcs().length, dcs.length);
    const results = await within(Promise.all(dcs.flatMap((dc) => [0, 1, 2].map((k) => net.server.dispatchJob(dc, { id: `j${k}`, type: 't', body: null })))));
    for (const r of results) assert.deepEqual(r.value, { ranOn: r.dc, id: r.jobId });
    const got = new Map<string, unknown>();
    net.server.on('message', (dc, m) => got.set(dc, m));
    for (const c of clients) c.send({ me: c.dc });
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => (got.size === dcs.length ? resolve() : void setTimeout(check, 5));
        check();
      }),
    );
    for (const [dc, m] of got) assert.deepEqual(m, { me: dc });
  } finally {
    net.close();
  }
});
