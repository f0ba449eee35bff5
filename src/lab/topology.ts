/**
 * Lab topologies: the YAML file format, its TypeScript types, validation, and a builder for code.
 *
 * ```yaml
 * name: two-bridges
 * bridges:
 *   - { name: s1, dpid: "0000000000000001", controller: "tcp:127.0.0.1:16653", failMode: secure }
 *   - { name: s2, dpid: "2", controller: null, failMode: standalone, protocols: [OpenFlow13] }
 * hosts:
 *   - { name: h1, bridge: s1, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01", ofport: 1, gateway: 10.0.0.254 }
 * links:
 *   - { a: s1, b: s2, ofportA: 10, ofportB: 10 }
 * ```
 *
 * Rules (all checked; a violation throws {@link XsiteError} code `LAB_BAD_TOPOLOGY` whose message and
 * `details.field` name the field, plus `details.line` when the YAML parser knows it):
 * - `name`: 1-40 characters `[A-Za-z0-9_.-]`.
 * - bridge `name`: 1-6 characters `[A-Za-z][A-Za-z0-9]*`; host `name`: 1-8 such characters; all names distinct
 *   (OVS port names are derived from them and must fit the 15-character interface name limit).
 * - `dpid`: hex string of 1-16 digits (optional `0x`, `:` separators allowed); write it quoted in YAML. Missing dpids
 *   are assigned the lowest unused values 1, 2, ...
 * - `controller`: `tcp:HOST:PORT`, `unix:PATH` or null (default null). `failMode`: `secure` | `standalone`
 *   (default: `secure` with a controller, `standalone` without). `protocols`: a name or list among OpenFlow10-15
 *   (default `[OpenFlow13]`).
 * - host `ip`: IPv4 CIDR `a.b.c.d/len`, unique among the hosts of the same `scope` (optional text, e.g. a tenant's
 *   VN: hosts of different scopes may reuse addresses; hosts without one share a scope); `mac`: unicast
 *   `xx:xx:xx:xx:xx:xx` (default `02:00:` + the IPv4 address bytes); `ofport`: 1-65279, unique per bridge (missing
 *   ones get the lowest free numbers, hosts first, then links, in file order); `gateway`: IPv4 inside the host's
 *   subnet.
 * - `links`: `a` and `b` are different existing bridges; each link becomes a veth pair (see lab.ts).
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { XsiteError } from '../core/errors';

/** Bridge fail mode (what OVS does without a controller connection). */
export type FailMode = 'secure' | 'standalone';

/** OpenFlow versions a bridge may speak. */
export type OpenFlowProtocol = 'OpenFlow10' | 'OpenFlow11' | 'OpenFlow12' | 'OpenFlow13' | 'OpenFlow14' | 'OpenFlow15';

const PROTOCOLS: readonly OpenFlowProtocol[] = ['OpenFlow10', 'OpenFlow11', 'OpenFlow12', 'OpenFlow13', 'OpenFlow14', 'OpenFlow15'];

/** A bridge as written by a user (file or code). */
export interface BridgeSpec {
  name: string;
  /** Datapath id as hex (e.g. "0000000000000001" or "1"). */
  dpid?: string;
  /** `tcp:HOST:PORT`, `unix:PATH`, or null for none. */
  controller?: string | null;
  failMode?: FailMode;
  protocols?: OpenFlowProtocol | OpenFlowProtocol[];
}

/** A host (a network namespace with one interface `eth0`) as written by a user. */
export interface HostSpec {
  name: string;
  bridge: string;
  /** IPv4 address with prefix length, e.g. "10.0.0.1/24". */
  ip: string;
  mac?: string;
  ofport?: number;
  gateway?: string;
  /** Address scope: `ip` must be unique among the hosts with the same scope (default: one shared scope). */
  scope?: string;
}

/** A link between two bridges as written by a user. */
export interface LinkSpec {
  a: string;
  b: string;
  ofportA?: number;
  ofportB?: number;
}

/** A topology as written by a user: the YAML file's shape and the plain-object form for code. */
export interface Topology {
  name: string;
  bridges: BridgeSpec[];
  /** May be omitted in YAML (no hosts). */
  hosts: HostSpec[];
  /** May be omitted in YAML (no links). */
  links: LinkSpec[];
}

/** A validated bridge with every default filled in. */
export interface Bridge {
  name: string;
  /** 16 lowercase hex digits. */
  dpid: string;
  controller: string | null;
  failMode: FailMode;
  protocols: OpenFlowProtocol[];
}

/** A validated host with every default filled in. */
export interface Host {
  name: string;
  bridge: string;
  /** "a.b.c.d/len" as given. */
  ip: string;
  /** The address without its prefix length. */
  address: string;
  prefixLength: number;
  mac: string;
  ofport: number;
  gateway: string | null;
  /** Address scope, when one was given. */
  scope?: string;
}

/** A validated link with its ofports resolved. */
export interface Link {
  a: string;
  b: string;
  ofportA: number;
  ofportB: number;
}

/** A validated topology: what {@link validateTopology} returns and what the lab builds. */
export interface ValidTopology {
  readonly validated: true;
  name: string;
  bridges: Bridge[];
  hosts: Host[];
  links: Link[];
}

type Path = readonly (string | number)[];

/** Where fields come from, for error messages. */
interface Source {
  line(path: Path): number | undefined;
  /** The raw source text of a scalar (so `dpid: 0001` can be read as the hex it was meant to be). */
  raw(path: Path): string | undefined;
  file?: string;
}

const NO_SOURCE: Source = { line: () => undefined, raw: () => undefined };

/** "file:line", "file", "line N" or "". */
function locus(file: string | undefined, line: number | undefined): string {
  if (file !== undefined) return line !== undefined ? `${file}:${line}` : file;
  return line !== undefined ? `line ${line}` : '';
}

function fieldName(path: Path): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(top level)';
}

class Checker {
  constructor(private readonly src: Source) {}

  fail(path: Path, message: string): never {
    // The nearest ancestor with a known line (a missing field is reported at its parent).
    let line: number | undefined;
    for (let n = path.length; n >= 0 && line === undefined; n--) line = this.src.line(path.slice(0, n));
    const field = fieldName(path);
    const where = locus(this.src.file, line);
    throw new XsiteError('LAB_BAD_TOPOLOGY', `${where ? `${where}: ` : ''}${field}: ${message}`, {
      field,
      ...(line !== undefined ? { line } : {}),
      ...(this.src.file ? { file: this.src.file } : {}),
    });
  }

  object(v: unknown, path: Path, keys: readonly string[]): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'must be a mapping');
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!keys.includes(k)) this.fail([...path, k], `unknown field (expected one of: ${keys.join(', ')})`);
    }
    return o;
  }

  array(v: unknown, path: Path, optional: boolean): unknown[] {
    if (v === undefined || v === null) {
      if (optional) return [];
      this.fail(path, 'is required (a list)');
    }
    if (!Array.isArray(v)) this.fail(path, 'must be a list');
    return v;
  }

  string(v: unknown, path: Path, re?: RegExp, what?: string): string {
    if (v === undefined || v === null) this.fail(path, 'is required');
    if (typeof v !== 'string') this.fail(path, `must be a string${what ? ` (${what})` : ''}`);
    if (re && !re.test(v)) this.fail(path, `invalid value "${v}"${what ? `: expected ${what}` : ''}`);
    return v;
  }

  ofport(v: unknown, path: Path): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 0xfeff) this.fail(path, 'must be an integer 1-65279');
    return v;
  }
}

const BRIDGE_NAME = /^[A-Za-z][A-Za-z0-9]{0,5}$/;
const HOST_NAME = /^[A-Za-z][A-Za-z0-9]{0,7}$/;
const RESERVED = new Set(['lo', 'ovs', 'eth0']);

function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return undefined;
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/**
 * Validates a topology given as a plain object (the parsed YAML or code) and fills in defaults. Throws
 * `LAB_BAD_TOPOLOGY` naming the offending field.
 */
export function validateTopology(input: unknown, src: Source = NO_SOURCE): ValidTopology {
  const c: Checker = new Checker(src);
  const top = c.object(input, [], ['name', 'bridges', 'hosts', 'links']);
  const name = c.string(top.name, ['name'], /^[A-Za-z0-9_.-]{1,40}$/, '1-40 characters [A-Za-z0-9_.-]');
  const names = new Map<string, string>(); // name -> field that defined it

  const claim = (n: string, path: Path): void => {
    if (RESERVED.has(n.toLowerCase())) c.fail(path, `"${n}" is a reserved name`);
    const prev = names.get(n);
    if (prev) c.fail(path, `duplicate name "${n}" (already used by ${prev})`);
    names.set(n, fieldName(path));
  };

  // Bridges.
  const rawBridges = c.array(top.bridges, ['bridges'], false);
  if (rawBridges.length === 0) c.fail(['bridges'], 'must list at least one bridge');
  const bridges: Bridge[] = [];
  const dpidGiven: (string | undefined)[] = [];
  rawBridges.forEach((rb, i) => {
    const p = ['bridges', i] as const;
    const b = c.object(rb, p, ['name', 'dpid', 'controller', 'failMode', 'protocols']);
    const bname = c.string(b.name, [...p, 'name'], BRIDGE_NAME, '1-6 characters, a letter then letters/digits');
    claim(bname, [...p, 'name']);
    let dpid: string | undefined;
    if (b.dpid !== undefined && b.dpid !== null) {
      let text: string;
      if (typeof b.dpid === 'string') text = b.dpid;
      else if (typeof b.dpid === 'number') {
        // `dpid: 0000000000000001` unquoted is a YAML number: use the source text when we have it.
        const raw = src.raw([...p, 'dpid']);
        if (raw === undefined) c.fail([...p, 'dpid'], 'must be a hex string, e.g. "0000000000000001"');
        text = raw;
      } else c.fail([...p, 'dpid'], 'must be a hex string, e.g. "0000000000000001"');
      const hex = text.trim().replace(/^0x/i, '').replace(/:/g, '');
      if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) c.fail([...p, 'dpid'], `invalid value "${text}": expected 1-16 hex digits`);
      dpid = hex.toLowerCase().padStart(16, '0');
      if (/^0+$/.test(dpid)) c.fail([...p, 'dpid'], 'must not be zero');
      const dup = dpidGiven.indexOf(dpid);
      if (dup >= 0) c.fail([...p, 'dpid'], `duplicate dpid ${dpid} (also bridges[${dup}])`);
    }
    dpidGiven.push(dpid);
    let controller: string | null = null;
    if (b.controller !== undefined && b.controller !== null) {
      controller = c.string(b.controller, [...p, 'controller'], /^(tcp:[^:\s]+:\d{1,5}|unix:\S+)$/, '"tcp:HOST:PORT", "unix:PATH" or null');
      const port = /^tcp:.*:(\d+)$/.exec(controller);
      if (port && (Number(port[1]) < 1 || Number(port[1]) > 65535)) c.fail([...p, 'controller'], `port out of range in "${controller}"`);
    }
    let failMode: FailMode = controller ? 'secure' : 'standalone';
    if (b.failMode !== undefined && b.failMode !== null) {
      failMode = c.string(b.failMode, [...p, 'failMode'], /^(secure|standalone)$/, '"secure" or "standalone"') as FailMode;
    }
    let protocols: OpenFlowProtocol[] = ['OpenFlow13'];
    if (b.protocols !== undefined && b.protocols !== null) {
      const list = Array.isArray(b.protocols) ? b.protocols : [b.protocols];
      if (list.length === 0) c.fail([...p, 'protocols'], 'must not be empty');
      protocols = list.map((x, j) =>
        Array.isArray(b.protocols)
          ? (c.string(x, [...p, 'protocols', j], /^OpenFlow1[0-5]$/, PROTOCOLS.join('|')) as OpenFlowProtocol)
          : (c.string(x, [...p, 'protocols'], /^OpenFlow1[0-5]$/, PROTOCOLS.join('|')) as OpenFlowProtocol),
      );
      protocols = PROTOCOLS.filter((x) => protocols.includes(x));
    }
    bridges.push({ name: bname, dpid: '', controller, failMode, protocols });
  });
  // Missing dpids: lowest unused 1, 2, ...
  let next = 1;
  bridges.forEach((b, i) => {
    const given = dpidGiven[i];
    if (given) {
      b.dpid = given;
      return;
    }
    let cand: string;
    do cand = (next++).toString(16).padStart(16, '0');
    while (dpidGiven.includes(cand));
    b.dpid = cand;
  });
  const bridgeByName = new Map(bridges.map((b) => [b.name, b]));
  const usedPorts = new Map<string, Map<number, string>>(bridges.map((b) => [b.name, new Map()]));
  const reservePort = (bridge: string, port: number | undefined, path: Path): void => {
    if (port === undefined) return;
    const m = usedPorts.get(bridge)!;
    const prev = m.get(port);
    if (prev) c.fail(path, `ofport ${port} on bridge ${bridge} is already used by ${prev}`);
    m.set(port, fieldName(path));
  };
  const freePort = (bridge: string, who: string): number => {
    const m = usedPorts.get(bridge)!;
    let n = 1;
    while (m.has(n)) n++;
    m.set(n, who);
    return n;
  };

  // Hosts.
  const rawHosts = c.array(top.hosts, ['hosts'], true);
  const hosts: Host[] = [];
  const hostPorts: (number | undefined)[] = [];
  const ips = new Map<string, string>(); // scope + address -> field that defined it
  const macs = new Map<string, string>();
  rawHosts.forEach((rh, i) => {
    const p = ['hosts', i] as const;
    const h = c.object(rh, p, ['name', 'bridge', 'ip', 'mac', 'ofport', 'gateway', 'scope']);
    const hname = c.string(h.name, [...p, 'name'], HOST_NAME, '1-8 characters, a letter then letters/digits');
    claim(hname, [...p, 'name']);
    const bridge = c.string(h.bridge, [...p, 'bridge']);
    if (!bridgeByName.has(bridge)) c.fail([...p, 'bridge'], `unknown bridge "${bridge}" (bridges: ${bridges.map((b) => b.name).join(', ')})`);
    const ip = c.string(h.ip, [...p, 'ip'], /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'IPv4 address with prefix length, e.g. 10.0.0.1/24');
    const [addr, lenText] = ip.split('/') as [string, string];
    const a = parseIpv4(addr);
    const prefixLength = Number(lenText);
    if (a === undefined || prefixLength < 1 || prefixLength > 32) c.fail([...p, 'ip'], `invalid value "${ip}": expected a.b.c.d/1-32`);
    const scope = h.scope === undefined || h.scope === null ? undefined : c.string(h.scope, [...p, 'scope'], /^\S{1,64}$/, '1-64 characters, no spaces');
    const ipKey = `${scope ?? ''}\0${a}`;
    if (ips.has(ipKey)) c.fail([...p, 'ip'], `duplicate address ${addr}${scope !== undefined ? ` in scope ${scope}` : ''} (also ${ips.get(ipKey)})`);
    ips.set(ipKey, `hosts[${i}]`);
    let mac: string;
    if (h.mac !== undefined && h.mac !== null) {
      mac = c.string(h.mac, [...p, 'mac'], /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'xx:xx:xx:xx:xx:xx').toLowerCase();
      if (Number.parseInt(mac.slice(0, 2), 16) & 1) c.fail([...p, 'mac'], `"${mac}" is a multicast address`);
      if (mac === '00:00:00:00:00:00') c.fail([...p, 'mac'], 'must not be zero');
    } else {
      mac = `02:00:${addr.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join(':')}`;
    }
    if (macs.has(mac)) c.fail([...p, h.mac !== undefined ? 'mac' : 'ip'], `duplicate MAC ${mac} (also ${macs.get(mac)})`);
    macs.set(mac, `hosts[${i}]`);
    const ofport = c.ofport(h.ofport, [...p, 'ofport']);
    reservePort(bridge, ofport, [...p, 'ofport']);
    hostPorts.push(ofport);
    let gateway: string | null = null;
    if (h.gateway !== undefined && h.gateway !== null) {
      gateway = c.string(h.gateway, [...p, 'gateway'], /^\d{1,3}(\.\d{1,3}){3}$/, 'IPv4 address');
      const g = parseIpv4(gateway);
      if (g === undefined) c.fail([...p, 'gateway'], `invalid IPv4 address "${gateway}"`);
      const m = maskOf(prefixLength);
      if (((g & m) >>> 0) !== ((a & m) >>> 0)) c.fail([...p, 'gateway'], `${gateway} is not inside ${ip}`);
      if (g === a) c.fail([...p, 'gateway'], 'must differ from the host address');
    }
    hosts.push({ name: hname, bridge, ip, address: addr, prefixLength, mac, ofport: 0, gateway, ...(scope !== undefined ? { scope } : {}) });
  });

  // Links.
  const rawLinks = c.array(top.links, ['links'], true);
  const links: Link[] = [];
  const linkPorts: [number | undefined, number | undefined][] = [];
  rawLinks.forEach((rl, i) => {
    const p = ['links', i] as const;
    const l = c.object(rl, p, ['a', 'b', 'ofportA', 'ofportB']);
    const a = c.string(l.a, [...p, 'a']);
    const b = c.string(l.b, [...p, 'b']);
    for (const [k, v] of [['a', a], ['b', b]] as const) {
      if (!bridgeByName.has(v)) c.fail([...p, k], `unknown bridge "${v}" (bridges: ${bridges.map((x) => x.name).join(', ')})`);
    }
    if (a === b) c.fail([...p, 'b'], `a link must join two different bridges (both are "${a}")`);
    const dup = links.filter((x) => (x.a === a && x.b === b) || (x.a === b && x.b === a)).length;
    if (dup >= 9) c.fail(p, `at most 9 links between ${a} and ${b}`);
    const pa = c.ofport(l.ofportA, [...p, 'ofportA']);
    const pb = c.ofport(l.ofportB, [...p, 'ofportB']);
    reservePort(a, pa, [...p, 'ofportA']);
    reservePort(b, pb, [...p, 'ofportB']);
    linkPorts.push([pa, pb]);
    links.push({ a, b, ofportA: 0, ofportB: 0 });
  });

  // Free ofports: hosts first, then links, in order.
  hosts.forEach((h, i) => (h.ofport = hostPorts[i] ?? freePort(h.bridge, `hosts[${i}]`)));
  links.forEach((l, i) => {
    l.ofportA = linkPorts[i]![0] ?? freePort(l.a, `links[${i}]`);
    l.ofportB = linkPorts[i]![1] ?? freePort(l.b, `links[${i}]`);
  });
  return { validated: true, name, bridges, hosts, links };
}

function sourceOf(doc: Document, lc: LineCounter, file?: string): Source {
  const nodeAt = (path: Path): YamlNode | undefined => {
    if (path.length === 0) return (doc.contents ?? undefined) as YamlNode | undefined;
    const n = doc.getIn(path as (string | number)[], true) as unknown;
    return isScalar(n) || isMap(n) || isSeq(n) ? (n as YamlNode) : undefined;
  };
  return {
    file,
    line: (path) => {
      const n = nodeAt(path);
      return n?.range ? lc.linePos(n.range[0]).line : undefined;
    },
    raw: (path) => {
      const n = nodeAt(path);
      return isScalar(n) && typeof n.source === 'string' ? n.source : undefined;
    },
  };
}

/**
 * Parses and validates a topology from YAML text. `file` only names the source in error messages. Throws
 * `LAB_BAD_TOPOLOGY` (YAML syntax errors included, with their line).
 */
export function parseTopology(text: string, file?: string): ValidTopology {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line ?? (err.pos ? lc.linePos(err.pos[0]).line : undefined);
    const where = locus(file, line);
    throw new XsiteError('LAB_BAD_TOPOLOGY', `${where ? `${where}: ` : ''}invalid YAML: ${err.message.split('\n')[0]}`, {
      field: '(yaml)',
      ...(line !== undefined ? { line } : {}),
      ...(file ? { file } : {}),
      yamlCode: err.code,
    });
  }
  return validateTopology(doc.toJS({ maxAliasCount: 100 }), sourceOf(doc, lc, file));
}

/** Reads, parses and validates a topology file. Throws `LAB_BAD_TOPOLOGY` (also when the file cannot be read). */
export async function loadTopology(file: string): Promise<ValidTopology> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new XsiteError('LAB_BAD_TOPOLOGY', `${file}: cannot read: ${(e as Error).message}`, { field: '(file)', file });
  }
  return parseTopology(text, file);
}

/** Returns `t` validated: a {@link ValidTopology} is returned as is, anything else goes through {@link validateTopology}. */
export function toValidTopology(t: Topology | ValidTopology): ValidTopology {
  return (t as ValidTopology).validated === true ? (t as ValidTopology) : validateTopology(t);
}

/**
 * Builds a topology in code:
 * ```ts
 * const topo = new TopologyBuilder('t').bridge('s1').bridge('s2').host('h1', 's1', '10.0.0.1/24').link('s1', 's2').build();
 * ```
 */
export class TopologyBuilder {
  private readonly t: Topology;

  constructor(name: string) {
    this.t = { name, bridges: [], hosts: [], links: [] };
  }

  /** Adds a bridge (defaults: no controller, standalone, OpenFlow13). */
  bridge(name: string, opts: Omit<BridgeSpec, 'name'> = {}): this {
    this.t.bridges.push({ name, ...opts });
    return this;
  }

  /** Adds a host on `bridge` with address `ip` ("a.b.c.d/len"). */
  host(name: string, bridge: string, ip: string, opts: Omit<HostSpec, 'name' | 'bridge' | 'ip'> = {}): this {
    this.t.hosts.push({ name, bridge, ip, ...opts });
    return this;
  }

  /** Adds a link between bridges `a` and `b`. */
  link(a: string, b: string, opts: Omit<LinkSpec, 'a' | 'b'> = {}): this {
    this.t.links.push({ a, b, ...opts });
    return this;
  }

  /** The plain-object form (not validated). */
  toObject(): Topology {
    return structuredClone(this.t);
  }

  /** Validates and returns the topology. Throws `LAB_BAD_TOPOLOGY`. */
  build(): ValidTopology {
    return validateTopology(this.toObject());
  }
}
