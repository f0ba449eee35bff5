/**
 * `xsite audit` against a real central (ephemeral ports) with dc1's local controller and its emulated switches over
 * TCP; dc2 and dc3 have no local controller running.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { startCentral, type RunningCentral } from '../../../src/bin/central';
import { startLocal, type RunningLocal } from '../../../src/bin/local';
import type { AuditReport } from '../../../src/central/audit';
import { formatAuditReport, runAuditCommand } from '../../../src/cli/audit-command';
import { isXsiteError } from '../../../src/core/errors';
import { EmulatedNetwork } from '../../../src/emulator/network';
import { loadTopologyFile } from '../../../src/emulator/topology/load';
import { addFlowMod, deleteFlowMod } from '../../../src/pipeline/flow-builder';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const INTENT = path.join(ROOT, 'examples', 'topologies', 'three-dcs.yaml');
const SECRETS = { dc1: 'secret-dc1-xx', dc2: 'secret-dc2-xx', dc3: 'secret-dc3-xx' };

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('xsite audit against a running central: JSON report, summary, exit codes 1 and 2', async () => {
  let central: RunningCentral | undefined;
  let local: RunningLocal | undefined;
  let emu: EmulatedNetwork | undefined;
  try {
    central = await startCentral({
      intent: INTENT,
      db: ':memory:',
      api: { host: '127.0.0.1', port: 0 },
      channel: { host: '127.0.0.1', port: 0 },
      secrets: SECRETS,
      tokens: { op: { role: 'operator' }, acme: { role: 'tenant', tenant: 'acme' } },
    });
    local = await startLocal({ dc: 'dc1', topologyFile: INTENT, central: { host: '127.0.0.1', port: central.channelListener.port }, secret: SECRETS.dc1, openflow: { host: '127.0.0.1', port: 0 } });
    const topo = loadTopologyFile(INTENT);
    emu = EmulatedNetwork.build(topo);
    for (const s of topo.switches.filter((x) => x.dc === 'dc1')) emu.connectTcp(s.name, '127.0.0.1', local.openflowPort);
    await local.app.waitForSwitches(10_000);
    const api = `http://127.0.0.1:${central.apiPort}`;

    // dc1 is clean; dc2 and dc3 are not connected: 2 mismatches, exit 1.
    const a = capture();
    assert.equal(await runAuditCommand({ api, token: 'op', json: true }, a.io), 1, a.out.stderr);
    const r = JSON.parse(a.out.stdout) as AuditReport;
    assert.deepEqual([r.leakedFlows, r.leakedTuples, r.mismatches], [0, 0, 2], JSON.stringify(r.details));
    assert.deepEqual(r.dcs.dc1, { connected: true, answered: true, leakedFlows: 0, mismatches: 0, switches: 4, connectedSwitches: 4 });
    assert.deepEqual(r.dcs.dc2, { connected: false, answered: false, leakedFlows: 0, mismatches: 1 });
    assert.deepEqual(
      r.details.map((d) => `${d.dc} ${d.kind}`),
      ['dc2 dc-disconnected', 'dc3 dc-disconnected'],
    );

    // A foreign flow on dc1-h1-vs: one leaked flow, in the readable summary too.
    const foreign = { tableId: 0, priority: 9, match: [{ field: 'eth_type' as const, value: 0x88b6 }], instructions: [], cookie: 0x1234n };
    emu.switches.get('dc1-h1-vs')!.handleMessage(addFlowMod(foreign));
    const b = capture();
    assert.equal(await runAuditCommand({ api, token: 'op' }, b.io), 1);
    assert.match(b.out.stdout, /leaked flows: 1, leaked NAT tuples: 0, mismatches: 2/);
    assert.match(b.out.stdout, /leaked dc1 dc1-h1-vs table=0 priority=9 cookie=0x1234/);
    assert.match(b.out.stdout, /dc2: not connected/);
    assert.match(b.out.stdout, /NOT OK\n$/);
    emu.switches.get('dc1-h1-vs')!.handleMessage(deleteFlowMod(foreign));

    // dc1 answers only audit requests; anything else is CHANNEL_NO_HANDLER.
    await assert.rejects(central.channel.request('dc1', { type: 'nope' }, { timeoutMs: 2000 }), (e: unknown) => isXsiteError(e, 'CHANNEL_NO_HANDLER'));

    // A tenant token: HTTP 403 with the API's code, exit 2.
    const c = capture();
    assert.equal(await runAuditCommand({ api, token: 'acme', json: true }, c.io), 2);
    assert.equal(c.out.stdout, '');
    assert.match(c.out.stderr, /HTTP 403 \[FORBIDDEN\]/);
    const d = capture();
    assert.equal(await runAuditCommand({ api, token: 'wrong' }, d.io), 2);
    assert.match(d.out.stderr, /HTTP 401 \[UNAUTHORIZED\]/);
  } finally {
    emu?.close();
    await local?.close();
    await central?.close();
  }
});

test('xsite audit: nothing listening is exit 2 with a clear message; a bad URL too', async () => {
  const port = await freePort();
  const a = capture();
  assert.equal(await runAuditCommand({ api: `http://127.0.0.1:${port}`, token: 'op' }, a.io), 2);
  assert.match(a.out.stderr, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
  const b = capture();
  assert.equal(await runAuditCommand({ api: 'not a url', token: 'op' }, b.io), 2);
  assert.match(b.out.stderr, /bad --api URL/);
});

test('the summary of a clean report says OK', () => {
  const s = formatAuditReport({ leakedFlows: 0, leakedTuples: 0, mismatches: 0, dcs: { dc1: { connected: true, answered: true, leakedFlows: 0, mismatches: 0, switches: 4, connectedSwitches: 4 } }, details: [] });
  assert.equal(s, 'leaked flows: 0, leaked NAT tuples: 0, mismatches: 0\n  dc1: 4/4 switches connected, 0 leaked flows, 0 mismatches\nOK\n');
});
