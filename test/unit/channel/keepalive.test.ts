import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../../src/core/clock';
import { memoryDuplexPair } from '../../../src/openflow/memory-duplex';
import { ControlChannelServer } from '../../../src/drivers/channel/server';
import { ControlChannelClient } from '../../../src/drivers/channel/client';
import { MemNet, RawPeer, SECRETS, tick, until, within } from './support';

test('server pings an idle DC, a pong keeps it alive, silence past deadAfterMs drops it (virtual clock)', async () => {
  const clock = new VirtualClock();
  const server = new ControlChannelServer({ secrets: SECRETS, clock, pingIntervalMs: 100, deadAfterMs: 300 });
  try {
    const reasons: string[] = [];
    server.on('disconnected', (dc, r) => reasons.push(`${dc} ${r}`));
    const [a, b] = memoryDuplexPair();
    server.accept(a);
    const peer = new RawPeer(b);
    await peer.authenticate('dc1', SECRETS['dc1']!);
    clock.advance(150);
    const ping = await peer.expect('ping');
    peer.send('pong', ping.id, null);
    await tick();
    clock.advance(250); // 250 ms since the pong: alive
    await tick();
    assert.deepEqual(reasons, []);
    assert.equal(server.isConnected('dc1'), true);
    clock.advance(100); // now silent for more than 300 ms
    await tick();
    assert.deepEqual(reasons, ['dc1 dead_peer']);
    await peer.waitClosed();
  } finally {
    server.close();
  }
});

test('the server answers pings with pongs', async () => {
  const net = new MemNet();
  try {
    const [a, b] = memoryDuplexPair();
    net.server.accept(a);
    const peer = new RawPeer(b);
    await peer.authenticate('dc2', SECRETS['dc2']!);
    peer.send('ping', 'p9', null);
    assert.equal((await peer.expect('pong')).id, 'p9');
  } finally {
    net.close();
  }
});

test('client detects a dead central (virtual clock), then reconnects by itself', async () => {
  const clock = new VirtualClock();
  const centrals: RawPeer[] = [];
  const c = new ControlChannelClient({
    dc: 'dc1',
    secret: 's',
    clock,
    pingIntervalMs: 100,
    deadAfterMs: 300,
    initialBackoffMs: 50,
    jitter: false,
    connect: () => {
      const [a, b] = memoryDuplexPair();
      centrals.push(new RawPeer(a));
      return b;
    },
  });
  const handshake = async (central: RawPeer): Promise<void> => {
    central.send('hello', '0', { versions: [1], nonce: 'cd'.repeat(32) });
    const hello = await central.expect('hello');
    central.send('hello_ok', hello.id, { version: 1, dc: 'dc1' });
    await central.expect('resync');
  };
  try {
    const events: string[] = [];
    c.on('disconnected', (r) => events.push(`disconnected ${r}`));
    c.on('reconnecting', (n, d) => events.push(`reconnecting ${n} ${d}`));
    const p = c.connect();
    await until(() => centrals.length === 1);
    await handshake(centrals[0]!);
    await within(p);
    clock.advance(150);
    await centrals[0]!.expect('ping'); // the client pings an idle central; central never answers
    clock.advance(200);
    await tick();
    assert.deepEqual(events, ['disconnected dead_peer', 'reconnecting 1 50']);
    assert.equal(c.isConnected, false);
    clock.advance(50);
    await until(() => centrals.length === 2);
    await handshake(centrals[1]!);
    assert.equal(c.isConnected, true);
  } finally {
    c.close();
  }
});
