import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Directory } from '../../../src/central/directory';
import { isXsiteError } from '../../../src/core/errors';
import { SqliteStore } from '../../../src/drivers/store/sqlite';
import { loadExampleTopology } from '../../../src/emulator/topology';
import type { Store } from '../../../src/ports/store';

async function snapshot(s: Store): Promise<unknown> {
  return {
    dcs: await s.listDatacenters(),
    hosts: await s.listHosts(),
    gws: await s.listGateways(),
    tenants: await s.listTenants(),
    vns: await s.listVns(),
    vms: await s.listVms(),
  };
}

async function setup(): Promise<{ store: Store; dir: Directory }> {
  const store = await SqliteStore.open(':memory:');
  const dir = new Directory(store, { now: () => 1000 });
  await dir.loadIntent(loadExampleTopology('three-dcs'));
  return { store, dir };
}

const code = (c: string) => (e: unknown) => isXsiteError(e, c);

describe('Directory', () => {
  test('loading three-dcs twice is idempotent', async () => {
    const store = await SqliteStore.open(':memory:');
    const dir = new Directory(store);
    const topo = loadExampleTopology('three-dcs');
    const first = await dir.loadIntent(topo);
    assert.deepEqual(first, { datacenters: 3, hosts: 6, gateways: 3, tenants: 2, vns: 3, vms: 8, vmsAdded: 8 });
    const once = await snapshot(store);
    const second = await dir.loadIntent(topo);
    assert.equal(second.vmsAdded, 0);
    assert.deepEqual(await snapshot(store), once);
    assert.deepEqual((await store.getGateway('dc3-gw'))?.publicIps, ['203.0.113.3', '203.0.113.4']);
    assert.equal((await store.getVm('globex-db1'))?.mac, '02:aa:00:00:00:01');
    await store.close();
  });

  test('reloading intent keeps a moved VM where it is, unless resetLocations', async () => {
    const { store, dir } = await setup();
    await dir.moveVm('acme-web1', 'dc3-h2');
    await dir.loadIntent(loadExampleTopology('three-dcs'));
    assert.equal((await dir.vmByName('acme-web1')).dc, 'dc3');
    await dir.loadIntent(loadExampleTopology('three-dcs'), { resetLocations: true });
    assert.equal((await dir.vmByName('acme-web1')).host.name, 'dc1-h1');
    await store.close();
  });

  test('two tenants with the same private addresses are kept apart', async () => {
    const { store, dir } = await setup();
    const acme = await dir.vmByIp('acme', 'web', '192.168.10.1');
    const globex = await dir.vmByIp('globex', 'app', '192.168.10.1');
    assert.equal(acme.vm.name, 'acme-web1');
    assert.equal(acme.host.name, 'dc1-h1');
    assert.equal(globex.vm.name, 'globex-app1');
    assert.equal(globex.host.name, 'dc1-h2');
    assert.notEqual(acme.vm.mac, globex.vm.mac);
    await assert.rejects(dir.vmByIp('acme', 'web', '192.168.20.1'), code('VM_NOT_FOUND'));
    await assert.rejects(dir.vmByIp('globex', 'web', '192.168.10.1'), code('VM_NOT_FOUND'));
    // Moving one does not move the other.
    await dir.moveVm('globex-app1', 'dc2-h1');
    assert.equal((await dir.vmByIp('acme', 'web', '192.168.10.1')).dc, 'dc1');
    assert.equal((await dir.vmByIp('globex', 'app', '192.168.10.1')).dc, 'dc2');
    // The same address again in one VN is a duplicate; in the other tenant's VN it is fine.
    const base = { tenant: 'acme', vn: 'web', mac: '02:00:00:00:99:01', host: 'dc2-h2', memoryMB: 512 };
    await assert.rejects(dir.addVm({ ...base, name: 'acme-dup', ip: '192.168.10.2' }), code('DUPLICATE_VM'));
    await assert.rejects(dir.addVm({ ...base, name: 'acme-web1', ip: '192.168.10.77' }), code('DUPLICATE_VM'));
    const added = await dir.addVm({ ...base, name: 'acme-web9', ip: '192.168.10.9' });
    assert.equal(added.dc, 'dc2');
    await assert.rejects(dir.addVm({ ...base, name: 'x', ip: '192.168.10.10', host: 'nohost' }), code('HOST_NOT_FOUND'));
    await assert.rejects(dir.addVm({ ...base, name: 'x', ip: '192.168.10.10', vn: 'novn' }), code('VN_NOT_FOUND'));
    await store.close();
  });

  test('moving a VM updates its location; unknown VM or host are errors', async () => {
    const { store, dir } = await setup();
    const { from, to } = await dir.moveVm('acme-web1', 'dc2-h2');
    assert.equal(from.dc, 'dc1');
    assert.equal(from.host.name, 'dc1-h1');
    assert.equal(to.dc, 'dc2');
    assert.equal(to.vm.host, 'dc2-h2');
    assert.equal((await dir.vmByName('acme-web1')).host.name, 'dc2-h2');
    assert.deepEqual((await dir.listVms({ dc: 'dc1', tenant: 'acme' })).map((v) => v.name), ['acme-web4']);
    assert.deepEqual(await dir.dcsOfVn('acme', 'web'), ['dc1', 'dc2', 'dc3']);
    await dir.moveVm('acme-web4', 'dc2-h1');
    assert.deepEqual(await dir.dcsOfVn('acme', 'web'), ['dc2', 'dc3']);
    await assert.rejects(dir.moveVm('nope', 'dc2-h2'), code('VM_NOT_FOUND'));
    await assert.rejects(dir.moveVm('acme-web1', 'nohost'), code('HOST_NOT_FOUND'));
    assert.equal((await dir.vmByName('acme-web1')).host.name, 'dc2-h2');
    await assert.rejects(dir.vmByName('nope'), code('VM_NOT_FOUND'));
    await store.close();
  });

  test('flows: cross-site flows get a tuple in the same transaction, intra-DC flows none; touch and close', async () => {
    const { store, dir } = await setup();
    const f = await dir.openFlow({ id: 'f1', protocol: 'tcp', srcVm: 'acme-web1', dstVm: 'acme-web2', srcPort: 40000, dstPort: 80 });
    assert.deepEqual(f.tuple, { srcPublicIp: '203.0.113.1', dstPublicIp: '203.0.113.2', port: 20000, protocol: 'tcp' });
    assert.equal(f.tenant, 'acme');
    assert.deepEqual((await dir.getFlow('f1')).tuple, f.tuple);
    // Idempotent: same id, same tuple.
    assert.deepEqual((await dir.openFlow({ id: 'f1', protocol: 'tcp', srcVm: 'acme-web1', dstVm: 'acme-web2' })).tuple, f.tuple);
    assert.equal((await dir.getFlow('f1')).srcPort, 40000);
    const local = await dir.openFlow({ id: 'f2', protocol: 'udp', srcVm: 'acme-web1', dstVm: 'acme-web4' });
    assert.equal(local.tuple, undefined);
    // globex uses the same addresses; its flow gets its own tuple.
    const g = await dir.openFlow({ id: 'g1', protocol: 'tcp', srcVm: 'globex-app1', dstVm: 'globex-app2' });
    assert.equal(g.tuple?.port, 20001);
    await assert.rejects(dir.openFlow({ id: 'x', protocol: 'tcp', srcVm: 'acme-web1', dstVm: 'globex-app2' }), code('FLOW_VN_MISMATCH'));
    await assert.rejects(dir.openFlow({ id: 'f1', protocol: 'tcp', srcVm: 'acme-web1', dstVm: 'acme-web3' }), code('FLOW_CONFLICT'));
    assert.equal((await dir.touchFlow('f1', 5000)).lastSeenAt, 5000);
    assert.equal((await dir.touchFlow('f1', 10)).lastSeenAt, 5000);
    await assert.rejects(dir.touchFlow('nope'), code('FLOW_NOT_FOUND'));
    const pairs = await dir.listCrossSitePairs();
    assert.deepEqual(pairs, [
      { tenant: 'acme', vn: 'web', srcVm: 'acme-web1', dstVm: 'acme-web2', srcDc: 'dc1', dstDc: 'dc2', flows: ['f1'] },
      { tenant: 'globex', vn: 'app', srcVm: 'globex-app1', dstVm: 'globex-app2', srcDc: 'dc1', dstDc: 'dc2', flows: ['g1'] },
    ]);
    const closed = await dir.closeFlow('f1');
    assert.equal(closed.state, 'closed');
    assert.equal((await dir.getFlow('f1')).tuple, undefined);
    assert.equal((await store.listNatTuples()).length, 1);
    assert.equal((await dir.closeFlow('f1')).state, 'closed');
    assert.equal((await dir.listCrossSitePairs()).length, 1);
    // Reopened, the freed port is reused.
    assert.equal((await dir.openFlow({ id: 'f1', protocol: 'tcp', srcVm: 'acme-web1', dstVm: 'acme-web2' })).tuple?.port, 20000);
    await store.close();
  });

  test('a flow reopened after a move gets a tuple for the current gateways (or none within one DC)', async () => {
    const { store, dir } = await setup();
    await dir.openFlow({ id: 'f', protocol: 'tcp', srcVm: 'acme-web1', dstVm: 'acme-web2' });
    await dir.moveVm('acme-web1', 'dc3-h1');
    const moved = await dir.openFlow({ id: 'f', protocol: 'tcp', srcVm: 'acme-web1', dstVm: 'acme-web2' });
    assert.equal(moved.tuple?.srcPublicIp, '203.0.113.3');
    assert.equal((await store.listNatTuples()).length, 1);
    await dir.moveVm('acme-web1', 'dc2-h2');
    assert.equal((await dir.listCrossSitePairs()).length, 0);
    assert.equal((await dir.openFlow({ id: 'f', protocol: 'tcp', srcVm: 'acme-web1', dstVm: 'acme-web2' })).tuple, undefined);
    assert.deepEqual(await store.listNatTuples(), []);
    await store.close();
  });

  test('a failed tuple allocation leaves no flow behind', async () => {
    const { store, dir } = await setup();
    for (const g of ['dc1-gw', 'dc2-gw']) await store.putGateway({ ...(await store.getGateway(g))!, portRange: [20000, 20000] });
    await dir.openFlow({ id: 'f1', protocol: 'tcp', srcVm: 'acme-web1', dstVm: 'acme-web2' });
    await assert.rejects(dir.openFlow({ id: 'f2', protocol: 'tcp', srcVm: 'acme-web4', dstVm: 'acme-web2' }), code('NAT_POOL_EXHAUSTED'));
    await assert.rejects(dir.getFlow('f2'), code('FLOW_NOT_FOUND'));
    assert.deepEqual((await dir.listFlows()).map((f) => f.id), ['f1']);
    await store.close();
  });
});
