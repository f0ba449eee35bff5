/**
 * Adds the migration network (src/model/migration-network.ts) to a topology as written: the tenant
 * {@link MIGRATION_TENANT} with VN {@link MIGRATION_VN} and one endpoint VM per host, numbered in host order from the
 * first address of `subnet`. The result is validated again (TOPOLOGY_INVALID when, say, the topology already has a
 * tenant of that name, a VM of an endpoint's name, or more hosts than the subnet has addresses).
 */
import { XsiteError } from '../../core/errors';
import { ipv4FromNumber, ipv4ToNumber } from '../../core/addr';
import { MIGRATION_TENANT, MIGRATION_VN, migrationEndpointName } from '../../model/migration-network';
import type { TopologySpec } from './model';
import { validateTopology } from './validate';

/** Default subnet of the migration VN (shared address space, RFC 6598: no tenant's and no DC's). */
export const MIGRATION_SUBNET = '100.64.0.0/16';

/** Memory the topology records for an endpoint (it is a port with a TCP stack, not a guest). */
const ENDPOINT_MEMORY_MB = 1;

export function withMigrationNetwork(spec: TopologySpec, subnet = MIGRATION_SUBNET): TopologySpec {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(subnet);
  if (!m) throw new XsiteError('TOPOLOGY_INVALID', `migration subnet ${subnet} is not an IPv4 CIDR`, { subnet });
  const prefix = Number(m[2]);
  const base = prefix === 0 ? 0 : (ipv4ToNumber(m[1]!) & (0xffffffff << (32 - prefix))) >>> 0;
  const hosts = spec.hosts ?? [];
  const room = prefix >= 31 ? 0 : 2 ** (32 - prefix) - 2;
  if (hosts.length > room) {
    throw new XsiteError('TOPOLOGY_INVALID', `migration subnet ${subnet} has ${room} addresses for ${hosts.length} hosts`, { subnet, hosts: hosts.length });
  }
  const out: TopologySpec = {
    ...spec,
    tenants: [...(spec.tenants ?? []), { name: MIGRATION_TENANT, vns: [{ name: MIGRATION_VN, subnet }] }],
    vms: [
      ...(spec.vms ?? []),
      ...hosts.map((h, i) => ({ name: migrationEndpointName(h.name), tenant: MIGRATION_TENANT, vn: MIGRATION_VN, host: h.name, ip: ipv4FromNumber((base + i + 1) >>> 0), memoryMB: ENDPOINT_MEMORY_MB })),
    ],
  };
  return validateTopology(out);
}
