import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadCentralConfig, startCentral, type CentralConfig } from '../../../src/bin/central';
import { isXsiteError } from '../../../src/core/errors';
import { ControlChannelClient } from '../../../src/drivers/channel/client';
import { connectTcp } from '../../../src/drivers/channel/tcp';

const ROOT = path.join(__dirname, '..', '..', '..', '..');

function config(): CentralConfig {
  return {
    intent: path.join(ROOT, 'examples', 'topologies', 'three-dcs.yaml'),
    db: ':memory:',
    api: { host: '127.0.0.1', port: 0 },
    channel: { host: '127.0.0.1', port: 0 },
    secrets: { dc1: 'secret-dc1-xx', dc2: 'secret-dc2-xx', dc3: 'secret-dc3-xx' },
    tokens: { op: { role: 'operator' } },
  };
}

test('xsite central: API over HTTP and local controllers over the authenticated channel', async () => {
  const c = await startCentral(config());
  const clients: ControlChannelClient[] = [];
  try {
    const health = await fetch(`http://127.0.0.1:${c.apiPort}/v1/health`);
    assert.equal(health.status, 200);
    const vms = await fetch(`http://127.0.0.1:${c.apiPort}/v1/vms`, { headers: { authorization: 'Bearer op' } });
    assert.equal(vms.status, 200);
    assert.equal(((await vms.json()) as unknown[]).length >= 8, true);
    assert.equal((await fetch(`http://127.0.0.1:${c.apiPort}/v1/vms`)).status, 401);

    const port = c.channelListener.port;
    const good = new ControlChannelClient({ dc: 'dc1', secret: 'secret-dc1-xx', connect: () => connectTcp('127.0.0.1', port) });
    clients.push(good);
    await good.connect();
    assert.equal(c.channel.isConnected('dc1'), true);
    const bad = new ControlChannelClient({ dc: 'dc2', secret: 'wrong-secret', connect: () => connectTcp('127.0.0.1', port) });
    clients.push(bad);
    await assert.rejects(bad.connect(), (e: unknown) => isXsiteError(e, 'CHANNEL_AUTH'));
    assert.equal(c.channel.isConnected('dc2'), false);
  } finally {
    for (const cl of clients) cl.close();
    await c.close();
  }
});

test('central configuration: missing secrets and bad files are CONFIG_INVALID', async () => {
  const cfg = config();
  delete cfg.secrets.dc3;
  await assert.rejects(startCentral(cfg), (e: unknown) => isXsiteError(e, 'CONFIG_INVALID') && /dc3/.test((e as Error).message));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xsite-central-'));
  try {
    const f = path.join(dir, 'c.yaml');
    fs.writeFileSync(f, 'intent: x.yaml\ndb: ":memory:"\napi: {host: 127.0.0.1}\nchannel: {host: 127.0.0.1, port: 0}\n');
    assert.throws(() => loadCentralConfig(f), (e: unknown) => isXsiteError(e, 'CONFIG_INVALID') && /api/.test((e as Error).message));
    const ok = loadCentralConfig(path.join(ROOT, 'examples', 'central', 'central.yaml'));
    assert.equal(ok.intent, path.join(ROOT, 'examples', 'topologies', 'three-dcs.yaml'));
    assert.equal(ok.tokens['acme-token']?.role, 'tenant');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
