/**
 * The qemu hypervisor's migration relay (src/drivers/hypervisor/qemu/migration-relay.ts), both ends in this network
 * namespace on 127.0.0.1: what a "QEMU" writes into the outgoing unix socket reaches the one listening on the incoming
 * socket intact and in order, paced to the relay's rate; the relays end with the stream and leave no socket file.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { describe, test } from 'node:test';
import { MigrationRelay } from '../../../src/drivers/hypervisor/qemu/migration-relay';
import { freePort } from '../../../src/scenario/controller-processes';

const KiB = 1024;

const pathOf = (uri: string) => uri.replace(/^unix:/, '');

describe('MigrationRelay', () => {
  test('1 MiB from the outgoing socket arrives intact on the incoming one, paced to 2 MiB/s', async () => {
    const relay = new MigrationRelay({ from: { netns: undefined, ip: '127.0.0.1', port: await freePort() }, to: { netns: undefined, ip: '127.0.0.1', port: await freePort() } }, 2 * 1024 * KiB);
    // The destination "QEMU": listens on the incoming socket (as migrate-incoming does) before the relays start.
    const incoming = net.createServer();
    const received = new Promise<Buffer>((resolve, reject) => {
      incoming.once('connection', (c) => {
        const parts: Buffer[] = [];
        c.on('data', (d: Buffer) => parts.push(d));
        c.on('end', () => resolve(Buffer.concat(parts)));
        c.on('error', reject);
      });
    });
    await new Promise<void>((r) => incoming.listen(pathOf(relay.incomingUri), r));
    try {
      await relay.open();
      const data = randomBytes(1024 * KiB);
      const t0 = performance.now();
      const out = net.connect(pathOf(relay.outgoingUri));
      await new Promise<void>((r, j) => out.once('connect', r).once('error', j));
      out.end(data);
      const got = await received;
      const ms = performance.now() - t0;
      assert.equal(got.length, data.length);
      assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(data).digest('hex'), 'the bytes arrive unchanged');
      // 1 MiB at 2 MiB/s: about 500 ms (a 64 KiB burst, then paced); unpaced it takes a few ms.
      assert.ok(ms >= 380, `paced: ${ms.toFixed(0)} ms`);
    } finally {
      await relay.close();
      await new Promise((r) => incoming.close(r));
    }
    assert.equal(fs.existsSync(pathOf(relay.outgoingUri)), false, 'the socket directory is removed');
  });
});
