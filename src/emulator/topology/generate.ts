/**
 * Generated topologies for scale benchmarks: many switches and many attached hosts, valid by construction.
 */
import { ipv4FromNumber, ipv4ToNumber } from '../../core/addr';
import { XsiteError } from '../../core/errors';
import type { EndHostSpec, HostSpec, LinkSpec, SwitchSpec, TopologySpec, VmSpec, WanLinkSpec } from './model';
import { emptyTopologySpec } from './model';

/** Options of {@link generateLargeTopology}. */
export interface LargeTopologyOptions {
  /** Total switches (default 100); at least 3 per DC. */
  switches?: number;
  /** Attached hosts: VMs (default) or end hosts, spread round-robin over the host virtual switches (default 10,000). */
  hosts?: number;
  /** Data centers (default 3, or 1 when there are fewer than 9 switches). */
  datacenters?: number;
  /** What the attached hosts are: `vms` (with tenants) or `endHosts` (bare, for switch-level runs). Default `vms`. */
  attach?: 'vms' | 'endHosts';
  /** Tenants sharing the VMs; every tenant's single VN uses the same 172.16.0.0/12 (default 10). */
  tenants?: number;
}

/**
 * A large topology spec (not yet validated or resolved). Per DC: one gateway switch, one fabric switch linked to it
 * and to every host virtual switch of the DC, one hypervisor host per virtual switch; the switches left after the
 * 2 per DC are spread evenly over the DCs as virtual switches. Gateways are joined in a full WAN mesh
 * (20 ms, 1 Gbit/s). Names: `dc<d>`, `dc<d>-gw-sw`, `dc<d>-tor`, `dc<d>-h<k>-vs`, `dc<d>-h<k>`, `dc<d>-gw`,
 * `vm<n>` / `eh<n>`, `t<n>`.
 */
export function generateLargeTopology(opts: LargeTopologyOptions = {}): TopologySpec {
  const nSwitches = opts.switches ?? 100;
  const nAttached = opts.hosts ?? 10_000;
  const nDcs = opts.datacenters ?? (nSwitches >= 9 ? 3 : 1);
  const nTenants = opts.tenants ?? 10;
  const attach = opts.attach ?? 'vms';
  if (!Number.isInteger(nDcs) || nDcs < 1 || nDcs > 200 || !Number.isInteger(nSwitches) || nSwitches < 3 * nDcs) {
    throw new XsiteError('BAD_ARGUMENT', `need 1..200 datacenters and at least 3 switches per datacenter (got ${nSwitches} switches, ${nDcs} DCs)`);
  }
  if (!Number.isInteger(nAttached) || nAttached < 0 || nAttached > 1_000_000 || !Number.isInteger(nTenants) || nTenants < 1) {
    throw new XsiteError('BAD_ARGUMENT', `hosts must be 0..1000000 and tenants >= 1`);
  }

  const spec: Required<Omit<TopologySpec, 'name' | 'description'>> & Pick<TopologySpec, 'name' | 'description'> = {
    name: `generated-${nSwitches}sw-${nAttached}${attach === 'vms' ? 'vm' : 'eh'}`,
    ...emptyTopologySpec(),
  };
  const vswitchesPerDc = Array.from({ length: nDcs }, (_, d) => Math.floor((nSwitches - 2 * nDcs) / nDcs) + (d < (nSwitches - 2 * nDcs) % nDcs ? 1 : 0));
  const hostSwitches: string[] = [];
  const hypervisors: string[] = [];
  for (let d = 1; d <= nDcs; d++) {
    const dc = `dc${d}`;
    const subnetBase = ipv4ToNumber('10.0.0.0') + d * 65536;
    spec.datacenters.push({ name: dc, subnet: `${ipv4FromNumber(subnetBase)}/16` });
    const gwSw = `${dc}-gw-sw`;
    const tor = `${dc}-tor`;
    spec.switches.push({ name: gwSw, dc, role: 'gateway' } satisfies SwitchSpec, { name: tor, dc, role: 'fabric' });
    spec.gateways.push({ name: `${dc}-gw`, dc, switch: gwSw, publicIps: [ipv4FromNumber(ipv4ToNumber('198.18.0.0') + d)], portRange: [1024, 65535] });
    spec.links.push({ a: tor, b: gwSw } satisfies LinkSpec);
    for (let k = 1; k <= vswitchesPerDc[d - 1]!; k++) {
      const vs = `${dc}-h${k}-vs`;
      const host = `${dc}-h${k}`;
      spec.switches.push({ name: vs, dc, role: 'host' });
      spec.hosts.push({ name: host, dc, switch: vs, address: ipv4FromNumber(subnetBase + 10 + k) } satisfies HostSpec);
      spec.links.push({ a: tor, b: vs });
      hostSwitches.push(vs);
      hypervisors.push(host);
    }
  }
  for (let a = 1; a <= nDcs; a++) {
    for (let b = a + 1; b <= nDcs; b++) {
      spec.wanLinks.push({ a: `dc${a}-gw-sw`, b: `dc${b}-gw-sw`, latencyMs: 20, bandwidthMbps: 1000 } satisfies WanLinkSpec);
    }
  }
  if (nAttached > 0 && hostSwitches.length === 0) throw new XsiteError('BAD_ARGUMENT', 'no switch left for host virtual switches');

  if (attach === 'vms') {
    for (let t = 1; t <= nTenants; t++) spec.tenants.push({ name: `t${t}`, vns: [{ name: 'net', subnet: '172.16.0.0/12' }] });
    const base = ipv4ToNumber('172.16.0.0');
    for (let n = 0; n < nAttached; n++) {
      const t = (n % nTenants) + 1;
      const inTenant = Math.floor(n / nTenants);
      spec.vms.push({ name: `vm${n + 1}`, tenant: `t${t}`, vn: 'net', host: hypervisors[n % hypervisors.length]!, ip: ipv4FromNumber(base + 1 + inTenant) } satisfies VmSpec);
    }
  } else {
    const base = ipv4ToNumber('100.64.0.0');
    for (let n = 0; n < nAttached; n++) {
      spec.endHosts.push({ name: `eh${n + 1}`, switch: hostSwitches[n % hostSwitches.length]!, ip: `${ipv4FromNumber(base + 1 + n)}/10` } satisfies EndHostSpec);
    }
  }
  for (const [k, v] of Object.entries(spec)) if (Array.isArray(v) && v.length === 0) delete (spec as Record<string, unknown>)[k];
  return spec;
}
