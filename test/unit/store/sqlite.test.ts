import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Directory } from '../../../src/central/directory';
import { JobQueue } from '../../../src/central/jobs';
import { NatAllocator } from '../../../src/central/nat-allocator';
import { isXsiteError } from '../../../src/core/errors';
import { loadExampleTopology } from '../../../src/emulator/topology';
import { SCHEMA_VERSION, SqliteStore } from '../../../src/drivers/store/sqlite';
import { natSnapshot, seedTwoDcs } from './fixtures';
import { storeConformance } from './store-conformance';

const dir = mkdtempSync(join(tmpdir(), 'xsite-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `s${n++}.db`);

storeConformance('sqlite file', () => SqliteStore.open(freshPath()));
storeConformance('sqlite :memory:', () => SqliteStore.open(':memory:'));

describe('SqliteStore specifics', () => {
  test('pragmas: WAL journal, synchronous FULL, foreign keys on; schema version recorded', async () => {
    const s = await SqliteStore.open(freshPath());
    try {
      assert.equal(s.pragma('journal_mode'), 'wal');
      assert.equal(s.pragma('synchronous'), 2); // FULL
      assert.equal(s.pragma('foreign_keys'), 1);
      assert.equal(s.schemaVersion(), SCHEMA_VERSION);
    } finally {
      await s.close();
    }
  });

  test('closing and reopening the same file keeps intent, flows, tuples, pools and jobs', async () => {
    const path = freshPath();
    const s1 = await SqliteStore.open(path);
    const dirc = new Directory(s1, { now: () => 100 });
    await dirc.loadIntent(loadExampleTopology('three-dcs'));
    await dirc.moveVm('acme-web1', 'dc2-h2');
    await dirc.openFlow({ id: 'f1', protocol: 'tcp', srcVm: 'acme-web2', dstVm: 'acme-web3', srcPort: 40000, dstPort: 80 });
    const nat = new NatAllocator(s1);
    await nat.allocate({ protocol: 'udp', srcGateway: 'dc1-gw', dstGateway: 'dc3-gw', flowId: 'x1' });
    await new JobQueue(s1, { now: () => 7 }).create({ id: 'j1', dc: 'dc2', kind: 'setup-path', payload: { vm: 'acme-web1' } });
    const before = {
      nat: await natSnapshot(s1),
      vms: await s1.listVms(),
      gws: await s1.listGateways(),
      vns: await s1.listVns(),
      dcs: await s1.listDatacenters(),
      jobs: await s1.listJobs(),
    };
    await s1.close();

    const s2 = await SqliteStore.open(path);
    try {
      const afterReopen = {
        nat: await natSnapshot(s2),
        vms: await s2.listVms(),
        gws: await s2.listGateways(),
        vns: await s2.listVns(),
        dcs: await s2.listDatacenters(),
        jobs: await s2.listJobs(),
      };
      assert.deepEqual(afterReopen, before);
      assert.equal((await s2.getVm('acme-web1'))?.host, 'dc2-h2');
      assert.equal(s2.schemaVersion(), SCHEMA_VERSION);
      // The allocator continues where it was: the next tuple differs from the ones in use.
      const t = await new NatAllocator(s2).allocate({ protocol: 'udp', srcGateway: 'dc1-gw', dstGateway: 'dc3-gw', flowId: 'x2' });
      assert.notDeepEqual(t, await new NatAllocator(s2).lookup('x1'));
    } finally {
      await s2.close();
    }
  });

  test('a database with a newer schema version is refused', async () => {
    const path = freshPath();
    await (await SqliteStore.open(path)).close();
    const raw = new Database(path);
    raw.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 1);
    raw.close();
    await assert.rejects(SqliteStore.open(path), (e) => isXsiteError(e, 'STORE_SCHEMA_TOO_NEW'));
  });

  test('concurrent allocations from two connections to the same file never give the same tuple', async () => {
    const path = freshPath();
    const a = await SqliteStore.open(path);
    const b = await SqliteStore.open(path);
    try {
      await seedTwoDcs(a, [2000, 2299], ['198.51.100.2', '198.51.100.3']);
      const natA = new NatAllocator(a);
      const natB = new NatAllocator(b);
      const jobs: Promise<{ id: string; key: string }>[] = [];
      for (let i = 0; i < 200; i++) {
        const nat = i % 2 ? natA : natB;
        const req = { protocol: 'tcp' as const, srcGateway: i % 3 ? 'g1' : 'g2', dstGateway: i % 3 ? 'g2' : 'g1', flowId: `f${i}` };
        jobs.push(
          nat.allocate(req).then((t) => {
            const [lo, hi] = [t.srcPublicIp, t.dstPublicIp].sort();
            return { id: req.flowId, key: `${lo}|${hi}|${t.port}` };
          }),
        );
      }
      // The same flow id from both connections at once is still one tuple.
      const dupA = natA.allocate({ protocol: 'udp', srcGateway: 'g1', dstGateway: 'g2', flowId: 'dup' });
      const dupB = natB.allocate({ protocol: 'udp', srcGateway: 'g1', dstGateway: 'g2', flowId: 'dup' });
      const got = await Promise.all(jobs);
      assert.equal(new Set(got.map((g) => g.key)).size, 200);
      assert.deepEqual(await dupA, await dupB);
      const stored = await b.listNatTuples();
      assert.equal(stored.length, 201);
      for (const g of got) {
        const t = stored.find((r) => r.flowId === g.id)!;
        const [lo, hi] = [t.srcPublicIp, t.dstPublicIp].sort();
        assert.equal(`${lo}|${hi}|${t.port}`, g.key);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a transaction waits for another connection holding the write lock, then STORE_BUSY after the timeout', async () => {
    const path = freshPath();
    const a = await SqliteStore.open(path);
    const b = await SqliteStore.open(path, { busyTimeoutMs: 100 });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const long = a.transaction(async (tx) => {
        await tx.putTenant({ name: 'ta' });
        entered();
        await held;
      });
      await inside;
      await assert.rejects(b.putTenant({ name: 'tb' }), (e) => isXsiteError(e, 'STORE_BUSY'));
      const waiting = b.transaction(async (tx) => tx.putTenant({ name: 'tc' })).catch((e: unknown) => e);
      setTimeout(release, 20);
      await long;
      assert.equal(await waiting, undefined);
      assert.deepEqual((await b.listTenants()).map((t) => t.name), ['ta', 'tc']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('calling the store from inside its own transaction fails fast instead of deadlocking', async () => {
    const s = await SqliteStore.open(':memory:');
    try {
      await assert.rejects(
        s.transaction(async () => s.listTenants()),
        (e) => isXsiteError(e, 'STORE_NESTED_TRANSACTION'),
      );
      assert.deepEqual(await s.listTenants(), []);
    } finally {
      await s.close();
    }
  });
});
