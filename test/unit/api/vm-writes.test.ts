import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ACME, GLOBEX, OPERATOR, call, codeOf, setup, snapshot, type Harness } from './helpers';

const newVm = { name: 'acme-web5', tenant: 'acme', vn: 'web', host: 'dc2-h2', ip: '192.168.10.5' };

describe('API VM writes', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await setup();
  });
  afterEach(() => h.close());

  test('POST /v1/vms creates a VM -> 201 with its location, lowest free derived MAC and default memory', async () => {
    const res = await call(h.app, 'POST', '/v1/vms', ACME, newVm);
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers.location, '/v1/vms/acme-web5');
    assert.deepEqual(res.json(), { ...newVm, dc: 'dc2', mac: '02:00:00:00:00:08', memoryMB: 1024 });
    const stored = await h.store.getVm('acme-web5');
    assert.equal(stored?.host, 'dc2-h2');
    const read = await call(h.app, 'GET', '/v1/vms/acme-web5', ACME);
    assert.equal(read.json().dc, 'dc2');
    // It now counts in its VN's DCs and in the list.
    assert.equal((await call(h.app, 'GET', '/v1/vms', ACME)).json().length, 5);
  });

  test('POST keeps a given MAC (lowercased), vlan and memory; canonicalises IPv6', async () => {
    const res = await call(h.app, 'POST', '/v1/vms', OPERATOR, { ...newVm, ip: '192.168.10.6', mac: '02:AB:00:00:00:01', vlan: 7, memoryMB: 512 });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().mac, '02:ab:00:00:00:01');
    assert.equal(res.json().vlan, 7);
    assert.equal(res.json().memoryMB, 512);
  });

  test('duplicate IP in the same VN -> 409 DUPLICATE_VM and nothing changed', async () => {
    const before = await snapshot(h.store);
    const res = await call(h.app, 'POST', '/v1/vms', ACME, { ...newVm, ip: '192.168.10.1' });
    assert.equal(res.statusCode, 409);
    assert.equal(codeOf(res), 'DUPLICATE_VM');
    assert.equal(res.json().error.details.ip, '192.168.10.1');
    assert.deepEqual(await snapshot(h.store), before);
  });

  test('the same IP in another tenant is fine (address spaces are per VN)', async () => {
    const res = await call(h.app, 'POST', '/v1/vms', GLOBEX, { name: 'globex-app9', tenant: 'globex', vn: 'app', host: 'dc1-h1', ip: '192.168.10.4' });
    assert.equal(res.statusCode, 201);
  });

  test('duplicate name -> 409 DUPLICATE_VM and nothing changed', async () => {
    const before = await snapshot(h.store);
    const res = await call(h.app, 'POST', '/v1/vms', ACME, { ...newVm, name: 'acme-web1' });
    assert.equal(res.statusCode, 409);
    assert.equal(codeOf(res), 'DUPLICATE_VM');
    assert.deepEqual(await snapshot(h.store), before);
  });

  test('unknown host or VN -> 404 with code, nothing changed', async () => {
    const before = await snapshot(h.store);
    const host = await call(h.app, 'POST', '/v1/vms', ACME, { ...newVm, host: 'dc9-h1' });
    assert.equal(host.statusCode, 404);
    assert.equal(codeOf(host), 'HOST_NOT_FOUND');
    const vn = await call(h.app, 'POST', '/v1/vms', ACME, { ...newVm, vn: 'nope' });
    assert.equal(vn.statusCode, 404);
    assert.equal(codeOf(vn), 'VN_NOT_FOUND');
    assert.deepEqual(await snapshot(h.store), before);
  });

  test('schema and value errors -> 400 BAD_REQUEST, nothing changed', async () => {
    const before = await snapshot(h.store);
    const bodies: unknown[] = [
      { ...newVm, extra: 1 },
      { ...newVm, name: undefined },
      { ...newVm, name: 'has space' },
      { ...newVm, ip: 'not-an-ip' },
      { ...newVm, ip: '192.168.99.5' },
      { ...newVm, mac: 'zz:00:00:00:00:01' },
      { ...newVm, mac: '01:00:5e:00:00:01' },
      { ...newVm, vlan: 5000 },
      { ...newVm, memoryMB: 'lots' },
      [],
    ];
    for (const body of bodies) {
      const res = await call(h.app, 'POST', '/v1/vms', OPERATOR, body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(codeOf(res), 'BAD_REQUEST', JSON.stringify(body));
    }
    const badJson = await h.app.inject({
      method: 'POST',
      url: '/v1/vms',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    assert.equal(badJson.statusCode, 400);
    assert.equal(codeOf(badJson), 'BAD_REQUEST');
    const text = await h.app.inject({
      method: 'POST',
      url: '/v1/vms',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/xml' },
      payload: '<vm/>',
    });
    assert.equal(text.statusCode, 415);
    assert.equal(codeOf(text), 'UNSUPPORTED_MEDIA_TYPE');
    assert.deepEqual(await snapshot(h.store), before);
  });

  test('DELETE /v1/vms/:name -> 204 and the VM is gone; again -> 404 VM_NOT_FOUND', async () => {
    const res = await call(h.app, 'DELETE', '/v1/vms/acme-web4', ACME);
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    assert.equal(await h.store.getVm('acme-web4'), undefined);
    const again = await call(h.app, 'DELETE', '/v1/vms/acme-web4', OPERATOR);
    assert.equal(again.statusCode, 404);
    assert.equal(codeOf(again), 'VM_NOT_FOUND');
    assert.equal((await call(h.app, 'GET', '/v1/vms/acme-web4', OPERATOR)).statusCode, 404);
  });

  test('the operator deletes any tenant VM', async () => {
    assert.equal((await call(h.app, 'DELETE', '/v1/vms/globex-db1', OPERATOR)).statusCode, 204);
    const vns = (await call(h.app, 'GET', '/v1/vns?tenant=globex', OPERATOR)).json() as Array<{ name: string; dcs: string[] }>;
    assert.deepEqual(vns.find((v) => v.name === 'db')?.dcs, []);
  });
});
