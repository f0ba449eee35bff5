/**
 * `xsite audit`, central half (src/central/audit.ts) with a fake channel, and `GET /v1/audit` with inject.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApi } from '../../../src/api';
import type { AuditDetail, LocalAudit } from '../../../src/central/audit-protocol';
import { isAuditRequest } from '../../../src/central/audit-protocol';
import { runAudit, type AuditReport } from '../../../src/central/audit';
import { Directory, JobQueue } from '../../../src/central';
import { XsiteError } from '../../../src/core/errors';
import { SqliteStore } from '../../../src/drivers/store/sqlite';
import { loadExampleTopology } from '../../../src/emulator/topology';
import type { FlowRecord, NatTupleRecord } from '../../../src/model/flow';

function clean(dc: string, natFlows: string[] = [], extra: Partial<LocalAudit> = {}): LocalAudit {
  return { v: 1, dc, switches: 4, connected: 4, leakedFlows: 0, mismatches: 0, natFlows, details: [], ...extra };
}

/** A fake channel: `answers` per DC (a LocalAudit, or an Error to reject with); only `connected` DCs may be asked. */
function fakeChannel(connected: string[], answers: Record<string, LocalAudit | Error | 'hang'>) {
  const asked: string[] = [];
  return {
    asked,
    connectedDcs: () => [...connected],
    request: async <R>(dc: string, body: unknown, opts?: { timeoutMs?: number }): Promise<R> => {
      assert.ok(isAuditRequest(body), JSON.stringify(body));
      assert.ok(connected.includes(dc), `asked ${dc}, which is not connected`);
      asked.push(dc);
      const a = answers[dc];
      if (a === 'hang') {
        await new Promise((r) => setTimeout(r, opts?.timeoutMs ?? 0));
        throw new XsiteError('CHANNEL_TIMEOUT', `${dc} did not answer`);
      }
      if (a instanceof Error) throw a;
      if (a === undefined) throw new XsiteError('CHANNEL_NO_HANDLER', 'no');
      return a as R;
    },
  };
}

const flow = (id: string, state: FlowRecord['state']): FlowRecord => ({
  id,
  tenant: 'acme',
  vn: 'web',
  protocol: 'icmp',
  srcVm: 'acme-web1',
  dstVm: 'acme-web2',
  state,
  createdAt: 1,
  lastSeenAt: 1,
});
const tuple = (flowId: string, port: number): NatTupleRecord => ({
  flowId,
  srcPublicIp: '203.0.113.1',
  dstPublicIp: '198.51.100.1',
  port,
  protocol: 'icmp',
  srcGateway: 'dc1-gw',
  dstGateway: 'dc2-gw',
  pool: 'p',
  allocatedAt: 1,
});

describe('runAudit (fake channel)', () => {
  let store: SqliteStore;
  before(async () => {
    store = await SqliteStore.open(':memory:');
    await new Directory(store).loadIntent(loadExampleTopology('three-dcs'));
    const gws = (await store.listGateways()).map((g) => `${g.name}@${g.dc}`);
    assert.ok(gws.includes('dc1-gw@dc1') && gws.includes('dc2-gw@dc2'), gws.join(' '));
  });
  after(() => store?.close());

  test('everything clean: zeros, every DC asked once', async () => {
    const ch = fakeChannel(['dc1', 'dc2', 'dc3'], { dc1: clean('dc1'), dc2: clean('dc2'), dc3: clean('dc3') });
    const r = await runAudit({ store, channel: ch, dcs: ['dc1', 'dc2', 'dc3'] });
    assert.deepEqual([r.leakedFlows, r.leakedTuples, r.mismatches], [0, 0, 0]);
    assert.deepEqual(ch.asked.sort(), ['dc1', 'dc2', 'dc3']);
    assert.deepEqual(r.dcs.dc2, { connected: true, answered: true, leakedFlows: 0, mismatches: 0, switches: 4, connectedSwitches: 4 });
    assert.deepEqual(r.details, []);
  });

  test('a DC not connected, or not answering, counts one mismatch and is listed', async () => {
    const ch = fakeChannel(['dc1', 'dc3'], { dc1: clean('dc1'), dc3: 'hang' });
    const r = await runAudit({ store, channel: ch, dcs: ['dc1', 'dc2', 'dc3'], timeoutMs: 20 });
    assert.equal(r.mismatches, 2);
    assert.deepEqual(ch.asked.sort(), ['dc1', 'dc3'], 'dc2 is not asked');
    assert.deepEqual(r.dcs.dc2, { connected: false, answered: false, leakedFlows: 0, mismatches: 1 });
    assert.deepEqual(r.dcs.dc3, { connected: true, answered: false, leakedFlows: 0, mismatches: 1 });
    assert.ok(r.details.some((d) => d.dc === 'dc2' && d.kind === 'dc-disconnected'));
    assert.ok(r.details.some((d) => d.dc === 'dc3' && d.kind === 'dc-no-answer' && /CHANNEL_TIMEOUT/.test(d.reason ?? '')), JSON.stringify(r.details));
  });

  test("a malformed answer is no answer; the DCs' own numbers and details are summed", async () => {
    const det: AuditDetail = { switch: 'dc1-tor', kind: 'leaked', tableId: 0, priority: 7, cookie: '0xabc', match: 'dl_type=0x88b5' };
    const ch = fakeChannel(['dc1', 'dc2', 'dc3'], {
      dc1: clean('dc1', [], { leakedFlows: 1, details: [det] }),
      dc2: clean('dc2', [], { mismatches: 2, connected: 3 }),
      dc3: { v: 1, dc: 'dc3' } as unknown as LocalAudit,
    });
    const r = await runAudit({ store, channel: ch, dcs: ['dc1', 'dc2', 'dc3'] });
    assert.equal(r.leakedFlows, 1);
    assert.equal(r.mismatches, 3);
    assert.deepEqual(r.details[0], { dc: 'dc1', ...det });
    assert.equal(r.dcs.dc3!.answered, false);
  });

  test('the tuple of a closed flow is leaked; an open flow needs its NAT entries on both gateways', async () => {
    await store.putFlow(flow('closed-1', 'closed'));
    await store.insertNatTuple(tuple('closed-1', 11));
    await store.putFlow(flow('open-1', 'open'));
    await store.insertNatTuple(tuple('open-1', 12));
    try {
      const all = { dc1: clean('dc1', ['open-1']), dc2: clean('dc2', ['open-1']), dc3: clean('dc3') };
      const r = await runAudit({ store, channel: fakeChannel(['dc1', 'dc2', 'dc3'], all), dcs: ['dc1', 'dc2', 'dc3'] });
      assert.equal(r.leakedTuples, 1, JSON.stringify(r.details));
      assert.deepEqual(r.details, [{ kind: 'leaked-tuple', flowId: 'closed-1', reason: 'the flow is not open' }]);
      assert.deepEqual([r.leakedFlows, r.mismatches], [0, 0]);

      // dc2's gateway lacks open-1's NAT entries: leaked as well.
      const r2 = await runAudit({ store, channel: fakeChannel(['dc1', 'dc2', 'dc3'], { ...all, dc2: clean('dc2') }), dcs: ['dc1', 'dc2', 'dc3'] });
      assert.equal(r2.leakedTuples, 2);
      assert.ok(r2.details.some((d) => d.flowId === 'open-1' && /dc2/.test(d.reason ?? '')), JSON.stringify(r2.details));

      // dc2 not connected: it cannot say, only the DC mismatch counts.
      const r3 = await runAudit({ store, channel: fakeChannel(['dc1', 'dc3'], all), dcs: ['dc1', 'dc2', 'dc3'] });
      assert.deepEqual([r3.leakedTuples, r3.mismatches], [1, 1]);
    } finally {
      await store.deleteNatTuple('closed-1');
      await store.deleteNatTuple('open-1');
      await store.deleteFlow('closed-1');
      await store.deleteFlow('open-1');
    }
  });
});

describe('GET /v1/audit', () => {
  let store: SqliteStore;
  let app: ReturnType<typeof buildApi>;
  let calls = 0;
  const report: AuditReport = {
    leakedFlows: 1,
    leakedTuples: 0,
    mismatches: 1,
    dcs: { dc1: { connected: true, answered: true, leakedFlows: 1, mismatches: 0, switches: 4, connectedSwitches: 4 }, dc2: { connected: false, answered: false, leakedFlows: 0, mismatches: 1 } },
    details: [
      { dc: 'dc1', switch: 'dc1-tor', kind: 'leaked', tableId: 0, priority: 7, cookie: '0xabc', match: 'dl_type=0x88b5' },
      { dc: 'dc2', kind: 'dc-disconnected' },
    ],
  };
  before(async () => {
    store = await SqliteStore.open(':memory:');
    const directory = new Directory(store);
    await directory.loadIntent(loadExampleTopology('three-dcs'));
    app = buildApi({
      store,
      directory,
      allocator: directory.allocator,
      jobs: new JobQueue(store),
      tokens: { op: { role: 'operator' }, acme: { role: 'tenant', tenant: 'acme' } },
      audit: async () => {
        calls++;
        return report;
      },
    });
    await app.ready();
  });
  after(async () => {
    await app?.close();
    await store?.close();
  });

  test('operator: 200 with the report', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/audit', headers: { authorization: 'Bearer op' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), report);
    assert.equal(calls, 1);
  });

  test('tenant: 403 FORBIDDEN, no audit run; no token: 401', async () => {
    const before = calls;
    const res = await app.inject({ method: 'GET', url: '/v1/audit', headers: { authorization: 'Bearer acme' } });
    assert.equal(res.statusCode, 403);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'FORBIDDEN');
    assert.equal((await app.inject({ method: 'GET', url: '/v1/audit' })).statusCode, 401);
    assert.equal(calls, before);
  });

  test('documented in the OpenAPI document with its 200 schema and 403', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown; tags?: string[] }>>;
    };
    const op = doc.paths['/v1/audit']?.get;
    assert.ok(op, Object.keys(doc.paths).join(' '));
    for (const s of ['200', '400', '401', '403', '500', '503']) assert.ok(op.responses[s], s);
    assert.deepEqual(op.security, [{ bearerAuth: [] }]);
    assert.deepEqual(op.tags, ['audit']);
  });

  test('an API built without an audit function has no /v1/audit', async () => {
    const directory = new Directory(store);
    const plain = buildApi({ store, directory, allocator: directory.allocator, jobs: new JobQueue(store), tokens: { op: { role: 'operator' } } });
    try {
      const res = await plain.inject({ method: 'GET', url: '/v1/audit', headers: { authorization: 'Bearer op' } });
      assert.equal(res.statusCode, 404);
    } finally {
      await plain.close();
    }
  });
});
