import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NatAllocator, natPoolKey } from '../../../src/central/nat-allocator';
import { isXsiteError } from '../../../src/core/errors';
import { SqliteStore } from '../../../src/drivers/store/sqlite';
import type { NatTuple } from '../../../src/model/flow';
import type { Store } from '../../../src/ports/store';
import { natSnapshot, seedTwoDcs } from '../store/fixtures';

async function setup(range: [number, number] = [1000, 1999], dc2Ips?: string[]): Promise<{ store: Store; nat: NatAllocator }> {
  const store = await SqliteStore.open(':memory:');
  await seedTwoDcs(store, range, dc2Ips);
  return { store, nat: new NatAllocator(store, { now: () => 1 }) };
}

const key = (t: NatTuple): string => `${t.protocol}|${[t.srcPublicIp, t.dstPublicIp].sort().join('|')}|${t.port}`;
const req = (flowId: string, protocol: 'tcp' | 'udp' | 'icmp' = 'tcp', fwd = true) => ({
  protocol,
  srcGateway: fwd ? 'g1' : 'g2',
  dstGateway: fwd ? 'g2' : 'g1',
  flowId,
});

describe('NatAllocator', () => {
  test('tuples are unique per protocol, within the range, from the gateways public IPs, lowest port first', async () => {
    const { store, nat } = await setup([1000, 1099]);
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const t = await nat.allocate(req(`f${i}`, 'tcp', i % 2 === 0));
      assert.ok(!seen.has(key(t)));
      seen.add(key(t));
      assert.ok(t.port >= 1000 && t.port <= 1099);
      assert.equal(t.protocol, 'tcp');
      if (i % 2 === 0) assert.deepEqual([t.srcPublicIp, t.dstPublicIp], ['198.51.100.1', '198.51.100.2']);
      else assert.deepEqual([t.srcPublicIp, t.dstPublicIp], ['198.51.100.2', '198.51.100.1']);
    }
    assert.deepEqual((await nat.lookup('f0'))?.port, 1000);
    assert.deepEqual((await nat.lookup('f1'))?.port, 1001, 'the reverse direction shares the pool');
    await store.close();
  });

  test('the same port may be in use for tcp and udp at once; icmp tuples are VLAN ids 1..4094', async () => {
    const { store, nat } = await setup();
    const t = await nat.allocate(req('t', 'tcp'));
    const u = await nat.allocate(req('u', 'udp'));
    const i = await nat.allocate(req('i', 'icmp'));
    const i2 = await nat.allocate(req('i2', 'icmp'));
    assert.equal(t.port, 1000);
    assert.equal(u.port, 1000);
    assert.equal(i.port, 1);
    assert.equal(i2.port, 2);
    assert.deepEqual([u.protocol, i.protocol], ['udp', 'icmp']);
    await store.close();
  });

  test('allocation spreads over the public IP pairs (fewest in use first)', async () => {
    const { store, nat } = await setup([1000, 1999], ['198.51.100.2', '198.51.100.3']);
    const dst: string[] = [];
    for (let i = 0; i < 6; i++) dst.push((await nat.allocate(req(`f${i}`))).dstPublicIp);
    assert.deepEqual(dst, ['198.51.100.2', '198.51.100.3', '198.51.100.2', '198.51.100.3', '198.51.100.2', '198.51.100.3']);
    const pools = await store.listNatPools();
    assert.deepEqual(pools.map((p) => [p.key, p.inUse]), [
      [natPoolKey('tcp', '198.51.100.1', '198.51.100.2'), 3],
      [natPoolKey('tcp', '198.51.100.1', '198.51.100.3'), 3],
    ]);
    await store.close();
  });

  test('the usable range is the intersection of both gateways ranges', async () => {
    const { store, nat } = await setup([1000, 1999]);
    await store.putGateway({ ...(await store.getGateway('g2'))!, portRange: [1500, 3000] });
    assert.equal((await nat.allocate(req('f1'))).port, 1500);
    await store.close();
  });

  test('release frees the port for reuse; releasing twice or an unknown flow does nothing', async () => {
    const { store, nat } = await setup([1000, 1009]);
    for (let i = 0; i < 10; i++) await nat.allocate(req(`f${i}`));
    assert.deepEqual(await nat.release('f4'), { srcPublicIp: '198.51.100.1', dstPublicIp: '198.51.100.2', port: 1004, protocol: 'tcp' });
    assert.equal(await nat.release('f4'), undefined);
    assert.equal(await nat.release('nope'), undefined);
    assert.equal(await nat.lookup('f4'), undefined);
    assert.equal((await nat.allocate(req('g'))).port, 1004);
    await nat.release('f2');
    await nat.release('f3');
    await nat.release('g');
    assert.deepEqual(await store.listFreeRanges(natPoolKey('tcp', '198.51.100.1', '198.51.100.2')), [
      { pool: natPoolKey('tcp', '198.51.100.1', '198.51.100.2'), lo: 1002, hi: 1004 },
    ]);
    assert.equal((await nat.allocate(req('h'))).port, 1002);
    await store.close();
  });

  test('exhaustion: NAT_POOL_EXHAUSTED with details, nothing written, other protocols unaffected', async () => {
    const { store, nat } = await setup([1000, 1003], ['198.51.100.2', '198.51.100.3']);
    for (let i = 0; i < 8; i++) await nat.allocate(req(`f${i}`, 'tcp', i % 2 === 0));
    const before = await natSnapshot(store);
    await assert.rejects(nat.allocate(req('over')), (e) => {
      assert.ok(isXsiteError(e, 'NAT_POOL_EXHAUSTED'));
      assert.deepEqual(e.details, { srcGateway: 'g1', dstGateway: 'g2', protocol: 'tcp', rangeSize: 4, range: [1000, 1003], ipPairs: 2, capacity: 8 });
      return true;
    });
    assert.deepEqual(await natSnapshot(store), before);
    assert.equal((await nat.allocate(req('u', 'udp'))).port, 1000);
    await nat.release('f5');
    assert.equal((await nat.allocate(req('over'))).port, 1002);
    await store.close();
  });

  test('disjoint ranges give an empty pool: exhausted with rangeSize 0', async () => {
    const { store, nat } = await setup([1000, 1003]);
    await store.putGateway({ ...(await store.getGateway('g2'))!, portRange: [2000, 2003] });
    await assert.rejects(nat.allocate(req('f')), (e) => isXsiteError(e, 'NAT_POOL_EXHAUSTED') && e.details?.rangeSize === 0);
    assert.deepEqual(await store.listNatPools(), []);
    await store.close();
  });

  test('allocating the same flow id twice returns the same tuple; other gateways or protocol conflict', async () => {
    const { store, nat } = await setup();
    const a = await nat.allocate(req('f'));
    await nat.allocate(req('g'));
    assert.deepEqual(await nat.allocate(req('f')), a);
    assert.equal((await store.listNatTuples()).length, 2);
    await assert.rejects(nat.allocate(req('f', 'udp')), (e) => isXsiteError(e, 'NAT_FLOW_CONFLICT'));
    await assert.rejects(nat.allocate(req('f', 'tcp', false)), (e) => isXsiteError(e, 'NAT_FLOW_CONFLICT'));
    await store.close();
  });

  test('bad requests: unknown gateway, same gateway twice, unknown protocol', async () => {
    const { store, nat } = await setup();
    await assert.rejects(nat.allocate({ ...req('f'), dstGateway: 'zz' }), (e) => isXsiteError(e, 'GATEWAY_NOT_FOUND'));
    await assert.rejects(nat.allocate({ ...req('f'), dstGateway: 'g1' }), (e) => isXsiteError(e, 'NAT_SAME_GATEWAY'));
    await assert.rejects(nat.allocate({ ...req('f'), protocol: 'sctp' as 'tcp' }), (e) => isXsiteError(e, 'NAT_BAD_PROTOCOL'));
    assert.deepEqual(await natSnapshot(store), await natSnapshot(store));
    assert.deepEqual(await store.listNatTuples(), []);
    await store.close();
  });

  test('a gateway range change rebuilds the pool around the tuples in use', async () => {
    const { store, nat } = await setup([1000, 1009]);
    for (let i = 0; i < 6; i++) await nat.allocate(req(`f${i}`));
    for (const g of ['g1', 'g2']) await store.putGateway({ ...(await store.getGateway(g))!, portRange: [1003, 1007] });
    assert.equal((await nat.allocate(req('x'))).port, 1006);
    assert.equal((await nat.allocate(req('y'))).port, 1007);
    await assert.rejects(nat.allocate(req('z')), (e) => isXsiteError(e, 'NAT_POOL_EXHAUSTED'));
    await nat.release('f0'); // port 1000: outside the new range, not returned to the free runs
    await assert.rejects(nat.allocate(req('z')), (e) => isXsiteError(e, 'NAT_POOL_EXHAUSTED'));
    await nat.release('f4');
    assert.equal((await nat.allocate(req('z'))).port, 1004);
    await store.close();
  });

  test('10,000 allocations and releases stay unique and correct', async () => {
    const { store, nat } = await setup([1, 65535]);
    const seen = new Set<string>();
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const t = await nat.allocate(req(`f${i}`, i % 3 === 0 ? 'udp' : 'tcp', i % 2 === 0));
      const k = key(t);
      assert.ok(!seen.has(k));
      seen.add(k);
    }
    const elapsed = performance.now() - t0;
    assert.ok(elapsed < 5000, `10k allocations took ${elapsed} ms`); // generous bound; figures belong in bench/
    for (let i = 0; i < 10_000; i += 2) await nat.release(`f${i}`);
    assert.equal((await store.listNatTuples()).length, 5000);
    const again = await nat.allocate(req('again'));
    assert.ok(!seen.has(key(again)) || (await nat.lookup('f0')) === undefined);
    await store.close();
  });

  test('transfer hands a tuple to another flow id (same IPs and port, pool count unchanged); refuses a taken id or a missing tuple', async () => {
    const { store, nat } = await setup([1000, 1099]);
    const staged = await nat.allocate(req('stage|m1|f1'));
    await nat.allocate(req('other'));
    const before = (await natSnapshot(store)) as { pools: unknown; free: unknown };
    const t = await store.transaction((tx) => nat.transferIn(tx, 'stage|m1|f1', 'f1'));
    assert.deepEqual(t, staged);
    assert.deepEqual(await nat.lookup('f1'), staged);
    assert.equal(await nat.lookup('stage|m1|f1'), undefined);
    const after = (await natSnapshot(store)) as { pools: unknown; free: unknown };
    assert.deepEqual([after.pools, after.free], [before.pools, before.free], 'in-use counts and free ranges are unchanged');
    await assert.rejects(store.transaction((tx) => nat.transferIn(tx, 'nothing', 'f9')), (e) => isXsiteError(e, 'NAT_NO_TUPLE'));
    await assert.rejects(store.transaction((tx) => nat.transferIn(tx, 'other', 'f1')), (e) => isXsiteError(e, 'NAT_FLOW_CONFLICT'));
    assert.equal((await nat.lookup('other'))?.port, 1001, 'a refused transfer changes nothing');
    await store.close();
  });
});
