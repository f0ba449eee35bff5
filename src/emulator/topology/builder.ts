/**
 * A fluent TypeScript way to write a topology, producing the same {@link TopologySpec} as a YAML file and checked by
 * the same validation (findings then carry a path but no line):
 *
 * ```ts
 * const topo = new TopologyBuilder('two-dcs')
 *   .dc('dc1', { subnet: '10.1.0.0/16' })
 *   .switch('dc1-gw', { dc: 'dc1', role: 'gateway' })
 *   .host('dc1-h1', { dc: 'dc1', switch: 'dc1-h1-vs', address: '10.1.0.11' })
 *   .link('dc1-gw', 'dc1-tor')
 *   .wan('dc1-gw', 'dc2-gw', { latencyMs: 20, bandwidthMbps: 1000 })
 *   .tenant('acme', [{ name: 'web', subnet: '192.168.10.0/24' }])
 *   .vm('vm1', { tenant: 'acme', vn: 'web', host: 'dc1-h1', ip: '192.168.10.1' })
 *   .build();
 * ```
 *
 * Objects are kept in call order, which is "file order" for the defaulting rules (dpids, MACs, ports).
 */
import { resolveTopology } from './defaults';
import type {
  DatacenterSpec,
  EndHostSpec,
  GatewaySpec,
  HostSpec,
  LinkSpec,
  SwitchSpec,
  TenantSpec,
  Topology,
  TopologySpec,
  VmSpec,
  VnSpec,
  WanLinkSpec,
} from './model';
import { emptyTopologySpec } from './model';
import { checkTopology, validateTopology, type CheckResult } from './validate';

type Props<T> = Omit<T, 'name'>;

/** Builds a {@link TopologySpec} step by step; {@link TopologyBuilder.build} validates and resolves it. */
export class TopologyBuilder {
  private readonly s: Required<Omit<TopologySpec, 'name' | 'description'>> & Pick<TopologySpec, 'name' | 'description'>;

  /** @param name optional topology name; @param description optional free text. */
  constructor(name?: string, description?: string) {
    this.s = {
      ...(name !== undefined ? { name } : {}),
      ...(description !== undefined ? { description } : {}),
      ...emptyTopologySpec(),
    };
  }

  /** Adds a data center. */
  dc(name: string, props: Props<DatacenterSpec>): this {
    this.s.datacenters.push({ name, ...props });
    return this;
  }

  /** Adds a switch (`role`: `host` for a hypervisor's virtual switch, `fabric`, or `gateway`). */
  switch(name: string, props: Props<SwitchSpec>): this {
    this.s.switches.push({ name, ...props });
    return this;
  }

  /** Adds a hypervisor host on its virtual switch. */
  host(name: string, props: Props<HostSpec>): this {
    this.s.hosts.push({ name, ...props });
    return this;
  }

  /** Adds a DC gateway on its gateway switch. */
  gateway(name: string, props: Props<GatewaySpec>): this {
    this.s.gateways.push({ name, ...props });
    return this;
  }

  /** Adds an intra-DC link between switches `a` and `b`. */
  link(a: string, b: string, props: Omit<LinkSpec, 'a' | 'b'> = {}): this {
    this.s.links.push({ a, b, ...props });
    return this;
  }

  /** Adds a WAN link between the gateway switches `a` and `b` of two DCs. */
  wan(a: string, b: string, props: Omit<WanLinkSpec, 'a' | 'b'>): this {
    this.s.wanLinks.push({ a, b, ...props });
    return this;
  }

  /** Adds a tenant with its VNs. */
  tenant(name: string, vns: VnSpec[]): this {
    this.s.tenants.push({ name, vns: vns.map((vn) => ({ ...vn })) } satisfies TenantSpec);
    return this;
  }

  /** Adds a VM on a host. */
  vm(name: string, props: Props<VmSpec>): this {
    this.s.vms.push({ name, ...props });
    return this;
  }

  /** Adds a bare end host on a switch port. */
  endHost(name: string, props: Props<EndHostSpec>): this {
    this.s.endHosts.push({ name, ...props });
    return this;
  }

  /** The spec written so far (a copy; empty lists left out, as a YAML file would). Not validated. */
  spec(): TopologySpec {
    const copy = structuredClone(this.s) as Record<string, unknown>;
    for (const [k, v] of Object.entries(copy)) if (Array.isArray(v) && v.length === 0 && k !== 'datacenters') delete copy[k];
    return copy as unknown as TopologySpec;
  }

  /** Validates without throwing. */
  check(): CheckResult {
    return checkTopology(this.spec());
  }

  /** Validates (throws `TOPOLOGY_INVALID` listing every finding by path) and resolves the topology. */
  build(): Topology {
    return resolveTopology(validateTopology(this.spec()));
  }
}
