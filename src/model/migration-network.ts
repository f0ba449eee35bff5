/**
 * The migration network: where a live migration's memory copy travels (seed 000 section 5, pre-migration: "source
 * host -> gateway -> gateway -> destination host, with its NAT tuple").
 *
 * Each hypervisor host has a migration endpoint, as a vSphere host has its vMotion interface: a VM of the
 * infrastructure tenant {@link MIGRATION_TENANT}, VN {@link MIGRATION_VN}, plugged into the host's virtual switch.
 * The VN spans the DCs like any tenant VN, so the controllers carry the copy stream with the managers they already
 * have (classify, ARP, L2, VN encapsulation, gateway NAT). In pre-migration central opens the copy stream as a
 * cross-site flow between the source host's endpoint and the destination host's (its NAT tuple allocated and
 * installed on both gateways), and the hypervisor streams the memory over it. Endpoints are infrastructure: they are
 * never migrated and do not count against a host's capacity.
 */
import { crossSiteFlowId } from './cross-site-flow';

/** The tenant that owns the migration endpoints. */
export const MIGRATION_TENANT = 'xsite';
/** The VN of the migration endpoints. */
export const MIGRATION_VN = 'migration';
/** The TCP ports a destination endpoint receives copy streams on: one per migration in flight to its host. */
export const MIGRATION_LISTEN_PORTS: readonly [number, number] = [8000, 8099];
/** The source ports a copy stream is sent from: one per migration in flight from an endpoint. */
export const MIGRATION_SOURCE_PORTS: readonly [number, number] = [40000, 59999];

/** The name of the migration endpoint of host `host`. */
export function migrationEndpointName(host: string): string {
  return `${host}-mig`;
}

/** True for a VM that is a migration endpoint (by its tenant). */
export function isMigrationEndpoint(vm: { tenant: string }): boolean {
  return vm.tenant === MIGRATION_TENANT;
}

/** One end of a copy stream: the endpoint VM, its address in the migration VN and its TCP port. */
export interface CopyStreamEnd {
  vm: string;
  ip: string;
  port: number;
}

/** The route of a migration's copy stream, from the source host's endpoint to the destination host's. */
export interface CopyRoute {
  from: CopyStreamEnd;
  to: CopyStreamEnd;
  /** The cross-site flow that carries it between two DCs (absent inside one DC: no gateway on the way). */
  flowId?: string;
}

/** Checks the shape of a {@link CopyRoute} (journal, API). */
export function isCopyRoute(x: unknown): x is CopyRoute {
  const r = x as Partial<CopyRoute> | null;
  const end = (e: unknown) => {
    const p = e as Partial<CopyStreamEnd> | null;
    return !!p && typeof p.vm === 'string' && typeof p.ip === 'string' && Number.isInteger(p.port);
  };
  return !!r && end(r.from) && end(r.to) && (r.flowId === undefined || typeof r.flowId === 'string');
}

/** The id of the cross-site flow that carries a copy stream between two DCs. */
export function copyStreamFlowId(route: Pick<CopyRoute, 'from' | 'to'>): string {
  return crossSiteFlowId('tcp', MIGRATION_TENANT, MIGRATION_VN, route.from, route.to);
}
