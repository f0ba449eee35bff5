import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApi } from '../../../src/api';
import { isXsiteError } from '../../../src/core/errors';
import { ACME, GLOBEX, INITECH, OPERATOR, call, codeOf, setup, type Harness } from './helpers';

describe('API auth and tenant isolation', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(() => h.close());

  test('missing, malformed or invalid tokens -> 401 UNAUTHORIZED with WWW-Authenticate', async () => {
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: '' },
      { authorization: OPERATOR },
      { authorization: `Basic ${OPERATOR}` },
      { authorization: 'Bearer nope' },
      { authorization: 'Bearer constructor' },
      { authorization: 'Bearer __proto__' },
    ];
    for (const headers of cases) {
      for (const url of ['/v1/vms', '/v1/datacenters', '/v1/nat/tuples', '/v1/vms/acme-web1']) {
        const res = await h.app.inject({ method: 'GET', url, headers });
        assert.equal(res.statusCode, 401, `${url} ${JSON.stringify(headers)}`);
        assert.equal(codeOf(res), 'UNAUTHORIZED');
        assert.match(String(res.headers['www-authenticate']), /^Bearer/);
      }
    }
    const post = await call(h.app, 'POST', '/v1/vms', 'nope', { name: 'x', tenant: 'acme', vn: 'web', host: 'dc1-h1', ip: '192.168.10.50' });
    assert.equal(post.statusCode, 401);
    const del = await call(h.app, 'DELETE', '/v1/vms/acme-web1', undefined);
    assert.equal(del.statusCode, 401);
    assert.ok(await h.store.getVm('acme-web1'));
  });

  test('the scheme name is case-insensitive', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v1/vms', headers: { authorization: `bearer ${ACME}` } });
    assert.equal(res.statusCode, 200);
  });

  test('tenant A never sees tenant B VMs, although they share addresses', async () => {
    const acme = (await call(h.app, 'GET', '/v1/vms', ACME)).json() as Array<{ name: string; tenant: string; ip: string }>;
    const globex = (await call(h.app, 'GET', '/v1/vms', GLOBEX)).json() as Array<{ name: string; tenant: string; ip: string }>;
    assert.deepEqual(acme.map((v) => v.name), ['acme-web1', 'acme-web2', 'acme-web3', 'acme-web4']);
    assert.ok(acme.every((v) => v.tenant === 'acme'));
    assert.deepEqual(globex.map((v) => v.name), ['globex-app1', 'globex-app2', 'globex-app3', 'globex-db1']);
    // The same private address exists in both tenants; each sees only its own.
    assert.ok(acme.some((v) => v.ip === '192.168.10.1') && globex.some((v) => v.ip === '192.168.10.1'));
    // Asking for the other tenant explicitly gives nothing.
    assert.deepEqual((await call(h.app, 'GET', '/v1/vms?tenant=globex', ACME)).json(), []);
    assert.deepEqual((await call(h.app, 'GET', '/v1/vms?host=dc1-h2', ACME)).json(), []);
    assert.deepEqual((await call(h.app, 'GET', '/v1/vms', INITECH)).json(), []);
  });

  test("reading another tenant's VM is 404 VM_NOT_FOUND, like a missing one", async () => {
    const other = await call(h.app, 'GET', '/v1/vms/globex-app1', ACME);
    const missing = await call(h.app, 'GET', '/v1/vms/no-such-vm', ACME);
    assert.equal(other.statusCode, 404);
    assert.equal(codeOf(other), 'VM_NOT_FOUND');
    assert.deepEqual(other.json(), { error: { code: 'VM_NOT_FOUND', message: 'no VM globex-app1', details: { vm: 'globex-app1' } } });
    assert.equal(missing.statusCode, 404);
    const own = await call(h.app, 'GET', '/v1/vms/globex-app1', GLOBEX);
    assert.equal(own.statusCode, 200);
    assert.equal(own.json().dc, 'dc1');
  });

  test('tenants see only their own VNs', async () => {
    assert.deepEqual((await call(h.app, 'GET', '/v1/vns', ACME)).json(), [
      { tenant: 'acme', name: 'web', id: 100, subnet: '192.168.10.0/24', dcs: ['dc1', 'dc2', 'dc3'] },
    ]);
    assert.deepEqual((await call(h.app, 'GET', '/v1/vns?tenant=globex', ACME)).json(), []);
    assert.deepEqual((await call(h.app, 'GET', '/v1/vns', INITECH)).json(), []);
  });

  test('tenants cannot list NAT tuples -> 403 FORBIDDEN; the operator can', async () => {
    const res = await call(h.app, 'GET', '/v1/nat/tuples', GLOBEX);
    assert.equal(res.statusCode, 403);
    assert.equal(codeOf(res), 'FORBIDDEN');
    assert.equal((await call(h.app, 'GET', '/v1/nat/tuples', OPERATOR)).statusCode, 200);
  });

  test('creating or deleting a VM of another tenant -> 403 FORBIDDEN, nothing changed', async () => {
    const create = await call(h.app, 'POST', '/v1/vms', ACME, { name: 'sneaky', tenant: 'globex', vn: 'app', host: 'dc1-h1', ip: '192.168.10.77' });
    assert.equal(create.statusCode, 403);
    assert.equal(codeOf(create), 'FORBIDDEN');
    assert.equal(await h.store.getVm('sneaky'), undefined);
    const del = await call(h.app, 'DELETE', '/v1/vms/globex-app1', ACME);
    assert.equal(del.statusCode, 403);
    assert.equal(codeOf(del), 'FORBIDDEN');
    assert.ok(await h.store.getVm('globex-app1'));
  });

  test('a bad token table is refused when the API is built', () => {
    const deps = { store: h.store, directory: h.directory, allocator: h.directory.allocator, jobs: h.jobs };
    assert.throws(() => buildApi({ ...deps, tokens: { t: { role: 'tenant', tenant: '' } } }), (e) => isXsiteError(e, 'API_BAD_TOKENS'));
    assert.throws(() => buildApi({ ...deps, tokens: { '': { role: 'operator' } } }), (e) => isXsiteError(e, 'API_BAD_TOKENS'));
    assert.throws(() => buildApi({ ...deps, tokens: { t: { role: 'admin' } as never } }), (e) => isXsiteError(e, 'API_BAD_TOKENS'));
  });

  test('a Map works as the token table', async () => {
    const deps = { store: h.store, directory: h.directory, allocator: h.directory.allocator, jobs: h.jobs };
    const app = buildApi({ ...deps, tokens: new Map([['m', { role: 'tenant' as const, tenant: 'globex' }]]) });
    try {
      const res = await call(app, 'GET', '/v1/vms', 'm');
      assert.equal(res.json().length, 4);
    } finally {
      await app.close();
    }
  });
});
