/**
 * Where a lab hypervisor's (netns, qemu) migration stream runs: between the migration endpoints central gave
 * (`HypervisorMigrateRequest.copy`, src/model/migration-network.ts), each a network namespace of the Open vSwitch data
 * plane, so that the bytes cross the data plane: source host -> gateway -> gateway -> destination host.
 */
import type { OvsDataplane } from '../../lab/ovs-dataplane';
import type { HypervisorMigrateRequest } from '../../ports/hypervisor';
import { hypervisorFailed as failed } from './errors';

/** Each end of a routed migration stream: its network namespace (undefined: this process's), address and TCP port. */
export interface CopyStreamRoute {
  from: { netns: string | undefined; ip: string; port: number };
  to: { netns: string | undefined; ip: string; port: number };
}

/**
 * The route of `req`'s migration stream between the endpoints' namespaces, or undefined when central gave none (the
 * hypervisor copies over loopback). HYPERVISOR_FAILED when an endpoint is not a VM of the data plane.
 */
export function labCopyRoute(dp: OvsDataplane, req: HypervisorMigrateRequest): CopyStreamRoute | undefined {
  const c = req.copy;
  if (c === undefined) return undefined;
  const ns = (name: string): string => {
    try {
      return dp.vm(name).namespace;
    } catch {
      throw failed(`migration endpoint ${name} is not a VM of the OVS data plane`, { vm: req.vm, endpoint: name });
    }
  };
  return { from: { netns: ns(c.from.vm), ip: c.from.ip, port: c.from.port }, to: { netns: ns(c.to.vm), ip: c.to.ip, port: c.to.port } };
}
