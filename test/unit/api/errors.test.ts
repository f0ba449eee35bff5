import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildApi, httpStatusFor, toErrorResponse } from '../../../src/api';
import { XsiteError } from '../../../src/core/errors';
import type { Store } from '../../../src/ports/store';
import { OPERATOR, call, codeOf, setup } from './helpers';

describe('API error mapping', () => {
  test('codes map to statuses', () => {
    const cases: Array<[string, number]> = [
      ['BAD_REQUEST', 400],
      ['UNAUTHORIZED', 401],
      ['FORBIDDEN', 403],
      ['NOT_FOUND', 404],
      ['VM_NOT_FOUND', 404],
      ['HOST_NOT_FOUND', 404],
      ['VN_NOT_FOUND', 404],
      ['FLOW_NOT_FOUND', 404],
      ['DUPLICATE_VM', 409],
      ['DUPLICATE_VN_ID', 409],
      ['FLOW_CONFLICT', 409],
      ['JOB_ID_CONFLICT', 409],
      ['NAT_POOL_EXHAUSTED', 409],
      ['VM_BAD_REFERENCE', 409],
      ['STORE_BUSY', 503],
      ['STORE_CLOSED', 503],
      ['INTERNAL_INVARIANT', 500],
      ['SOMETHING_NEW', 500],
    ];
    for (const [code, status] of cases) assert.equal(httpStatusFor(code), status, code);
  });

  test('known codes keep code, message and details; unknown failures leak nothing', () => {
    const dup = toErrorResponse(new XsiteError('DUPLICATE_VM', 'VM x exists', { vm: 'x' }));
    assert.deepEqual(dup, { status: 409, body: { error: { code: 'DUPLICATE_VM', message: 'VM x exists', details: { vm: 'x' } } }, internal: false });
    const inv = toErrorResponse(new XsiteError('INTERNAL_INVARIANT', 'table t broke at /secret/path'));
    assert.deepEqual(inv.body, { error: { code: 'INTERNAL', message: 'internal error' } });
    assert.equal(inv.status, 500);
    assert.deepEqual(toErrorResponse(new TypeError('x is undefined')).body, { error: { code: 'INTERNAL', message: 'internal error' } });
    assert.deepEqual(toErrorResponse('a string').status, 500);
    const busy = toErrorResponse(new XsiteError('STORE_BUSY', 'database /var/lib/x.db locked', { path: '/var/lib/x.db' }));
    assert.deepEqual(busy, { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'the store is unavailable, retry later' } }, internal: false });
  });

  test('an unexpected failure in a route -> 500 INTERNAL without internals', async () => {
    const h = await setup();
    const broken = new Proxy(h.store, {
      get(target, prop, receiver) {
        if (prop === 'listDatacenters') return () => Promise.reject(new Error('SQLITE_CORRUPT at /secret/db.sqlite'));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as Store;
    const app = buildApi({ store: broken, directory: h.directory, allocator: h.directory.allocator, jobs: h.jobs, tokens: { [OPERATOR]: { role: 'operator' } } });
    try {
      const res = await call(app, 'GET', '/v1/datacenters', OPERATOR);
      assert.equal(res.statusCode, 500);
      assert.deepEqual(res.json(), { error: { code: 'INTERNAL', message: 'internal error' } });
      assert.ok(!res.body.includes('secret'));
    } finally {
      await app.close();
      await h.close();
    }
  });

  test('a closed store -> 503 UNAVAILABLE, also on /v1/health', async () => {
    const h = await setup();
    await h.store.close();
    try {
      const health = await call(h.app, 'GET', '/v1/health');
      assert.equal(health.statusCode, 503);
      assert.equal(codeOf(health), 'UNAVAILABLE');
      const vms = await call(h.app, 'GET', '/v1/vms', OPERATOR);
      assert.equal(vms.statusCode, 503);
      assert.equal(codeOf(vms), 'UNAVAILABLE');
    } finally {
      await h.close();
    }
  });
});
