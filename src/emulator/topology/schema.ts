/**
 * The shape of a topology as data: which keys each object has, which are required, and what each value must look
 * like. {@link checkShape} walks a parsed value against it, reports unknown keys (with a "did you mean"), missing
 * required fields and bad values, and returns a cleaned copy in which every bad part is removed (fields deleted,
 * list items replaced by `undefined` so indices stay), so the cross-field checks can run without tripping on them.
 */
import { parseCidr, parseIfaceAddr, parseIp, parseUnicastMac } from './cidr';
import type { PathSegment, TopologyRule } from './issues';
import { PORT_MAX, PORT_MIN, TABLES_MAX, TABLES_MIN, VLAN_MAX, VLAN_MIN, VN_ID_MAX, VN_ID_MIN } from './model';
import { didYouMean } from './suggest';

/** What is wrong with a value. */
export interface Problem {
  rule: TopologyRule;
  message: string;
}

/** Checks one value; undefined when it is fine. */
export type Check = (v: unknown) => Problem | undefined;

/** An object: its fields by key. */
export interface ObjectSchema {
  fields: Record<string, FieldSchema>;
}

/** One field: a plain value, a nested object (optionally also accepting a plain value), or a list. */
export type FieldSchema =
  | { kind: 'value'; check: Check; required?: boolean }
  | { kind: 'object'; schema: ObjectSchema; required?: boolean; orValue?: Check }
  | { kind: 'list'; of: ObjectSchema | Check; required?: boolean; minItems?: number };

/** Receives each finding of {@link checkShape}. */
export type Report = (path: PathSegment[], rule: TopologyRule, message: string, at?: 'key' | 'value') => void;

// ---------------------------------------------------------------------------------------------------------------
// Value checks

const problem = (rule: TopologyRule, message: string): Problem => ({ rule, message });

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** A name: 1-64 characters of `[A-Za-z0-9_.-]`, starting with a letter or digit. */
export const nameCheck: Check = (v) =>
  typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(v)
    ? undefined
    : problem('type', `expected a name (1-64 characters of A-Z a-z 0-9 _ . -), got ${describe(v)}`);

/** Any non-empty string. */
export const textCheck: Check = (v) =>
  typeof v === 'string' && v.length > 0 ? undefined : problem('type', `expected a non-empty string, got ${describe(v)}`);

/** An integer in [min, max]; out of range reports `rule`. */
export function intCheck(min: number, max: number, rule: TopologyRule = 'range'): Check {
  return (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return problem('type', `expected an integer, got ${describe(v)}`);
    if (v < min || v > max) return problem(rule, `${v} is out of range ${min}..${max}`);
    return undefined;
  };
}

/** A finite number in [min, max] (or [min, max) when `maxExclusive`). */
export function numCheck(min: number, max: number, opts: { minExclusive?: boolean; maxExclusive?: boolean } = {}): Check {
  return (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return problem('type', `expected a number, got ${describe(v)}`);
    const low = opts.minExclusive ? v <= min : v < min;
    const high = opts.maxExclusive ? v >= max : v > max;
    if (low || high) {
      const range = `${opts.minExclusive ? '(' : '['}${min}, ${max}${opts.maxExclusive ? ')' : ']'}`;
      return problem('range', `${v} is out of range ${range}`);
    }
    return undefined;
  };
}

/** One of the listed strings (with a suggestion for a near miss). */
export function enumCheck(values: readonly string[]): Check {
  return (v) =>
    typeof v === 'string' && values.includes(v)
      ? undefined
      : problem('type', `expected one of ${values.map((x) => `"${x}"`).join(', ')}, got ${describe(v)}${typeof v === 'string' ? didYouMean(v, values) : ''}`);
}

const fromParser = (parse: (v: unknown) => object | string): Check => (v) => {
  const r = parse(v);
  return typeof r === 'string' ? problem('address', r) : undefined;
};

/** IPv4 or IPv6 address text. */
export const ipCheck = fromParser(parseIp);
/** A CIDR prefix with host bits zero. */
export const cidrCheck = fromParser(parseCidr);
/** An address with an optional prefix length. */
export const ifaceAddrCheck = fromParser(parseIfaceAddr);
/** A unicast MAC. */
export const macCheck = fromParser(parseUnicastMac);

/** A datapath id: a non-negative safe integer, or 1-16 hex digits with optional `0x` and `:` separators. */
export const dpidCheck: Check = (v) => {
  if (typeof v === 'number') {
    return Number.isSafeInteger(v) && v >= 0 ? undefined : problem('dpid', `dpid ${v} must be a non-negative integer`);
  }
  if (typeof v === 'string' && /^(0x)?[0-9a-fA-F]{1,16}$/.test(v.replace(/:/g, ''))) return undefined;
  return problem('dpid', `invalid dpid ${describe(v)}: expected an integer or 1-16 hex digits`);
};

/** `[from, to]`: two integers within 1..65535, from <= to. */
export const portRangeCheck: Check = (v) => {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) {
    return problem('port-range', `expected [from, to] with two integers, got ${describe(v)}`);
  }
  const [from, to] = v as [number, number];
  if (from < 1 || to > 65535) return problem('port-range', `port range [${from}, ${to}] must lie within 1..65535`);
  if (from > to) return problem('port-range', `port range [${from}, ${to}] is empty: from > to`);
  return undefined;
};

const vlanCheck = intCheck(VLAN_MIN, VLAN_MAX, 'vlan');
const portCheck = intCheck(PORT_MIN, PORT_MAX);

// ---------------------------------------------------------------------------------------------------------------
// The topology's shape

const req = (check: Check): FieldSchema => ({ kind: 'value', check, required: true });
const opt = (check: Check): FieldSchema => ({ kind: 'value', check });

const controllerSchema: ObjectSchema = {
  fields: { host: req(textCheck), port: req(intCheck(1, 65535)) },
};

const datacenterSchema: ObjectSchema = {
  fields: {
    name: req(nameCheck),
    subnet: req(cidrCheck),
    controller: {
      kind: 'object',
      schema: controllerSchema,
      orValue: (v) => (v === 'in-process' ? undefined : problem('type', `expected "in-process" or { host, port }, got ${describe(v)}`)),
    },
    gatewayIp: opt(ipCheck),
    virtualisation: opt(enumCheck(['vlan', 'mac'])),
  },
};

const switchSchema: ObjectSchema = {
  fields: {
    name: req(nameCheck),
    dc: req(nameCheck),
    role: req(enumCheck(['host', 'fabric', 'gateway'])),
    dpid: opt(dpidCheck),
    failMode: opt(enumCheck(['secure', 'standalone'])),
    tables: opt(intCheck(TABLES_MIN, TABLES_MAX)),
  },
};

const hostSchema: ObjectSchema = {
  fields: {
    name: req(nameCheck),
    dc: req(nameCheck),
    switch: req(nameCheck),
    address: req(ipCheck),
    mac: opt(macCheck),
    capacity: {
      kind: 'object',
      schema: { fields: { vms: opt(intCheck(0, Number.MAX_SAFE_INTEGER)), memoryMB: opt(intCheck(0, Number.MAX_SAFE_INTEGER)) } },
    },
  },
};

const gatewaySchema: ObjectSchema = {
  fields: {
    name: req(nameCheck),
    dc: req(nameCheck),
    switch: req(nameCheck),
    publicIps: { kind: 'list', of: ipCheck, required: true, minItems: 1 },
    portRange: req(portRangeCheck),
    mac: opt(macCheck),
  },
};

const latency = numCheck(0, 1e6);
const bandwidth = numCheck(0, 1e9, { minExclusive: true });
const loss = numCheck(0, 1, { maxExclusive: true });

const linkSchema: ObjectSchema = {
  fields: {
    a: req(nameCheck),
    b: req(nameCheck),
    portA: opt(portCheck),
    portB: opt(portCheck),
    latencyMs: opt(latency),
    bandwidthMbps: opt(bandwidth),
    loss: opt(loss),
  },
};

const wanLinkSchema: ObjectSchema = {
  fields: { ...linkSchema.fields, latencyMs: req(latency), bandwidthMbps: req(bandwidth) },
};

const vnSchema: ObjectSchema = {
  fields: { name: req(nameCheck), id: opt(intCheck(VN_ID_MIN, VN_ID_MAX)), subnet: opt(cidrCheck) },
};

const tenantSchema: ObjectSchema = {
  fields: { name: req(nameCheck), vns: { kind: 'list', of: vnSchema, required: true, minItems: 1 } },
};

const vmSchema: ObjectSchema = {
  fields: {
    name: req(nameCheck),
    tenant: req(nameCheck),
    vn: req(nameCheck),
    host: req(nameCheck),
    ip: req(ipCheck),
    mac: opt(macCheck),
    vlan: opt(vlanCheck),
    memoryMB: opt(intCheck(1, Number.MAX_SAFE_INTEGER)),
    port: opt(portCheck),
  },
};

const endHostSchema: ObjectSchema = {
  fields: {
    name: req(nameCheck),
    switch: req(nameCheck),
    ip: req(ifaceAddrCheck),
    mac: opt(macCheck),
    vlan: opt(vlanCheck),
    port: opt(portCheck),
  },
};

/** The whole document. */
export const topologySchema: ObjectSchema = {
  fields: {
    name: opt(textCheck),
    description: opt(textCheck),
    datacenters: { kind: 'list', of: datacenterSchema, required: true, minItems: 1 },
    switches: { kind: 'list', of: switchSchema },
    hosts: { kind: 'list', of: hostSchema },
    gateways: { kind: 'list', of: gatewaySchema },
    links: { kind: 'list', of: linkSchema },
    wanLinks: { kind: 'list', of: wanLinkSchema },
    tenants: { kind: 'list', of: tenantSchema },
    vms: { kind: 'list', of: vmSchema },
    endHosts: { kind: 'list', of: endHostSchema },
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Walking

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks `value` against `schema`, reporting each finding at `path`. Returns the cleaned object, or undefined when
 * `value` is not an object at all. `null` counts as absent.
 */
export function checkShape(value: unknown, schema: ObjectSchema, path: PathSegment[], report: Report): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) {
    report(path, 'type', `expected an object with keys ${Object.keys(schema.fields).join(', ')}, got ${describe(value)}`);
    return undefined;
  }
  const out: Record<string, unknown> = {};
  const known = Object.keys(schema.fields);
  for (const key of Object.keys(value)) {
    if (!(key in schema.fields)) {
      report([...path, key], 'unknown-key', `unknown key "${key}"${didYouMean(key, known.filter((k) => !(k in value)))}`, 'key');
    }
  }
  for (const [key, field] of Object.entries(schema.fields)) {
    const v = value[key];
    const at = [...path, key];
    if (v === undefined || v === null) {
      if (field.required) report(at, 'required', `required field "${key}" is missing`);
      continue;
    }
    const cleaned = checkField(v, field, at, report);
    if (cleaned !== undefined) out[key] = cleaned;
  }
  return out;
}

function checkField(v: unknown, field: FieldSchema, at: PathSegment[], report: Report): unknown {
  switch (field.kind) {
    case 'value': {
      const p = field.check(v);
      if (p) report(at, p.rule, p.message);
      return p ? undefined : v;
    }
    case 'object': {
      if (!isPlainObject(v) && field.orValue) {
        const p = field.orValue(v);
        if (p) report(at, p.rule, p.message);
        return p ? undefined : v;
      }
      return checkShape(v, field.schema, at, report);
    }
    case 'list': {
      if (!Array.isArray(v)) {
        report(at, 'type', `expected a list, got ${describe(v)}`);
        return undefined;
      }
      if (field.minItems !== undefined && v.length < field.minItems) {
        report(at, 'required', `needs at least ${field.minItems} item${field.minItems === 1 ? '' : 's'}`);
      }
      const of = field.of;
      return v.map((item, i) => {
        if (typeof of === 'function') {
          const p = item === null || item === undefined ? problem('required', 'empty list item') : of(item);
          if (p) report([...at, i], p.rule, p.message);
          return p ? undefined : item;
        }
        return checkShape(item, of, [...at, i], report);
      });
    }
  }
}
