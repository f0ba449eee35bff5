import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryDuplexPair } from '../../../src/openflow/memory-duplex';
import { ControlChannelClient } from '../../../src/drivers/channel/client';
import { MemNet, RawPeer, SECRETS, within } from './support';

async function authedPeer(net: MemNet, dc = 'dc1'): Promise<RawPeer> {
  const [a, b] = memoryDuplexPair();
  net.server.accept(a);
  const peer = new RawPeer(b);
  await peer.authenticate(dc, SECRETS[dc]!);
  return peer;
}

function frame(payload: string | Buffer): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const h = Buffer.alloc(4);
  h.writeUInt32BE(p.length);
  return Buffer.concat([h, p]);
}

const code = (body: unknown): string => (body as { code: string }).code;

test('bad JSON, bad UTF-8, non-envelopes after auth: error CHANNEL_BAD_FRAME, the session stays usable', async () => {
  const net = new MemNet();
  try {
    net.server.onRequest((_dc, b) => ({ echo: b }));
    const peer = await authedPeer(net);
    const cases = [
      frame('{not json'),
      frame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
      frame('[1,2,3]'),
      frame('{"v":1,"kind":"request","body":{}}'), // no id
      frame('{"v":1,"kind":"teleport","id":"t1","body":{}}'),
      frame('{"v":0,"kind":"event","id":"v0","body":{}}'),
    ];
    for (const f of cases) {
      peer.writeRaw(f);
      const err = await peer.expect('error');
      assert.equal(code(err.body), 'CHANNEL_BAD_FRAME');
    }
    // The id is echoed when it could be read.
    peer.writeRaw(frame('{"v":1,"kind":"teleport","id":"t2","body":{}}'));
    assert.equal((await peer.expect('error')).id, 't2');
    // Still connected, still answering.
    assert.equal(net.server.isConnected('dc1'), true);
    peer.send('request', 'r1', { ok: 1 });
    const reply = await peer.expect('reply');
    assert.deepEqual(reply.body, { ok: true, value: { echo: { ok: 1 } } });
    assert.equal(peer.closed, false);
  } finally {
    net.close();
  }
});

test('a frame split over many chunks and several frames in one chunk decode fine', async () => {
  const net = new MemNet();
  try {
    net.server.onRequest((_dc, b) => b);
    const peer = await authedPeer(net);
    const f1 = frame(JSON.stringify({ v: 1, kind: 'request', id: 'a', body: 'first' }));
    const f2 = frame(JSON.stringify({ v: 1, kind: 'request', id: 'b', body: 'second' }));
    const all = Buffer.concat([f1, f2]);
    for (let i = 0; i < all.length; i += 3) peer.writeRaw(all.subarray(i, i + 3));
    const r1 = await peer.expect('reply');
    const r2 = await peer.expect('reply');
    assert.deepEqual([r1.id, r2.id], ['a', 'b']);
  } finally {
    net.close();
  }
});

for (const [name, bytes] of [
  ['zero length', Buffer.from([0, 0, 0, 0])],
  ['oversized length (above the maximum frame size)', Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x7b])],
] as const) {
  test(`bad length (${name}): error CHANNEL_BAD_FRAME, then close; the DC can reconnect`, async () => {
    const net = new MemNet();
    try {
      const disconnected: string[] = [];
      net.server.on('disconnected', (dc, reason) => disconnected.push(`${dc} ${reason}`));
      const peer = await authedPeer(net);
      peer.writeRaw(bytes);
      const err = await peer.expect('error');
      assert.equal(code(err.body), 'CHANNEL_BAD_FRAME');
      await peer.waitClosed();
      assert.deepEqual(disconnected, ['dc1 bad_frame']);
      const c = net.client('dc1');
      await within(c.connect());
      assert.equal(net.server.isConnected('dc1'), true);
    } finally {
      net.close();
    }
  });
}

test('a frame above a configured maximum is refused as soon as its header arrives', async () => {
  const net = new MemNet({ maxFrameBytes: 300 });
  try {
    const peer = await authedPeer(net);
    const big = frame(JSON.stringify({ v: 1, kind: 'event', id: 'big', body: 'x'.repeat(400) }));
    peer.writeRaw(big.subarray(0, 10));
    const err = await peer.expect('error');
    assert.equal(code(err.body), 'CHANNEL_BAD_FRAME');
    assert.deepEqual((err.body as { details: unknown }).details, { length: big.length - 4, max: 300 });
    await peer.waitClosed();
  } finally {
    net.close();
  }
});

test('garbage before authentication closes the stream', async () => {
  const net = new MemNet();
  try {
    const [a, b] = memoryDuplexPair();
    net.server.accept(a);
    const peer = new RawPeer(b);
    await peer.expect('hello');
    peer.writeRaw(frame('GET / HTTP/1.1'));
    assert.equal(code((await peer.expect('error')).body), 'CHANNEL_BAD_FRAME');
    await peer.waitClosed();
    assert.deepEqual(net.server.connectedDcs(), []);
  } finally {
    net.close();
  }
});

test('the client side also answers a malformed frame from central with CHANNEL_BAD_FRAME and stays up', async () => {
  const [a, b] = memoryDuplexPair();
  const central = new RawPeer(a);
  const c = new ControlChannelClient({ dc: 'dc1', secret: 's', connect: () => b, initialBackoffMs: 10000 });
  try {
    const connected = c.connect();
    central.send('hello', '0', { versions: [1], nonce: 'ab'.repeat(32) });
    const hello = await central.expect('hello');
    central.send('hello_ok', hello.id, { version: 1, dc: 'dc1' });
    await within(connected);
    await central.expect('resync');
    central.writeRaw(frame('nonsense'));
    assert.equal(code((await central.expect('error')).body), 'CHANNEL_BAD_FRAME');
    central.send('request', 'q1', 'hi');
    const reply = await central.expect('reply');
    assert.equal(code((reply.body as { error: unknown }).error), 'CHANNEL_NO_HANDLER');
    assert.equal(c.isConnected, true);
  } finally {
    c.close();
  }
});
