import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACME, GLOBEX, OPERATOR, call, codeOf, setup, type Harness } from './helpers';

describe('API read routes (operator)', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(() => h.close());

  test('GET /v1/health needs no token', async () => {
    const res = await call(h.app, 'GET', '/v1/health');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  test('GET /v1/datacenters lists the three DCs with their records', async () => {
    const res = await call(h.app, 'GET', '/v1/datacenters', OPERATOR);
    assert.equal(res.statusCode, 200);
    const dcs = res.json() as Array<{ name: string; subnet: string; virtualisation: string }>;
    assert.deepEqual(dcs.map((d) => d.name), ['dc1', 'dc2', 'dc3']);
    assert.equal(dcs[0]!.subnet, '10.1.0.0/16');
    assert.equal(dcs[2]!.virtualisation, 'vlan');
  });

  test('GET /v1/datacenters/:name has hosts and gateways; unknown -> 404 DATACENTER_NOT_FOUND', async () => {
    const res = await call(h.app, 'GET', '/v1/datacenters/dc3', OPERATOR);
    assert.equal(res.statusCode, 200);
    const dc = res.json() as { hosts: string[]; gateways: Array<{ name: string; publicIps: string[]; portRange: number[] }> };
    assert.deepEqual(dc.hosts, ['dc3-h1', 'dc3-h2']);
    assert.deepEqual(dc.gateways.map((g) => [g.name, g.publicIps, g.portRange]), [['dc3-gw', ['203.0.113.3', '203.0.113.4'], [20000, 29999]]]);
    const missing = await call(h.app, 'GET', '/v1/datacenters/dc9', OPERATOR);
    assert.equal(missing.statusCode, 404);
    assert.equal(codeOf(missing), 'DATACENTER_NOT_FOUND');
    assert.deepEqual(missing.json().error.details, { dc: 'dc9' });
  });

  test('GET /v1/hosts lists hosts, filter dc; bad filter -> 400 BAD_REQUEST', async () => {
    const all = await call(h.app, 'GET', '/v1/hosts', OPERATOR);
    assert.equal(all.statusCode, 200);
    assert.equal((all.json() as unknown[]).length, 6);
    const dc2 = await call(h.app, 'GET', '/v1/hosts?dc=dc2', OPERATOR);
    assert.deepEqual(
      (dc2.json() as Array<{ name: string; address: string }>).map((x) => [x.name, x.address]),
      [['dc2-h1', '10.2.0.11'], ['dc2-h2', '10.2.0.12']],
    );
    const bad = await call(h.app, 'GET', '/v1/hosts?dc=-bad', OPERATOR);
    assert.equal(bad.statusCode, 400);
    assert.equal(codeOf(bad), 'BAD_REQUEST');
    const unknownParam = await call(h.app, 'GET', '/v1/hosts?rack=3', OPERATOR);
    assert.equal(unknownParam.statusCode, 400);
    assert.equal(codeOf(unknownParam), 'BAD_REQUEST');
  });

  test('GET /v1/hosts/:name lists its VMs; unknown -> 404 HOST_NOT_FOUND', async () => {
    const res = await call(h.app, 'GET', '/v1/hosts/dc1-h1', OPERATOR);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { name: 'dc1-h1', dc: 'dc1', switch: 'dc1-h1-vs', address: '10.1.0.11', mac: res.json().mac, vms: ['acme-web1', 'acme-web4'] });
    const missing = await call(h.app, 'GET', '/v1/hosts/nope', OPERATOR);
    assert.equal(missing.statusCode, 404);
    assert.equal(codeOf(missing), 'HOST_NOT_FOUND');
  });

  test('GET /v1/vns gives id, subnet and the DCs with VMs', async () => {
    const res = await call(h.app, 'GET', '/v1/vns', OPERATOR);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), [
      { tenant: 'acme', name: 'web', id: 100, subnet: '192.168.10.0/24', dcs: ['dc1', 'dc2', 'dc3'] },
      { tenant: 'globex', name: 'app', id: 200, subnet: '192.168.10.0/24', dcs: ['dc1', 'dc2', 'dc3'] },
      { tenant: 'globex', name: 'db', id: 1, subnet: '192.168.20.0/24', dcs: ['dc3'] },
    ]);
    const globex = await call(h.app, 'GET', '/v1/vns?tenant=globex', OPERATOR);
    assert.deepEqual((globex.json() as Array<{ name: string }>).map((v) => v.name), ['app', 'db']);
    const bad = await call(h.app, 'GET', '/v1/vns?tenant=', OPERATOR);
    assert.equal(codeOf(bad), 'BAD_REQUEST');
  });

  test('GET /v1/vms filters by tenant, vn, dc, host', async () => {
    const names = async (q: string) => ((await call(h.app, 'GET', `/v1/vms${q}`, OPERATOR)).json() as Array<{ name: string }>).map((v) => v.name);
    assert.equal((await names('')).length, 8);
    assert.deepEqual(await names('?tenant=globex&vn=app'), ['globex-app1', 'globex-app2', 'globex-app3']);
    assert.deepEqual(await names('?dc=dc3'), ['acme-web3', 'globex-app3', 'globex-db1']);
    assert.deepEqual(await names('?host=dc1-h1'), ['acme-web1', 'acme-web4']);
    assert.deepEqual(await names('?dc=dc9'), []);
    const bad = await call(h.app, 'GET', '/v1/vms?color=red', OPERATOR);
    assert.equal(bad.statusCode, 400);
    assert.equal(codeOf(bad), 'BAD_REQUEST');
    assert.equal(bad.json().error.details.in, 'querystring');
  });

  test('GET /v1/vms/:name has the location; unknown -> 404 VM_NOT_FOUND', async () => {
    const res = await call(h.app, 'GET', '/v1/vms/acme-web3', OPERATOR);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      name: 'acme-web3',
      tenant: 'acme',
      vn: 'web',
      ip: '192.168.10.3',
      mac: res.json().mac,
      host: 'dc3-h1',
      dc: 'dc3',
      memoryMB: 2048,
    });
    await h.directory.moveVm('acme-web3', 'dc2-h2');
    const moved = await call(h.app, 'GET', '/v1/vms/acme-web3', OPERATOR);
    assert.equal(moved.json().host, 'dc2-h2');
    assert.equal(moved.json().dc, 'dc2');
    await h.directory.moveVm('acme-web3', 'dc3-h1');
    const missing = await call(h.app, 'GET', '/v1/vms/ghost', OPERATOR);
    assert.equal(missing.statusCode, 404);
    assert.equal(codeOf(missing), 'VM_NOT_FOUND');
  });

  test('a too long name parameter -> 400 BAD_REQUEST', async () => {
    const res = await call(h.app, 'GET', `/v1/vms/${'x'.repeat(65)}`, OPERATOR);
    assert.equal(res.statusCode, 400);
    assert.equal(codeOf(res), 'BAD_REQUEST');
    assert.equal(res.json().error.details.in, 'params');
  });

  test('unknown routes -> 404 NOT_FOUND in the error shape', async () => {
    for (const url of ['/v1/nothing', '/v2/vms', '/']) {
      const res = await call(h.app, 'GET', url, OPERATOR);
      assert.equal(res.statusCode, 404, url);
      assert.equal(codeOf(res), 'NOT_FOUND');
    }
    const wrongMethod = await call(h.app, 'DELETE', '/v1/hosts/dc1-h1', OPERATOR);
    assert.equal(wrongMethod.statusCode, 404);
    assert.equal(codeOf(wrongMethod), 'NOT_FOUND');
  });

  test('GET /v1/jobs is for the operator, filters by dc and status', async () => {
    await h.jobs.create({ id: 'm1/dc1/setup-path', dc: 'dc1', kind: 'setup-path', payload: { vm: 'acme-web1' } });
    await h.jobs.create({ id: 'm1/dc2/setup-path', dc: 'dc2', kind: 'setup-path' });
    const res = await call(h.app, 'GET', '/v1/jobs?dc=dc1', OPERATOR);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), [
      { id: 'm1/dc1/setup-path', dc: 'dc1', kind: 'setup-path', payload: { vm: 'acme-web1' }, status: 'pending', createdAt: 2000, updatedAt: 2000 },
    ]);
    assert.equal((await call(h.app, 'GET', '/v1/jobs?status=done', OPERATOR)).json().length, 0);
    assert.equal(codeOf(await call(h.app, 'GET', '/v1/jobs?status=weird', OPERATOR)), 'BAD_REQUEST');
    const tenant = await call(h.app, 'GET', '/v1/jobs', ACME);
    assert.equal(tenant.statusCode, 403);
    assert.equal(codeOf(tenant), 'FORBIDDEN');
  });

  test('tenants see datacenter and host names only', async () => {
    const dcs = await call(h.app, 'GET', '/v1/datacenters', GLOBEX);
    assert.deepEqual(dcs.json(), [{ name: 'dc1' }, { name: 'dc2' }, { name: 'dc3' }]);
    const dc = await call(h.app, 'GET', '/v1/datacenters/dc1', GLOBEX);
    assert.deepEqual(dc.json(), { name: 'dc1', hosts: ['dc1-h1', 'dc1-h2'] });
    const hosts = await call(h.app, 'GET', '/v1/hosts?dc=dc1', GLOBEX);
    assert.deepEqual(hosts.json(), [{ name: 'dc1-h1', dc: 'dc1' }, { name: 'dc1-h2', dc: 'dc1' }]);
    const host = await call(h.app, 'GET', '/v1/hosts/dc1-h1', GLOBEX);
    assert.deepEqual(host.json(), { name: 'dc1-h1', dc: 'dc1', vms: [] });
    const own = await call(h.app, 'GET', '/v1/hosts/dc1-h1', ACME);
    assert.deepEqual(own.json(), { name: 'dc1-h1', dc: 'dc1', vms: ['acme-web1', 'acme-web4'] });
  });
});
