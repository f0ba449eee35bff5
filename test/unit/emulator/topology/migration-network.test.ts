import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isXsiteError } from '../../../../src/core/errors';
import { resolveTopology } from '../../../../src/emulator/topology/defaults';
import { loadTopologySpecFile } from '../../../../src/emulator/topology/load';
import { withMigrationNetwork } from '../../../../src/emulator/topology/migration-network';
import { MIGRATION_TENANT, MIGRATION_VN, isMigrationEndpoint, migrationEndpointName } from '../../../../src/model/migration-network';

const spec = () => loadTopologySpecFile('examples/topologies/three-dcs.yaml');

test('withMigrationNetwork: one endpoint per host, in the migration VN, after the guests (their ports unchanged)', () => {
  const plain = resolveTopology(spec());
  const t = resolveTopology(withMigrationNetwork(spec(), '100.64.7.0/24'));
  const eps = t.vms.filter(isMigrationEndpoint);
  assert.deepEqual(eps.map((v) => v.name), plain.hosts.map((h) => migrationEndpointName(h.name)));
  assert.deepEqual(eps.map((v) => v.ip), ['100.64.7.1', '100.64.7.2', '100.64.7.3', '100.64.7.4', '100.64.7.5', '100.64.7.6']);
  for (const v of eps) {
    assert.equal(v.switch, plain.hosts.find((h) => migrationEndpointName(h.name) === v.name)!.switch);
    assert.deepEqual([v.tenant, v.vn], [MIGRATION_TENANT, MIGRATION_VN]);
  }
  for (const v of plain.vms) assert.deepEqual(t.vms.find((x) => x.name === v.name), v, `${v.name} unchanged`);
  assert.equal(t.tenants.find((x) => x.name === MIGRATION_TENANT)?.vns[0]?.subnet, '100.64.7.0/24');
});

test('withMigrationNetwork refuses a subnet too small, a taken tenant name, a bad CIDR', () => {
  assert.throws(() => withMigrationNetwork(spec(), '100.64.0.0/30'), (e) => isXsiteError(e, 'TOPOLOGY_INVALID') && /2 addresses for 6 hosts/.test(e.message));
  assert.throws(() => withMigrationNetwork(withMigrationNetwork(spec())), (e) => isXsiteError(e, 'TOPOLOGY_INVALID'));
  assert.throws(() => withMigrationNetwork(spec(), 'nope'), (e) => isXsiteError(e, 'TOPOLOGY_INVALID'));
});
