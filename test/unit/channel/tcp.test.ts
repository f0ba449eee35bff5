import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import { isXsiteError } from '../../../src/core/errors';
import { ControlChannelClient, type ChannelClientOptions } from '../../../src/drivers/channel/client';
import { ControlChannelServer } from '../../../src/drivers/channel/server';
import { connectTcp, listenTcp, type TcpListener } from '../../../src/drivers/channel/tcp';
import { FAST, RawPeer, SECRETS, until, within } from './support';

async function setup(tlsServer?: { key: Buffer; cert: Buffer }, secrets: Record<string, string> = SECRETS) {
  const server = new ControlChannelServer({ secrets, ...FAST });
  const listener: TcpListener = await listenTcp(server, 0, '127.0.0.1', tlsServer);
  const clients: ControlChannelClient[] = [];
  const sockets: Duplex[] = [];
  const client = (dc: string, opts: Partial<ChannelClientOptions> = {}): ControlChannelClient => {
    const c = new ControlChannelClient({
      dc,
      secret: secrets[dc] ?? 'x',
      connect: async () => {
        const s = await connectTcp('127.0.0.1', listener.port);
        sockets.push(s);
        return s;
      },
      initialBackoffMs: 10,
      maxBackoffMs: 50,
      ...FAST,
      ...opts,
    });
    clients.push(c);
    return c;
  };
  const close = async (): Promise<void> => {
    for (const c of clients) c.close();
    server.close();
    await listener.close();
  };
  return { server, listener, client, sockets, close };
}

test('TCP loopback: auth, job with result, request both ways, events', async () => {
  const t = await setup();
  try {
    t.server.onRequest((dc, b) => ({ dc, got: b }));
    const c = t.client('dc1');
    c.onJob(async (job) => ({ done: job.id }));
    c.onRequest((b) => ({ local: b }));
    await within(c.connect());
    assert.deepEqual((await within(t.server.dispatchJob('dc1', { id: 'j1', type: 'x', body: {} }))).value, { done: 'j1' });
    assert.deepEqual(await within(c.request({ op: 'alloc_nat' })), { dc: 'dc1', got: { op: 'alloc_nat' } });
    assert.deepEqual(await within(t.server.request('dc1', 'q')), { local: 'q' });
    const got = new Promise((r) => t.server.once('message', (dc, m) => r([dc, m])));
    c.send({ first_packet: true });
    assert.deepEqual(await within(got), ['dc1', { first_packet: true }]);
  } finally {
    await t.close();
  }
});

test('TCP loopback: wrong secret -> CHANNEL_AUTH', async () => {
  const t = await setup();
  try {
    const c = t.client('dc2', { secret: 'wrong' });
    await assert.rejects(within(c.connect()), (e) => isXsiteError(e, 'CHANNEL_AUTH'));
  } finally {
    await t.close();
  }
});

test('TCP loopback: socket killed with a job in flight -> reconnect, resync, acked once, promise resolves', async () => {
  const t = await setup();
  try {
    const c = t.client('dc1');
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    c.onJob(async () => {
      runs++;
      await gate;
      return 'migrated';
    });
    await within(c.connect());
    const p = t.server.dispatchJob('dc1', { id: 'mig', type: 'migrate', body: {} });
    await until(() => runs === 1);
    const resynced = new Promise((r) => t.server.once('resync', (_dc, s) => r(s)));
    t.sockets[0]!.destroy();
    await until(() => !t.server.isConnected('dc1') || t.sockets.length > 1);
    release();
    const state = await within(resynced);
    assert.ok(Array.isArray((state as { completed: string[] }).completed));
    assert.equal((await within(p)).value, 'migrated');
    assert.equal(runs, 1);
    assert.equal(t.sockets.length, 2);
  } finally {
    await t.close();
  }
});

test('TCP loopback: oversized frame header -> error CHANNEL_BAD_FRAME and close; server keeps serving', async () => {
  const t = await setup();
  try {
    const sock = net.connect(t.listener.port, '127.0.0.1');
    const peer = new RawPeer(sock);
    await peer.authenticate('dc3', SECRETS['dc3']!);
    peer.writeRaw(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    assert.equal(((await peer.expect('error')).body as { code: string }).code, 'CHANNEL_BAD_FRAME');
    await peer.waitClosed();
    const c = t.client('dc3');
    await within(c.connect());
    assert.equal(t.server.isConnected('dc3'), true);
  } finally {
    await t.close();
  }
});

test('TCP loopback: 30 DCs at once', async () => {
  const dcs = Array.from({ length: 30 }, (_, i) => `site-${i}`);
  const secrets = Object.fromEntries(dcs.map((d) => [d, `k-${d}`]));
  const t = await setup(undefined, secrets);
  try {
    const clients = dcs.map((dc) => {
      const c = t.client(dc);
      c.onJob(async (j) => `${dc}/${j.id}`);
      return c;
    });
    await within(Promise.all(clients.map((c) => c.connect())), 5000);
    assert.equal(t.server.connectedDcs().length, 30);
    const rs = await within(Promise.all(dcs.map((dc) => t.server.dispatchJob(dc, { id: 'j', type: 't', body: null }))), 5000);
    assert.deepEqual(rs.map((r) => r.value), dcs.map((dc) => `${dc}/j`));
  } finally {
    await t.close();
  }
});

test('connectTcp to a closed port rejects with CHANNEL_CLOSED', async () => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  await assert.rejects(connectTcp('127.0.0.1', port), (e) => isXsiteError(e, 'CHANNEL_CLOSED'));
});

function selfSignedCert(): { key: Buffer; cert: Buffer } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'xsite-channel-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tlsCert = selfSignedCert();

test('TLS over loopback: the channel runs on top; an untrusted server certificate is refused', { skip: tlsCert === undefined && 'openssl not available' }, async () => {
  const t = await setup(tlsCert);
  try {
    const c = new ControlChannelClient({ dc: 'dc1', secret: SECRETS['dc1']!, connect: () => connectTcp('127.0.0.1', t.listener.port, { ca: tlsCert!.cert }), ...FAST });
    try {
      c.onJob(async () => 'over tls');
      await within(c.connect());
      assert.equal((await within(t.server.dispatchJob('dc1', { id: 'tls', type: 't', body: null }))).value, 'over tls');
    } finally {
      c.close();
    }
    await assert.rejects(connectTcp('127.0.0.1', t.listener.port, {}), (e) => isXsiteError(e, 'CHANNEL_CLOSED'));
  } finally {
    await t.close();
  }
});
