import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryDuplexPair } from '../../../src/openflow/memory-duplex';
import { isXsiteError } from '../../../src/core/errors';
import { VirtualClock } from '../../../src/core/clock';
import { ControlChannelServer } from '../../../src/drivers/channel/server';
import { channelMac } from '../../../src/drivers/channel/auth';
import { MemNet, next, RawPeer, SECRETS, tick, until, within } from './support';

test('auth ok: the client connects, the server knows it by DC name and gets its resync', async () => {
  const net = new MemNet();
  try {
    const connected = next(net.server, 'connected');
    const resync = next(net.server, 'resync');
    const c = net.client('dc1');
    await within(c.connect());
    assert.equal(c.isConnected, true);
    assert.deepEqual(await connected, ['dc1']);
    assert.deepEqual(await resync, ['dc1', { completed: [], inProgress: [] }]);
    assert.deepEqual(net.server.connectedDcs(), ['dc1']);
    assert.equal(net.server.isConnected('dc1'), true);
    assert.equal(net.server.isConnected('dc2'), false);
  } finally {
    net.close();
  }
});

test('wrong secret: auth_fail with CHANNEL_AUTH, the stream closes, the client stops retrying', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc1', { secret: 'not-the-secret' });
    const failed = next(c, 'failed');
    await assert.rejects(within(c.connect()), (e) => isXsiteError(e, 'CHANNEL_AUTH'));
    const [err] = await failed;
    assert.ok(isXsiteError(err, 'CHANNEL_AUTH'));
    assert.equal(c.isConnected, false);
    assert.deepEqual(net.server.connectedDcs(), []);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(net.streams.get('dc1')!.length, 1, 'no reconnect after an authentication failure');
  } finally {
    net.close();
  }
});

test('unknown DC: same auth_fail as a wrong secret', async () => {
  const net = new MemNet();
  try {
    const [a, b] = memoryDuplexPair();
    net.server.accept(a);
    const peer = new RawPeer(b);
    const hello = await peer.expect('hello');
    const nonce = (hello.body as { nonce: string }).nonce;
    assert.match(nonce, /^[0-9a-f]{64}$/);
    assert.deepEqual((hello.body as { versions: number[] }).versions, [1]);
    peer.send('hello', 'x', { dc: 'dc-nowhere', versions: [1], mac: channelMac('whatever', nonce, 'dc-nowhere') });
    const fail = await peer.expect('auth_fail');
    assert.equal((fail.body as { code: string }).code, 'CHANNEL_AUTH');
    assert.equal((fail.body as { message: string }).message, 'authentication failed');
    await peer.waitClosed();

    const c = net.client('dc9', { secret: 'x' });
    await assert.rejects(within(c.connect()), (e) => isXsiteError(e, 'CHANNEL_AUTH'));
  } finally {
    net.close();
  }
});

test('a MAC for another DC or another nonce is refused (the MAC binds nonce and DC)', async () => {
  const net = new MemNet();
  try {
    for (const mac of [channelMac(SECRETS['dc1']!, 'other-nonce', 'dc1'), channelMac(SECRETS['dc1']!, 'n', 'dc2'), 'zz', '']) {
      const [a, b] = memoryDuplexPair();
      net.server.accept(a);
      const peer = new RawPeer(b);
      await peer.expect('hello');
      peer.send('hello', 'x', { dc: 'dc1', versions: [1], mac });
      await peer.expect('auth_fail');
      await peer.waitClosed();
    }
    assert.deepEqual(net.server.connectedDcs(), []);
  } finally {
    net.close();
  }
});

test('something other than hello first: auth_fail and close', async () => {
  const net = new MemNet();
  try {
    const [a, b] = memoryDuplexPair();
    net.server.accept(a);
    const peer = new RawPeer(b);
    await peer.expect('hello');
    peer.send('request', 'r1', { want: 'nat' });
    await peer.expect('auth_fail');
    await peer.waitClosed();
  } finally {
    net.close();
  }
});

test('version mismatch: the client offers only v2 -> error CHANNEL_VERSION, both close, no retry', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc1', { versions: [2] });
    await assert.rejects(within(c.connect()), (e) => isXsiteError(e, 'CHANNEL_VERSION'));
    assert.deepEqual(net.server.connectedDcs(), []);

    // Seen from the wire: the error names the versions the server speaks.
    const [a, b] = memoryDuplexPair();
    net.server.accept(a);
    const peer = new RawPeer(b);
    const hello = await peer.expect('hello');
    const nonce = (hello.body as { nonce: string }).nonce;
    peer.send('hello', 'x', { dc: 'dc1', versions: [2, 3], mac: channelMac(SECRETS['dc1']!, nonce, 'dc1') }, 2);
    const err = await peer.expect('error');
    assert.equal((err.body as { code: string }).code, 'CHANNEL_VERSION');
    assert.deepEqual((err.body as { details: { supported: number[] } }).details.supported, [1]);
    await peer.waitClosed();
  } finally {
    net.close();
  }
});

test('version negotiation picks the highest common version', async () => {
  const net = new MemNet();
  try {
    const [a, b] = memoryDuplexPair();
    net.server.accept(a);
    const peer = new RawPeer(b);
    const ok = await peer.authenticate('dc2', SECRETS['dc2']!, [1, 2, 7]);
    assert.deepEqual(ok.body, { version: 1, dc: 'dc2' });
    // A later message in a version that was not negotiated gets CHANNEL_VERSION, the session stays.
    peer.send('event', 'e1', { x: 1 }, 7);
    const err = await peer.expect('error');
    assert.equal((err.body as { code: string }).code, 'CHANNEL_VERSION');
    assert.equal(err.id, 'e1');
    assert.equal(net.server.isConnected('dc2'), true);
  } finally {
    net.close();
  }
});

test('a second connection from the same DC replaces the first', async () => {
  const net = new MemNet();
  try {
    const events: string[] = [];
    net.server.on('connected', (dc) => events.push(`connected ${dc}`));
    net.server.on('disconnected', (dc, reason) => events.push(`disconnected ${dc} ${reason}`));
    const [a1, b1] = memoryDuplexPair();
    net.server.accept(a1);
    const first = new RawPeer(b1);
    await first.authenticate('dc1', SECRETS['dc1']!);
    const [a2, b2] = memoryDuplexPair();
    net.server.accept(a2);
    const second = new RawPeer(b2);
    await second.authenticate('dc1', SECRETS['dc1']!);
    await first.waitClosed();
    assert.deepEqual(events, ['connected dc1', 'disconnected dc1 replaced', 'connected dc1']);
    assert.deepEqual(net.server.connectedDcs(), ['dc1']);
    // The surviving session is the second one.
    const got = next(net.server, 'message');
    second.send('event', 'e', { from: 'second' });
    assert.deepEqual(await got, ['dc1', { from: 'second' }]);
  } finally {
    net.close();
  }
});

test('handshake timeout (virtual clock): a peer that never answers the challenge is dropped', async () => {
  const clock = new VirtualClock();
  const server = new ControlChannelServer({ secrets: SECRETS, clock, handshakeTimeoutMs: 500 });
  try {
    const [a, b] = memoryDuplexPair();
    server.accept(a);
    const peer = new RawPeer(b);
    await peer.expect('hello');
    clock.advance(499);
    await tick();
    assert.equal(peer.closed, false);
    clock.advance(1);
    await peer.waitClosed();
  } finally {
    server.close();
  }
});

test('client retries with backoff while central is unreachable, then connects', async () => {
  const net = new MemNet();
  try {
    net.reachable = false;
    const c = net.client('dc3');
    const delays: number[] = [];
    c.on('reconnecting', (_n, d) => delays.push(d));
    const p = c.connect();
    await until(() => delays.length >= 3);
    net.reachable = true;
    await within(p);
    assert.ok(delays[1]! >= delays[0]! * 0.9 || delays[1]! >= 25, `backoff grows: ${delays.join(',')}`);
    assert.ok(delays.every((d) => d <= 50));
  } finally {
    net.close();
  }
});

test('close() before connecting rejects connect() with CHANNEL_CLOSED', async () => {
  const net = new MemNet();
  try {
    net.reachable = false;
    const c = net.client('dc1');
    const p = c.connect();
    c.close();
    await assert.rejects(within(p), (e) => isXsiteError(e, 'CHANNEL_CLOSED'));
  } finally {
    net.close();
  }
});
