/**
 * The Store conformance suite: every implementation of `src/ports/store.ts` must pass it. Call
 * `storeConformance('sqlite', () => SqliteStore.open(...))` from the implementation's test file.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NatAllocator } from '../../../src/central/nat-allocator';
import { isXsiteError } from '../../../src/core/errors';
import type { FlowRecord, NatTupleRecord } from '../../../src/model/flow';
import type { MigrationRecord } from '../../../src/model/migration';
import type { Store } from '../../../src/ports/store';
import { seedTwoDcs } from './fixtures';

/** A factory giving a fresh, empty store each call. */
export type StoreFactory = () => Promise<Store>;

function code(c: string, constraint?: string): (e: unknown) => boolean {
  return (e) => isXsiteError(e, c) && (constraint === undefined || e.details?.constraint === constraint);
}

function flow(id: string, over: Partial<FlowRecord> = {}): FlowRecord {
  return { id, tenant: 't1', vn: 'v1', protocol: 'tcp', srcVm: 'a', dstVm: 'b', state: 'open', createdAt: 10, lastSeenAt: 10, ...over };
}

function tuple(flowId: string, port: number, over: Partial<NatTupleRecord> = {}): NatTupleRecord {
  return {
    flowId,
    protocol: 'tcp',
    srcPublicIp: '198.51.100.1',
    dstPublicIp: '198.51.100.2',
    port,
    srcGateway: 'g1',
    dstGateway: 'g2',
    pool: 'p',
    allocatedAt: 5,
    ...over,
  };
}

/** Registers the conformance tests for one Store implementation. */
export function storeConformance(name: string, factory: StoreFactory): void {
  async function withStore(fn: (s: Store) => Promise<void>): Promise<void> {
    const s = await factory();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  }

  describe(`Store conformance: ${name}`, () => {
    test('intent records round-trip, optional fields absent when unset, lists sorted', () =>
      withStore(async (s) => {
        await seedTwoDcs(s);
        assert.deepEqual(await s.getDatacenter('dc1'), { name: 'dc1', subnet: '10.1.0.0/16', virtualisation: 'mac' });
        assert.deepEqual(await s.getDatacenter('dc2'), { name: 'dc2', subnet: '10.2.0.0/16', virtualisation: 'vlan', gatewayIp: '192.168.1.254' });
        assert.equal(await s.getDatacenter('nope'), undefined);
        assert.deepEqual((await s.listDatacenters()).map((d) => d.name), ['dc1', 'dc2']);
        assert.deepEqual(await s.getHost('h2'), { name: 'h2', dc: 'dc2', switch: 'h2-vs', address: '10.2.0.11', mac: '02:00:00:00:02:11' });
        assert.deepEqual((await s.listHosts('dc1')).map((h) => h.name), ['h1']);
        assert.deepEqual(await s.getGateway('g1'), {
          name: 'g1', dc: 'dc1', switch: 'g1-sw', publicIps: ['198.51.100.1'], portRange: [1000, 1999], mac: '02:00:00:00:01:01',
        });
        assert.deepEqual((await s.listGateways()).map((g) => g.name), ['g1', 'g2']);
        assert.deepEqual((await s.listGateways('dc2')).map((g) => g.name), ['g2']);
        assert.deepEqual(await s.listTenants(), [{ name: 't1' }]);
        assert.deepEqual(await s.getVn('t1', 'v1'), { tenant: 't1', name: 'v1', id: 1, subnet: '192.168.1.0/24' });
        assert.deepEqual(await s.listVns('t1'), [{ tenant: 't1', name: 'v1', id: 1, subnet: '192.168.1.0/24' }]);
        assert.deepEqual(await s.getVm('a'), { name: 'a', tenant: 't1', vn: 'v1', ip: '192.168.1.1', mac: '02:00:00:00:00:0a', host: 'h1', memoryMB: 1024 });
        assert.equal((await s.getVm('b'))?.vlan, 7);
      }));

    test('put* upserts by key; putTenant twice is one tenant', () =>
      withStore(async (s) => {
        await seedTwoDcs(s);
        await s.putTenant({ name: 't1' });
        assert.equal((await s.listTenants()).length, 1);
        await s.putHost({ name: 'h1', dc: 'dc1', switch: 'h1-vs', address: '10.1.0.99', mac: '02:00:00:00:01:11' });
        assert.equal((await s.getHost('h1'))?.address, '10.1.0.99');
        await s.putGateway({ name: 'g1', dc: 'dc1', switch: 'g1-sw', publicIps: ['198.51.100.1', '198.51.100.9'], portRange: [5, 6], mac: 'x' });
        assert.deepEqual((await s.getGateway('g1'))?.portRange, [5, 6]);
        assert.deepEqual((await s.getGateway('g1'))?.publicIps, ['198.51.100.1', '198.51.100.9']);
        await s.putVm({ name: 'a', tenant: 't1', vn: 'v1', ip: '192.168.1.1', mac: 'm', host: 'h1', memoryMB: 1 });
        assert.equal((await s.getVm('a'))?.memoryMB, 1);
        assert.equal((await s.listVms()).length, 2);
      }));

    test('VM lookups: by (tenant, vn, ip), filters, location update, delete', () =>
      withStore(async (s) => {
        await seedTwoDcs(s);
        await s.putTenant({ name: 't2' });
        await s.putVn({ tenant: 't2', name: 'v1', id: 2 });
        await s.putVm({ name: 'c', tenant: 't2', vn: 'v1', ip: '192.168.1.1', mac: 'mc', host: 'h2', memoryMB: 1 });
        assert.equal((await s.findVmByIp('t1', 'v1', '192.168.1.1'))?.name, 'a');
        assert.equal((await s.findVmByIp('t2', 'v1', '192.168.1.1'))?.name, 'c');
        assert.equal(await s.findVmByIp('t2', 'v1', '192.168.1.2'), undefined);
        assert.deepEqual((await s.listVms({ dc: 'dc2' })).map((v) => v.name), ['b', 'c']);
        assert.deepEqual((await s.listVms({ tenant: 't1' })).map((v) => v.name), ['a', 'b']);
        assert.deepEqual((await s.listVms({ host: 'h1' })).map((v) => v.name), ['a']);
        assert.equal(await s.setVmHost('a', 'h2'), true);
        assert.equal(await s.setVmHost('zz', 'h2'), false);
        assert.deepEqual((await s.listVms({ dc: 'dc2', tenant: 't1' })).map((v) => v.name), ['a', 'b']);
        assert.equal(await s.deleteVm('c'), true);
        assert.equal(await s.deleteVm('c'), false);
        assert.equal(await s.getVm('c'), undefined);
      }));

    test('uniqueness and references are enforced with STORE_CONSTRAINT', () =>
      withStore(async (s) => {
        await seedTwoDcs(s);
        await assert.rejects(
          s.putVm({ name: 'a2', tenant: 't1', vn: 'v1', ip: '192.168.1.1', mac: 'm', host: 'h1', memoryMB: 1 }),
          code('STORE_CONSTRAINT', 'vm_ip'),
        );
        await assert.rejects(s.putVm({ name: 'x', tenant: 't1', vn: 'v1', ip: '192.168.1.50', mac: 'm', host: 'nohost', memoryMB: 1 }), code('STORE_CONSTRAINT', 'ref'));
        await assert.rejects(s.putVm({ name: 'x', tenant: 't1', vn: 'novn', ip: '192.168.1.50', mac: 'm', host: 'h1', memoryMB: 1 }), code('STORE_CONSTRAINT', 'ref'));
        await assert.rejects(s.putHost({ name: 'h9', dc: 'nodc', switch: 's', address: 'a', mac: 'm' }), code('STORE_CONSTRAINT', 'ref'));
        await s.putTenant({ name: 't2' });
        await assert.rejects(s.putVn({ tenant: 't2', name: 'other', id: 1 }), code('STORE_CONSTRAINT', 'vn_id'));
        assert.equal(await s.getVm('x'), undefined);
        assert.equal(await s.getVn('t2', 'other'), undefined);
      }));

    test('flows round-trip, filters, and show the tuple stored for their id', () =>
      withStore(async (s) => {
        await seedTwoDcs(s);
        await s.putFlow(flow('f1', { srcPort: 40000, dstPort: 80 }));
        await s.putFlow(flow('f2', { srcVm: 'b', dstVm: 'a', state: 'closed' }));
        assert.deepEqual(await s.getFlow('f1'), flow('f1', { srcPort: 40000, dstPort: 80 }));
        await s.insertNatTuple(tuple('f1', 1000));
        assert.deepEqual((await s.getFlow('f1'))?.tuple, { srcPublicIp: '198.51.100.1', dstPublicIp: '198.51.100.2', port: 1000, protocol: 'tcp' });
        assert.deepEqual((await s.listFlows({ state: 'open' })).map((f) => f.id), ['f1']);
        assert.deepEqual((await s.listFlows({ vm: 'a' })).map((f) => f.id), ['f1', 'f2']);
        assert.deepEqual((await s.listFlows({ tenant: 'zz' })).length, 0);
        await s.putFlow(flow('f1', { lastSeenAt: 99, tuple: { srcPublicIp: 'ignored', dstPublicIp: 'x', port: 1, protocol: 'udp' } }));
        const f1 = await s.getFlow('f1');
        assert.equal(f1?.lastSeenAt, 99);
        assert.equal(f1?.tuple?.port, 1000);
        assert.equal(f1?.srcPort, undefined);
        assert.equal(await s.deleteFlow('f2'), true);
        assert.equal(await s.getFlow('f2'), undefined);
      }));

    test('NAT tuples: unique per (protocol, unordered IP pair, port), one per flow', () =>
      withStore(async (s) => {
        await s.insertNatTuple(tuple('f1', 1000));
        await assert.rejects(s.insertNatTuple(tuple('f2', 1000)), code('STORE_CONSTRAINT', 'nat_tuple'));
        await assert.rejects(
          s.insertNatTuple(tuple('f2', 1000, { srcPublicIp: '198.51.100.2', dstPublicIp: '198.51.100.1' })),
          code('STORE_CONSTRAINT', 'nat_tuple'),
        );
        await assert.rejects(s.insertNatTuple(tuple('f1', 1001)), code('STORE_CONSTRAINT'));
        await s.insertNatTuple(tuple('f2', 1000, { protocol: 'udp' }));
        await s.insertNatTuple(tuple('f3', 1000, { dstPublicIp: '198.51.100.3' }));
        assert.deepEqual(await s.getNatTuple('f2'), tuple('f2', 1000, { protocol: 'udp' }));
        assert.equal((await s.listNatTuples()).length, 3);
        assert.equal((await s.listNatTuples('p')).length, 3);
        assert.equal(await s.deleteNatTuple('f1'), true);
        assert.equal(await s.deleteNatTuple('f1'), false);
        await s.insertNatTuple(tuple('f4', 1000));
      }));

    test('NAT pools and free ranges: floor/ceil lookups', () =>
      withStore(async (s) => {
        const pool = { key: 'tcp|a|b', protocol: 'tcp' as const, ipLo: 'a', ipHi: 'b', lo: 1, hi: 100, inUse: 3 };
        await s.putNatPool(pool);
        assert.deepEqual(await s.getNatPool('tcp|a|b'), pool);
        assert.deepEqual(await s.listNatPools(), [pool]);
        for (const [lo, hi] of [[10, 20], [30, 30], [50, 100]] as const) await s.putFreeRange({ pool: pool.key, lo, hi });
        await s.putFreeRange({ pool: 'other', lo: 1, hi: 5 });
        assert.deepEqual(await s.freeRangeFloor(pool.key, 29), { pool: pool.key, lo: 10, hi: 20 });
        assert.deepEqual(await s.freeRangeFloor(pool.key, 30), { pool: pool.key, lo: 30, hi: 30 });
        assert.equal(await s.freeRangeFloor(pool.key, 9), undefined);
        assert.deepEqual(await s.freeRangeCeil(pool.key, 31), { pool: pool.key, lo: 50, hi: 100 });
        assert.deepEqual(await s.freeRangeCeil(pool.key, 0), { pool: pool.key, lo: 10, hi: 20 });
        assert.equal(await s.freeRangeCeil(pool.key, 51), undefined);
        await s.putFreeRange({ pool: pool.key, lo: 30, hi: 40 });
        assert.equal(await s.deleteFreeRange(pool.key, 10), true);
        assert.deepEqual(await s.listFreeRanges(pool.key), [
          { pool: pool.key, lo: 30, hi: 40 },
          { pool: pool.key, lo: 50, hi: 100 },
        ]);
        await s.deleteFreeRanges(pool.key);
        assert.deepEqual(await s.listFreeRanges(pool.key), []);
        assert.equal((await s.listFreeRanges('other')).length, 1);
      }));

    test('jobs: insert once per id, update, list by dc/status in creation order', () =>
      withStore(async (s) => {
        const job = { id: 'j1', dc: 'dc1', kind: 'setup-path', payload: { vm: 'a', n: [1, 2] }, status: 'pending' as const, createdAt: 2, updatedAt: 2 };
        assert.equal(await s.insertJob(job), true);
        assert.equal(await s.insertJob({ ...job, kind: 'other', createdAt: 3 }), false);
        assert.deepEqual(await s.getJob('j1'), job);
        await s.insertJob({ ...job, id: 'j0', createdAt: 5, updatedAt: 5 });
        await s.insertJob({ ...job, id: 'j2', dc: 'dc2', createdAt: 1, updatedAt: 1 });
        assert.deepEqual((await s.listJobs()).map((j) => j.id), ['j2', 'j1', 'j0']);
        assert.deepEqual((await s.listJobs({ dc: 'dc1', status: 'pending' })).map((j) => j.id), ['j1', 'j0']);
        assert.equal(await s.updateJob('j1', 'failed', 9, 'boom'), true);
        assert.equal(await s.updateJob('nope', 'done', 9), false);
        assert.deepEqual(await s.getJob('j1'), { ...job, status: 'failed', updatedAt: 9, error: 'boom' });
        await s.updateJob('j1', 'pending', 10);
        assert.equal((await s.getJob('j1'))?.error, undefined);
        assert.deepEqual((await s.listJobs({ status: 'pending', dc: 'dc1' })).map((j) => j.id), ['j1', 'j0']);
      }));

    test('transaction commits when fn resolves and rolls back everything when it throws', () =>
      withStore(async (s) => {
        await seedTwoDcs(s);
        const r = await s.transaction(async (tx) => {
          await tx.putFlow(flow('f1'));
          await new Promise((res) => setTimeout(res, 1));
          await tx.insertNatTuple(tuple('f1', 1000));
          return 42;
        });
        assert.equal(r, 42);
        assert.equal((await s.getFlow('f1'))?.tuple?.port, 1000);
        const boom = new Error('boom');
        await assert.rejects(
          s.transaction(async (tx) => {
            await tx.putFlow(flow('f2'));
            await tx.setVmHost('a', 'h2');
            await new Promise((res) => setTimeout(res, 1));
            throw boom;
          }),
          (e) => e === boom,
        );
        assert.equal(await s.getFlow('f2'), undefined);
        assert.equal((await s.getVm('a'))?.host, 'h1');
        // A failing statement inside rolls back the earlier ones too.
        await assert.rejects(
          s.transaction(async (tx) => {
            await tx.putFlow(flow('f3'));
            await tx.insertNatTuple(tuple('f3', 1000));
          }),
          code('STORE_CONSTRAINT', 'nat_tuple'),
        );
        assert.equal(await s.getFlow('f3'), undefined);
      }));

    test('a tx used after its transaction ended throws STORE_TX_CLOSED', () =>
      withStore(async (s) => {
        let kept: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined;
        await s.transaction(async (tx) => {
          kept = tx;
        });
        await assert.rejects(kept!.listTenants(), code('STORE_TX_CLOSED'));
      }));

    test('concurrent transactions on one store are serialised (no lost update)', () =>
      withStore(async (s) => {
        await s.putNatPool({ key: 'c', protocol: 'udp', ipLo: 'a', ipHi: 'b', lo: 1, hi: 2, inUse: 0 });
        await Promise.all(
          Array.from({ length: 20 }, () =>
            s.transaction(async (tx) => {
              const p = (await tx.getNatPool('c'))!;
              await new Promise((res) => setImmediate(res));
              await tx.putNatPool({ ...p, inUse: p.inUse + 1 });
            }),
          ),
        );
        assert.equal((await s.getNatPool('c'))?.inUse, 20);
      }));

    test('allocator on this store: 500 tuples unique, release returns all ports', () =>
      withStore(async (s) => {
        await seedTwoDcs(s, [1000, 1499], ['198.51.100.2', '198.51.100.3']);
        const nat = new NatAllocator(s);
        const seen = new Set<string>();
        for (let i = 0; i < 500; i++) {
          const t = await nat.allocate({ protocol: 'tcp', srcGateway: i % 2 ? 'g1' : 'g2', dstGateway: i % 2 ? 'g2' : 'g1', flowId: `f${i}` });
          const [lo, hi] = [t.srcPublicIp, t.dstPublicIp].sort();
          const k = `${lo}|${hi}|${t.port}`;
          assert.ok(!seen.has(k), `duplicate ${k}`);
          seen.add(k);
        }
        for (let i = 0; i < 500; i++) await nat.release(`f${i}`);
        assert.deepEqual(await s.listNatTuples(), []);
        for (const p of await s.listNatPools()) {
          assert.equal(p.inUse, 0);
          assert.deepEqual(await s.listFreeRanges(p.key), [{ pool: p.key, lo: 1000, hi: 1499 }]);
        }
      }));

    test('migration journal: one active migration per VM, records round-trip, filters', () =>
      withStore(async (s) => {
        const m = (id: string, vm: string, state: MigrationRecord['state'], createdAt: number): MigrationRecord => ({
          id, vm, tenant: 't1', fromHost: 'h1', toHost: 'h2', fromDc: 'dc1', toDc: 'dc2', toSwitch: 'sw2', toPort: 3,
          state, createdAt, updatedAt: createdAt, phases: { preMigration: { startedAt: createdAt } },
        });
        await s.insertMigration(m('m1', 'a', 'requested', 1));
        await assert.rejects(s.insertMigration(m('m2', 'a', 'requested', 2)), code('STORE_CONSTRAINT', 'migration_active_vm'));
        await s.insertMigration(m('m3', 'b', 'migration', 3));
        assert.deepEqual(await s.getMigration('m1'), m('m1', 'a', 'requested', 1));
        assert.equal(await s.getMigration('nope'), undefined);
        const done = { ...m('m1', 'a', 'completed', 1), updatedAt: 9, result: { totalMs: 5, hypervisorDowntimeMs: 1, switchoverMs: 2, bytesCopied: 3, rounds: 1, flowMods: 4, framesHeld: 0 } };
        assert.equal(await s.updateMigration(done), true);
        assert.equal(await s.updateMigration(m('zz', 'a', 'completed', 1)), false);
        assert.deepEqual(await s.getMigration('m1'), done);
        await s.insertMigration(m('m2', 'a', 'requested', 2)); // the first one is no longer active
        assert.deepEqual((await s.listMigrations()).map((x) => x.id), ['m1', 'm2', 'm3']);
        assert.deepEqual((await s.listMigrations({ vm: 'a' })).map((x) => x.id), ['m1', 'm2']);
        assert.deepEqual((await s.listMigrations({ active: true })).map((x) => x.id), ['m2', 'm3']);
        assert.deepEqual((await s.listMigrations({ active: false, vm: 'a' })).map((x) => x.id), ['m1']);
      }));

    test('a closed store refuses calls with STORE_CLOSED; close is idempotent', async () => {
      const s = await factory();
      await s.close();
      await s.close();
      await assert.rejects(s.listTenants(), code('STORE_CLOSED'));
      await assert.rejects(s.transaction(async () => 1), code('STORE_CLOSED'));
    });
  });
}
