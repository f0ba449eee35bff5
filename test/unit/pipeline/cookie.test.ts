import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COOKIE_MANAGER_MASK, ManagerRegistry, XSITE_MANAGERS, cookieLocal, cookieManager, makeCookie } from '../../../src/pipeline/cookie';

describe('cookies', () => {
  it('encode the manager id in the top 16 bits and a 48-bit value below', () => {
    const c = makeCookie(0x1234, 0xabcdef012345n);
    assert.equal(c, 0x1234abcdef012345n);
    assert.equal(cookieManager(c), 0x1234);
    assert.equal(cookieLocal(c), 0xabcdef012345n);
    assert.equal(c & COOKIE_MANAGER_MASK, 0x1234n << 48n);
    assert.equal(cookieManager(makeCookie(0xffff, 0xffffffffffffn)), 0xffff);
    assert.equal(cookieManager(0n), 0, 'cookie 0 has no manager');
  });

  it('refuses ids outside 1..65535 and values wider than 48 bits', () => {
    for (const id of [0, 0x10000, -1, 1.5]) assert.throws(() => makeCookie(id), { code: 'PIPELINE_VIOLATION' });
    assert.throws(() => makeCookie(1, 1n << 48n), { code: 'PIPELINE_VIOLATION' });
    assert.throws(() => makeCookie(1, -1n), { code: 'PIPELINE_VIOLATION' });
  });

  it('the registry maps names and ids both ways and knows the owner of a cookie', () => {
    const r = new ManagerRegistry([{ id: 2, name: 'arp' }]);
    r.register('l2', 3);
    assert.equal(r.idOf('l2'), 3);
    assert.equal(r.byId(2)?.name, 'arp');
    assert.equal(r.ownerOf(makeCookie(3, 99n))?.name, 'l2');
    assert.equal(r.ownerOf(0x1234n), undefined);
    assert.throws(() => r.register('l2', 4), { code: 'PIPELINE_BAD_MANAGER' });
    assert.throws(() => r.register('x', 2), { code: 'PIPELINE_BAD_MANAGER' });
    assert.throws(() => r.register('y', 0), { code: 'PIPELINE_BAD_MANAGER' });
    assert.throws(() => r.idOf('nope'), { code: 'PIPELINE_BAD_MANAGER' });
    assert.deepEqual(r.all().map((m) => m.id), [2, 3]);
    assert.ok(XSITE_MANAGERS.all().length >= 7);
    assert.equal(new Set(XSITE_MANAGERS.all().map((m) => m.id)).size, XSITE_MANAGERS.all().length);
  });
});
