/**
 * Full validation of a topology, from YAML or from the builder: shape (see `schema.ts`), then the rules that span
 * fields and objects. Every finding is collected (not just the first) and, for YAML input, mapped to the line and
 * column of the field it is about.
 *
 * Cross-field rules (rule ids in parentheses, see {@link TopologyRule}):
 * - names unique: datacenters; tenants; VNs within a tenant; switches, hosts, gateways, VMs and end hosts share one
 *   namespace (they are all nodes of the emulated network) (`duplicate-name`);
 * - references resolve: `dc`, `switch`, `host`, `tenant`, `vn`, link ends (`unknown-ref`, with a suggestion);
 * - a host's switch has `role: host`, a gateway's `role: gateway` (`role`); both in the object's DC, and an intra-DC
 *   link joins switches of one DC (`dc-mismatch`); one host per virtual switch (`shared-vswitch`); no link from a
 *   switch to itself (`self-link`);
 * - WAN links join gateway switches of two different DCs (`wan-endpoints`);
 * - DC subnets do not overlap (`subnet-overlap`); a host's address lies in its DC's subnet, a VM's in its VN's subnet
 *   when the VN has one (`outside-subnet`);
 * - a VM address is unique within its VN (two VNs may reuse addresses), host underlay addresses are unique, gateway
 *   public IPs are unique over all gateways (`duplicate-ip`); explicit MACs unique over hosts, gateways, VMs and end
 *   hosts (`duplicate-mac`); dpids unique (`duplicate-dpid`); VN ids unique (`duplicate-vn-id`); explicit port
 *   numbers unique per switch (`duplicate-port`);
 * - a switch has no more attachments than port numbers 1..{@link PORT_MAX} (`range`);
 * - the VMs placed on a host fit its capacity (VM count and memory; a VM without `memoryMB` counts
 *   {@link DEFAULT_VM_MEMORY_MB}; a host's migration endpoint, tenant `xsite`, takes no room) (`capacity`).
 */
import { parseCidr, parseIp, cidrContains, cidrsOverlap, type Cidr } from './cidr';
import { formatPath, topologyError, type PathSegment, type TopologyIssue, type TopologyRule } from './issues';
import {
  DEFAULT_VM_MEMORY_MB,
  PORT_MAX,
  PORT_MIN,
  type DatacenterSpec,
  type EndHostSpec,
  type GatewaySpec,
  type HostSpec,
  type LinkSpec,
  type SwitchSpec,
  type TenantSpec,
  type TopologySpec,
  type VmSpec,
  type VnSpec,
  type WanLinkSpec,
} from './model';
import { checkShape, topologySchema } from './schema';
import type { Locator } from './source';
import { didYouMean } from './suggest';
import { MIGRATION_TENANT } from '../../model/migration-network';

/** Where the value being validated came from. */
export interface ValidateOptions {
  /** Maps paths to line/column (YAML input); without it findings carry no position. */
  locate?: Locator;
  /** File name for messages. */
  source?: string;
}

/** Result of {@link checkTopology}: the findings, and the typed spec when there are none. */
export interface CheckResult {
  spec?: TopologySpec;
  issues: TopologyIssue[];
}

/** Normalises a dpid (number or hex text) to 16 lowercase hex digits. Assumes it passed the shape check. */
export function normalizeDpid(dpid: string | number): string {
  const n = typeof dpid === 'number' ? BigInt(dpid) : BigInt(`0x${dpid.replace(/:/g, '').replace(/^0x/i, '')}`);
  return n.toString(16).padStart(16, '0');
}

/** Validates without throwing: every finding, in source order when positions are known. */
export function checkTopology(value: unknown, opts: ValidateOptions = {}): CheckResult {
  const issues: TopologyIssue[] = [];
  const add = (path: PathSegment[], rule: TopologyRule, message: string, at: 'key' | 'value' = 'value'): void => {
    const pos = opts.locate?.(path, at);
    issues.push({ path: formatPath(path), ...(pos ? { line: pos.line, col: pos.col } : {}), message, rule });
  };
  const cleaned = checkShape(value, topologySchema, [], add);
  if (cleaned) crossChecks(cleaned as Clean, add);
  if (opts.locate) {
    issues.sort((x, y) => (x.line ?? Infinity) - (y.line ?? Infinity) || (x.col ?? 0) - (y.col ?? 0));
  }
  return issues.length > 0 ? { issues } : { spec: cleaned as unknown as TopologySpec, issues };
}

/**
 * Validates a parsed topology and returns it typed. Throws `TOPOLOGY_INVALID` with `details.errors` listing every
 * finding as `{ path, line, col, message, rule }`.
 */
export function validateTopology(value: unknown, opts: ValidateOptions = {}): TopologySpec {
  const r = checkTopology(value, opts);
  if (!r.spec) throw topologyError(r.issues, opts.source);
  return r.spec;
}

// ---------------------------------------------------------------------------------------------------------------

type Items<T> = ReadonlyArray<Partial<T> | undefined> | undefined;
interface Clean {
  datacenters?: Items<DatacenterSpec>;
  switches?: Items<SwitchSpec>;
  hosts?: Items<HostSpec>;
  gateways?: Items<GatewaySpec>;
  links?: Items<LinkSpec>;
  wanLinks?: Items<WanLinkSpec>;
  tenants?: Items<Omit<TenantSpec, 'vns'> & { vns: Items<VnSpec> }>;
  vms?: Items<VmSpec>;
  endHosts?: Items<EndHostSpec>;
}
type Add = (path: PathSegment[], rule: TopologyRule, message: string) => void;

function each<T>(list: Items<T>, fn: (item: Partial<T>, i: number) => void): void {
  list?.forEach((item, i) => {
    if (item) fn(item, i);
  });
}

/** Remembers the first path of each key; reports later ones. */
class FirstSeen {
  private readonly seen = new Map<string, string>();
  /** True when `key` is new (and records it); otherwise reports `message(firstPath)` at `path`. */
  claim(key: string, path: PathSegment[], add: Add, rule: TopologyRule, message: (first: string) => string): boolean {
    const first = this.seen.get(key);
    if (first !== undefined) {
      add(path, rule, message(first));
      return false;
    }
    this.seen.set(key, formatPath(path));
    return true;
  }
}

function crossChecks(c: Clean, add: Add): void {
  // --- names
  const dcs = new Map<string, { subnet?: Cidr }>();
  const dcNames = new FirstSeen();
  each(c.datacenters, (dc, i) => {
    if (dc.name === undefined) return;
    if (dcNames.claim(dc.name, ['datacenters', i, 'name'], add, 'duplicate-name', (f) => `duplicate datacenter name "${dc.name}" (first at ${f})`)) {
      const subnet = dc.subnet === undefined ? undefined : parseCidr(dc.subnet);
      dcs.set(dc.name, { subnet: typeof subnet === 'object' ? subnet : undefined });
    }
  });
  const nodeNames = new FirstSeen();
  const claimNode = (kind: string, name: string | undefined, i: number): boolean =>
    name !== undefined && nodeNames.claim(name, [kind, i, 'name'], add, 'duplicate-name', (f) => `duplicate name "${name}" (already used at ${f})`);
  const switches = new Map<string, Partial<SwitchSpec>>();
  each(c.switches, (s, i) => claimNode('switches', s.name, i) && switches.set(s.name!, s));
  const hosts = new Map<string, Partial<HostSpec>>();
  each(c.hosts, (h, i) => claimNode('hosts', h.name, i) && hosts.set(h.name!, h));
  each(c.gateways, (g, i) => claimNode('gateways', g.name, i));
  each(c.vms, (v, i) => claimNode('vms', v.name, i));
  each(c.endHosts, (e, i) => claimNode('endHosts', e.name, i));

  const ref = <T>(path: PathSegment[], kind: string, name: string | undefined, map: ReadonlyMap<string, T>, where = ''): T | undefined => {
    if (name === undefined) return undefined;
    const t = map.get(name);
    if (t === undefined) add(path, 'unknown-ref', `unknown ${kind} "${name}"${where}${didYouMean(name, map.keys())}`);
    return t;
  };

  // --- datacenters: subnets do not overlap
  const dcList = [...dcs.entries()];
  dcList.forEach(([name, dc], j) => {
    for (let k = 0; k < j; k++) {
      const [otherName, other] = dcList[k]!;
      if (dc.subnet && other.subnet && cidrsOverlap(dc.subnet, other.subnet)) {
        const i = c.datacenters!.findIndex((d) => d?.name === name);
        add(['datacenters', i, 'subnet'], 'subnet-overlap', `subnet ${dc.subnet.text} of "${name}" overlaps ${other.subnet.text} of "${otherName}"`);
        break;
      }
    }
  });

  // --- switches: DC exists, dpids unique
  const dpids = new FirstSeen();
  each(c.switches, (s, i) => {
    ref(['switches', i, 'dc'], 'datacenter', s.dc, dcs);
    if (s.dpid !== undefined) {
      const d = normalizeDpid(s.dpid);
      dpids.claim(d, ['switches', i, 'dpid'], add, 'duplicate-dpid', (f) => `dpid ${d} is already used at ${f}`);
    }
  });

  /** Checks a reference to a switch of a given role in a given DC. */
  const switchOf = (path: PathSegment[], name: string | undefined, role: SwitchSpec['role'] | undefined, dc: string | undefined): Partial<SwitchSpec> | undefined => {
    const s = ref(path, 'switch', name, switches);
    if (!s) return undefined;
    if (role && s.role !== undefined && s.role !== role) add(path, 'role', `switch "${name}" has role "${s.role}"; expected "${role}"`);
    if (dc !== undefined && s.dc !== undefined && dcs.has(dc) && s.dc !== dc) {
      add(path, 'dc-mismatch', `switch "${name}" is in datacenter "${s.dc}", not "${dc}"`);
    }
    return s;
  };

  // --- explicit ports, per switch
  const ports = new Map<string, FirstSeen>();
  const claimPort = (sw: string | undefined, port: number | undefined, path: PathSegment[]): void => {
    if (sw === undefined || port === undefined || !switches.has(sw)) return;
    let seen = ports.get(sw);
    if (!seen) ports.set(sw, (seen = new FirstSeen()));
    seen.claim(String(port), path, add, 'duplicate-port', (f) => `port ${port} of switch "${sw}" is already used by ${f}`);
  };

  // --- MACs: explicit ones unique
  const macs = new FirstSeen();
  const claimMac = (mac: string | undefined, path: PathSegment[]): void => {
    if (mac !== undefined) macs.claim(mac.toLowerCase(), path, add, 'duplicate-mac', (f) => `MAC ${mac.toLowerCase()} is already used at ${f}`);
  };

  // --- hosts
  const vswitchOwner = new FirstSeen();
  const underlay = new FirstSeen();
  each(c.hosts, (h, i) => {
    const dc = ref(['hosts', i, 'dc'], 'datacenter', h.dc, dcs);
    const s = switchOf(['hosts', i, 'switch'], h.switch, 'host', h.dc);
    if (s && h.switch !== undefined) {
      vswitchOwner.claim(h.switch, ['hosts', i, 'switch'], add, 'shared-vswitch', (f) => `virtual switch "${h.switch}" already belongs to the host at ${f.replace(/\.switch$/, '')}`);
    }
    if (h.address !== undefined) {
      const ip = parseIp(h.address);
      if (typeof ip === 'object') {
        if (dc?.subnet && !cidrContains(dc.subnet, ip)) {
          add(['hosts', i, 'address'], 'outside-subnet', `address ${ip.text} is outside subnet ${dc.subnet.text} of datacenter "${h.dc}"`);
        }
        underlay.claim(ip.text, ['hosts', i, 'address'], add, 'duplicate-ip', (f) => `address ${ip.text} is already used at ${f}`);
      }
    }
    claimMac(h.mac, ['hosts', i, 'mac']);
  });

  // --- gateways
  const publicIps = new FirstSeen();
  each(c.gateways, (g, i) => {
    ref(['gateways', i, 'dc'], 'datacenter', g.dc, dcs);
    switchOf(['gateways', i, 'switch'], g.switch, 'gateway', g.dc);
    g.publicIps?.forEach((text, k) => {
      const ip = text === undefined ? undefined : parseIp(text);
      if (typeof ip === 'object') {
        publicIps.claim(ip.text, ['gateways', i, 'publicIps', k], add, 'duplicate-ip', (f) => `public IP ${ip.text} is already used at ${f}`);
      }
    });
    claimMac(g.mac, ['gateways', i, 'mac']);
  });

  // --- links
  each(c.links, (l, i) => {
    const a = switchOf(['links', i, 'a'], l.a, undefined, undefined);
    const b = switchOf(['links', i, 'b'], l.b, undefined, undefined);
    if (l.a !== undefined && l.a === l.b) add(['links', i, 'b'], 'self-link', `link from switch "${l.a}" to itself`);
    else if (a?.dc !== undefined && b?.dc !== undefined && a.dc !== b.dc) {
      add(['links', i, 'b'], 'dc-mismatch', `links join switches of one datacenter ("${l.a}" is in "${a.dc}", "${l.b}" in "${b.dc}"); join DCs with wanLinks between gateway switches`);
    }
    claimPort(l.a, l.portA, ['links', i, 'portA']);
    claimPort(l.b, l.portB, ['links', i, 'portB']);
  });
  each(c.wanLinks, (l, i) => {
    const a = switchOf(['wanLinks', i, 'a'], l.a, undefined, undefined);
    const b = switchOf(['wanLinks', i, 'b'], l.b, undefined, undefined);
    for (const [side, s, name] of [['a', a, l.a], ['b', b, l.b]] as const) {
      if (s?.role !== undefined && s.role !== 'gateway') {
        add(['wanLinks', i, side], 'wan-endpoints', `WAN links join gateway switches; "${name}" has role "${s.role}"`);
      }
    }
    if (l.a !== undefined && l.a === l.b) add(['wanLinks', i, 'b'], 'self-link', `link from switch "${l.a}" to itself`);
    else if (a?.dc !== undefined && a.dc === b?.dc) {
      add(['wanLinks', i, 'b'], 'wan-endpoints', `WAN links join different datacenters; "${l.a}" and "${l.b}" are both in "${a.dc}"`);
    }
    claimPort(l.a, l.portA, ['wanLinks', i, 'portA']);
    claimPort(l.b, l.portB, ['wanLinks', i, 'portB']);
  });

  // --- tenants and VNs
  const tenants = new Map<string, Map<string, { subnet?: Cidr }>>();
  const tenantNames = new FirstSeen();
  const vnIds = new FirstSeen();
  each(c.tenants, (t, i) => {
    const vns = new Map<string, { subnet?: Cidr }>();
    if (t.name !== undefined && tenantNames.claim(t.name, ['tenants', i, 'name'], add, 'duplicate-name', (f) => `duplicate tenant name "${t.name}" (first at ${f})`)) {
      tenants.set(t.name, vns);
    }
    const vnNames = new FirstSeen();
    each(t.vns, (vn, k) => {
      if (vn.name !== undefined && vnNames.claim(vn.name, ['tenants', i, 'vns', k, 'name'], add, 'duplicate-name', (f) => `duplicate VN name "${vn.name}" in tenant (first at ${f})`)) {
        const subnet = vn.subnet === undefined ? undefined : parseCidr(vn.subnet);
        vns.set(vn.name, { subnet: typeof subnet === 'object' ? subnet : undefined });
      }
      if (vn.id !== undefined) {
        vnIds.claim(String(vn.id), ['tenants', i, 'vns', k, 'id'], add, 'duplicate-vn-id', (f) => `VN id ${vn.id} is already used at ${f}`);
      }
    });
  });

  // --- VMs
  const vmIps = new FirstSeen();
  const load = new Map<string, { vms: number; memoryMB: number; reported: Set<string> }>();
  each(c.vms, (v, i) => {
    const vns = ref(['vms', i, 'tenant'], 'tenant', v.tenant, tenants);
    const vn = vns ? ref(['vms', i, 'vn'], 'VN', v.vn, vns, ` in tenant "${v.tenant}"`) : undefined;
    const host = ref(['vms', i, 'host'], 'host', v.host, hosts);
    if (v.ip !== undefined) {
      const ip = parseIp(v.ip);
      if (typeof ip === 'object') {
        if (vn?.subnet && !cidrContains(vn.subnet, ip)) {
          add(['vms', i, 'ip'], 'outside-subnet', `address ${ip.text} is outside subnet ${vn.subnet.text} of VN "${v.vn}"`);
        }
        if (vn) {
          vmIps.claim(`${v.tenant}\u0000${v.vn}\u0000${ip.text}`, ['vms', i, 'ip'], add, 'duplicate-ip', (f) => `address ${ip.text} is already used in VN "${v.vn}" of tenant "${v.tenant}" at ${f}`);
        }
      }
    }
    claimMac(v.mac, ['vms', i, 'mac']);
    if (host) claimPort(host.switch, v.port, ['vms', i, 'port']);
    // A host's migration endpoint is infrastructure: it takes no room of the host's capacity.
    if (host && v.tenant !== MIGRATION_TENANT) {
      let l = load.get(v.host!);
      if (!l) load.set(v.host!, (l = { vms: 0, memoryMB: 0, reported: new Set() }));
      l.vms += 1;
      l.memoryMB += v.memoryMB ?? DEFAULT_VM_MEMORY_MB;
      const cap = host.capacity;
      if (cap?.vms !== undefined && l.vms > cap.vms && !l.reported.has('vms')) {
        l.reported.add('vms');
        add(['vms', i, 'host'], 'capacity', `host "${v.host}" has room for ${cap.vms} VM${cap.vms === 1 ? '' : 's'}; this is VM number ${l.vms} on it`);
      }
      if (cap?.memoryMB !== undefined && l.memoryMB > cap.memoryMB && !l.reported.has('mem')) {
        l.reported.add('mem');
        add(['vms', i, 'host'], 'capacity', `host "${v.host}" has ${cap.memoryMB} MB for VMs; its VMs so far need ${l.memoryMB} MB`);
      }
    }
  });

  // --- end hosts
  each(c.endHosts, (e, i) => {
    switchOf(['endHosts', i, 'switch'], e.switch, undefined, undefined);
    claimMac(e.mac, ['endHosts', i, 'mac']);
    claimPort(e.switch, e.port, ['endHosts', i, 'port']);
  });

  // --- no switch has more attachments than port numbers
  const attached = new Map<string, number>();
  const count = (sw: string | undefined): void => {
    if (sw !== undefined) attached.set(sw, (attached.get(sw) ?? 0) + 1);
  };
  each(c.links, (l) => (count(l.a), count(l.b)));
  each(c.wanLinks, (l) => (count(l.a), count(l.b)));
  each(c.vms, (v) => count(v.host === undefined ? undefined : hosts.get(v.host)?.switch));
  each(c.endHosts, (e) => count(e.switch));
  each(c.switches, (s, i) => {
    const n = s.name === undefined || switches.get(s.name) !== s ? 0 : attached.get(s.name) ?? 0;
    if (n > PORT_MAX - PORT_MIN + 1) add(['switches', i, 'name'], 'range', `switch "${s.name}" has ${n} attachments but only ${PORT_MAX} port numbers`);
  });
}
