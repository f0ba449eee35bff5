import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isXsiteError } from '../../../../src/core/errors';
import { parseTopology, TopologyBuilder, type TopologyIssue } from '../../../../src/emulator/topology';
import { BASE, BASE_LINES, errorsOf, oneError } from './helpers';

const L = BASE_LINES;

test('the base snippet is valid', () => {
  const t = parseTopology(BASE);
  assert.equal(t.switches.length, 4);
});

test('yaml-syntax: a YAML syntax error is reported with its line', () => {
  const errors = errorsOf('datacenters:\n  - { name: dc1, subnet: 10.1.0.0/16\nswitches: []\n');
  assert.equal(errors[0]!.rule, 'yaml-syntax');
  assert.equal(errors[0]!.path, '');
  assert.equal(typeof errors[0]!.line, 'number');
});

test('yaml-syntax: a duplicate key is refused', () => {
  const errors = errorsOf('datacenters:\n  - name: dc1\n    name: dc2\n    subnet: 10.1.0.0/16\n');
  assert.equal(errors[0]!.rule, 'yaml-syntax');
  assert.equal(errors[0]!.line, 3);
});

test('unknown-key: a misspelled key gets a "did you mean" and points at the key', () => {
  const e = oneError(`${BASE}links:\n  - { a: gw1, b: vs1, latencyms: 3 }\n`, { rule: 'unknown-key', path: 'links[0].latencyms', line: L + 2 });
  assert.match(e.message, /did you mean "latencyMs"\?/);
  assert.equal(e.col, 23);
});

test('unknown-key: a misspelled top-level list is reported with a suggestion', () => {
  const e = oneError(`${BASE}wanlinks: []\n`, { rule: 'unknown-key', path: 'wanlinks', line: L + 1 });
  assert.match(e.message, /did you mean "wanLinks"\?/);
  assert.equal(e.col, 1);
});

test('unknown-key: no suggestion for a key far from every known one', () => {
  const e = oneError(`${BASE}links:\n  - { a: gw1, b: vs1, colour: red }\n`, { rule: 'unknown-key', path: 'links[0].colour', line: L + 2 });
  assert.doesNotMatch(e.message, /did you mean/);
});

test('required: a missing field names the field and points at its object', () => {
  oneError(`${BASE}vms:\n  - name: vm1\n    tenant: t1\n    vn: v1\n    ip: 192.168.10.1\n`, { rule: 'required', path: 'vms[0].host', line: L + 2 });
});

test('required: datacenters must be present', () => {
  const errors = errorsOf('switches: []\n');
  assert.deepEqual(errors.map((e) => [e.rule, e.path, e.line]), [['required', 'datacenters', 1]]);
});

test('type: a value of the wrong type', () => {
  oneError(`${BASE}vms:\n  - { name: vm1, tenant: t1, vn: v1, host: h1, ip: 192.168.10.1, memoryMB: lots }\n`, {
    rule: 'type',
    path: 'vms[0].memoryMB',
    line: L + 2,
  });
});

test('type: an enum value off by a letter is refused with a suggestion', () => {
  const e = oneError(BASE.replace('role: gateway }\n  - { name: vs1', 'role: gatway }\n  - { name: vs1'), { rule: 'type', path: 'switches[0].role', line: 6 });
  assert.match(e.message, /did you mean "gateway"/);
});

test('type: a list where an object is expected, and a scalar where a list is expected', () => {
  const errors = errorsOf(`${BASE}vms: {}\nlinks:\n  - 7\n`);
  assert.deepEqual(errors.map((e) => [e.rule, e.path, e.line]), [
    ['type', 'vms', L + 1],
    ['type', 'links[0]', L + 3],
  ]);
});

test('range: loss must be in [0, 1), tables in 1..254, ports in 1..65279', () => {
  const errors = errorsOf(`${BASE}links:\n  - { a: gw1, b: vs1, loss: 1.5, portA: 70000 }\n`);
  assert.deepEqual(errors.map((e) => [e.rule, e.path, e.line]), [
    ['range', 'links[0].loss', L + 2],
    ['range', 'links[0].portA', L + 2],
  ]);
  oneError(BASE.replace('role: host }', 'role: host, tables: 300 }'), { rule: 'range', path: 'switches[1].tables', line: 7 });
});

test('address: invalid IP, CIDR with host bits, invalid and multicast MACs', () => {
  const e1 = oneError(BASE.replace('address: 10.1.0.1', 'address: 10.1.0.300'), { rule: 'address', path: 'hosts[0].address', line: 11 });
  assert.match(e1.message, /10\.1\.0\.300/);
  const e2 = oneError(BASE.replace('10.2.0.0/16', '10.2.0.1/16'), { rule: 'address', path: 'datacenters[1].subnet', line: 3 });
  assert.match(e2.message, /did you mean "10\.2\.0\.0\/16"/);
  oneError(`${BASE}vms:\n  - { name: vm1, tenant: t1, vn: v1, host: h1, ip: 192.168.10.1, mac: "02:00:00:00:00" }\n`, { rule: 'address', path: 'vms[0].mac', line: L + 2 });
  oneError(`${BASE}vms:\n  - { name: vm1, tenant: t1, vn: v1, host: h1, ip: 192.168.10.1, mac: "01:00:5e:00:00:01" }\n`, { rule: 'address', path: 'vms[0].mac', line: L + 2 });
});

test('dpid: must be an integer or 1-16 hex digits', () => {
  oneError(BASE.replace('role: host }', 'role: host, dpid: "xyz" }'), { rule: 'dpid', path: 'switches[1].dpid', line: 7 });
});

test('duplicate-name: switches, hosts, gateways, VMs and end hosts share one namespace', () => {
  const e = oneError(`${BASE}endHosts:\n  - { name: vs1, switch: gw1, ip: 10.1.9.9 }\n`, { rule: 'duplicate-name', path: 'endHosts[0].name', line: L + 2 });
  assert.match(e.message, /switches\[1\]\.name/);
});

test('duplicate-name: datacenters', () => {
  const errors = errorsOf(BASE.replace('name: dc2, subnet: 10.2.0.0/16', 'name: dc1, subnet: 10.2.0.0/16'));
  // dc2 is gone, so its switches' references fail too.
  assert.deepEqual(errors.map((e) => [e.rule, e.path, e.line]), [
    ['duplicate-name', 'datacenters[1].name', 3],
    ['unknown-ref', 'switches[2].dc', 8],
    ['unknown-ref', 'switches[3].dc', 9],
  ]);
});

test('duplicate-name: two VNs of one tenant with the same name', () => {
  oneError(BASE.replace('{ name: v2,', '{ name: v1,'), { rule: 'duplicate-name', path: 'tenants[0].vns[1].name', line: 14 });
});

test('unknown-ref: unknown datacenter, switch, host, tenant and VN, with suggestions', () => {
  const errors = errorsOf(
    `${BASE}vms:\n` +
      `  - { name: vm1, tenant: t2, vn: v1, host: h1, ip: 192.168.10.1 }\n` +
      `  - { name: vm2, tenant: t1, vn: v3, host: h1, ip: 192.168.10.2 }\n` +
      `  - { name: vm3, tenant: t1, vn: v1, host: h9, ip: 192.168.10.3 }\n` +
      `endHosts:\n  - { name: e1, switch: gw3, ip: 10.1.9.9 }\n`,
  );
  assert.deepEqual(errors.map((e) => [e.rule, e.path, e.line]), [
    ['unknown-ref', 'vms[0].tenant', L + 2],
    ['unknown-ref', 'vms[1].vn', L + 3],
    ['unknown-ref', 'vms[2].host', L + 4],
    ['unknown-ref', 'endHosts[0].switch', L + 6],
  ]);
  assert.match(errors[0]!.message, /unknown tenant "t2" \(did you mean "t1"\?\)/);
  assert.match(errors[1]!.message, /unknown VN "v3" in tenant "t1"/);
  assert.match(errors[3]!.message, /did you mean "gw1"/);
  oneError(BASE.replace('{ name: vs2, dc: dc2', '{ name: vs2, dc: dc3'), { rule: 'unknown-ref', path: 'switches[3].dc', line: 9 });
});

test('role: a host must sit on a host switch, a gateway on a gateway switch', () => {
  oneError(BASE.replace('switch: vs1, address', 'switch: gw1, address'), { rule: 'role', path: 'hosts[0].switch', line: 11 });
  oneError(`${BASE}gateways:\n  - { name: g1, dc: dc1, switch: vs1, publicIps: [203.0.113.1], portRange: [1024, 2047] }\n`, {
    rule: 'role',
    path: 'gateways[0].switch',
    line: L + 2,
  });
});

test('dc-mismatch: a host on a switch of another DC; an intra-DC link across DCs', () => {
  const yaml = BASE.replace('hosts:\n', 'hosts:\n  - { name: h2, dc: dc1, switch: vs2, address: 10.1.0.2 }\n');
  oneError(yaml, { rule: 'dc-mismatch', path: 'hosts[0].switch', line: 11 });
  const e = oneError(`${BASE}links:\n  - { a: gw1, b: gw2 }\n`, { rule: 'dc-mismatch', path: 'links[0].b', line: L + 2 });
  assert.match(e.message, /wanLinks/);
});

test('shared-vswitch: two hosts on one virtual switch', () => {
  oneError(BASE.replace('hosts:\n', 'hosts:\n  - { name: h0, dc: dc1, switch: vs1, address: 10.1.0.9 }\n'), { rule: 'shared-vswitch', path: 'hosts[1].switch', line: 12 });
});

test('self-link: a link from a switch to itself', () => {
  oneError(`${BASE}links:\n  - { a: gw1, b: gw1 }\n`, { rule: 'self-link', path: 'links[0].b', line: L + 2 });
});

test('wan-endpoints: WAN links only between gateway switches of different DCs', () => {
  oneError(`${BASE}wanLinks:\n  - { a: vs1, b: gw2, latencyMs: 20, bandwidthMbps: 1000 }\n`, { rule: 'wan-endpoints', path: 'wanLinks[0].a', line: L + 2 });
  const yaml = BASE.replace('switches:\n', 'switches:\n  - { name: gw1b, dc: dc1, role: gateway }\n');
  const e = oneError(`${yaml}wanLinks:\n  - { a: gw1, b: gw1b, latencyMs: 20, bandwidthMbps: 1000 }\n`, { rule: 'wan-endpoints', path: 'wanLinks[0].b', line: L + 3 });
  assert.match(e.message, /different datacenters/);
});

test('outside-subnet: a VM address outside its VN subnet; a host address outside its DC subnet', () => {
  oneError(`${BASE}vms:\n  - { name: vm1, tenant: t1, vn: v1, host: h1, ip: 192.168.11.1 }\n`, { rule: 'outside-subnet', path: 'vms[0].ip', line: L + 2 });
  oneError(BASE.replace('address: 10.1.0.1', 'address: 10.2.0.1'), { rule: 'outside-subnet', path: 'hosts[0].address', line: 11 });
});

test('outside-subnet: a VN without a subnet accepts any address', () => {
  const yaml = BASE.replace('{ name: v2, subnet: 192.168.10.0/24 }', '{ name: v2 }');
  const t = parseTopology(`${yaml}vms:\n  - { name: vm1, tenant: t1, vn: v2, host: h1, ip: 172.20.1.1 }\n`);
  assert.equal(t.vms[0]!.ip, '172.20.1.1');
});

test('subnet-overlap: DC subnets must not overlap', () => {
  oneError(BASE.replace('10.2.0.0/16', '10.0.0.0/8'), { rule: 'subnet-overlap', path: 'datacenters[1].subnet', line: 3 });
});

test('duplicate-ip: one address twice in a VN is refused; the same address in two VNs is fine', () => {
  const ok = `${BASE}vms:\n  - { name: vm1, tenant: t1, vn: v1, host: h1, ip: 192.168.10.1 }\n  - { name: vm2, tenant: t1, vn: v2, host: h1, ip: 192.168.10.1 }\n`;
  assert.equal(parseTopology(ok).vms.length, 2);
  const e = oneError(`${ok}  - { name: vm3, tenant: t1, vn: v1, host: h1, ip: 192.168.10.1 }\n`, { rule: 'duplicate-ip', path: 'vms[2].ip', line: L + 4 });
  assert.match(e.message, /vms\[0\]\.ip/);
});

test('duplicate-ip: gateway public IPs are unique over all gateways; host addresses are unique', () => {
  oneError(
    `${BASE}gateways:\n  - { name: g1, dc: dc1, switch: gw1, publicIps: [203.0.113.1], portRange: [1024, 2047] }\n` +
      `  - { name: g2, dc: dc2, switch: gw2, publicIps: [203.0.113.2, 203.0.113.1], portRange: [1024, 2047] }\n`,
    { rule: 'duplicate-ip', path: 'gateways[1].publicIps[1]', line: L + 3 },
  );
  const yaml = BASE.replace('hosts:\n', 'hosts:\n  - { name: h0, dc: dc2, switch: vs2, address: 10.1.0.1 }\n');
  // h0 is in dc2 but uses a dc1 address: outside-subnet, and h1 then repeats it.
  assert.deepEqual(errorsOf(yaml).map((e) => [e.rule, e.path, e.line]), [
    ['outside-subnet', 'hosts[0].address', 11],
    ['duplicate-ip', 'hosts[1].address', 12],
  ]);
});

test('duplicate-mac: explicit MACs are unique over the topology (any case)', () => {
  oneError(
    `${BASE}vms:\n  - { name: vm1, tenant: t1, vn: v1, host: h1, ip: 192.168.10.1, mac: "02:aa:00:00:00:01" }\n` +
      `endHosts:\n  - { name: e1, switch: gw1, ip: 10.1.9.9, mac: "02:AA:00:00:00:01" }\n`,
    { rule: 'duplicate-mac', path: 'endHosts[0].mac', line: L + 4 },
  );
});

test('duplicate-dpid: dpids compare by value ("1", 1 and "0x0001" are the same)', () => {
  const yaml = BASE.replace('role: gateway }', 'role: gateway, dpid: "0x0001" }').replace('role: host }', 'role: host, dpid: 1 }');
  oneError(yaml, { rule: 'duplicate-dpid', path: 'switches[1].dpid', line: 7 });
});

test('duplicate-port: explicit port numbers are unique per switch', () => {
  oneError(
    `${BASE}links:\n  - { a: gw1, b: vs1, portB: 5 }\nvms:\n  - { name: vm1, tenant: t1, vn: v1, host: h1, ip: 192.168.10.1, port: 5 }\n`,
    { rule: 'duplicate-port', path: 'vms[0].port', line: L + 4 },
  );
});

test('duplicate-vn-id: VN ids are unique over all tenants', () => {
  oneError(`${BASE}  - name: t2\n    vns:\n      - { name: v1, id: 7 }\n      - { name: v2, id: 7 }\n`, { rule: 'duplicate-vn-id', path: 'tenants[1].vns[1].id', line: L + 4 });
});

test('port-range: within 1..65535, from <= to, two integers', () => {
  const gw = (range: string): string => `${BASE}gateways:\n  - { name: g1, dc: dc1, switch: gw1, publicIps: [203.0.113.1], portRange: ${range} }\n`;
  oneError(gw('[2000, 1000]'), { rule: 'port-range', path: 'gateways[0].portRange', line: L + 2 });
  oneError(gw('[0, 1000]'), { rule: 'port-range', path: 'gateways[0].portRange', line: L + 2 });
  oneError(gw('[1000]'), { rule: 'port-range', path: 'gateways[0].portRange', line: L + 2 });
  assert.equal(parseTopology(gw('[1, 65535]')).gateways[0]!.portRange[1], 65535);
});

test('vlan: 1..4094', () => {
  oneError(`${BASE}vms:\n  - { name: vm1, tenant: t1, vn: v1, host: h1, ip: 192.168.10.1, vlan: 4095 }\n`, { rule: 'vlan', path: 'vms[0].vlan', line: L + 2 });
  oneError(`${BASE}endHosts:\n  - { name: e1, switch: gw1, ip: 10.1.9.9, vlan: 0 }\n`, { rule: 'vlan', path: 'endHosts[0].vlan', line: L + 2 });
});

test('capacity: VM count and memory of a host', () => {
  const yaml = BASE.replace('address: 10.1.0.1 }', 'address: 10.1.0.1, capacity: { vms: 2, memoryMB: 3000 } }');
  const vm = (n: number, mem = 1024): string => `  - { name: vm${n}, tenant: t1, vn: v1, host: h1, ip: 192.168.10.${n}, memoryMB: ${mem} }\n`;
  assert.equal(parseTopology(`${yaml}vms:\n${vm(1)}${vm(2)}`).vms.length, 2);
  const e = oneError(`${yaml}vms:\n${vm(1)}${vm(2)}${vm(3, 1)}`, { rule: 'capacity', path: 'vms[2].host', line: L + 4 });
  assert.match(e.message, /room for 2 VMs/);
  const m = oneError(`${yaml}vms:\n${vm(1, 2000)}${vm(2, 2000)}`, { rule: 'capacity', path: 'vms[1].host', line: L + 3 });
  assert.match(m.message, /3000 MB/);
  // A host's migration endpoint (tenant xsite) is infrastructure: a full host still has one.
  const full = yaml.concat('  - name: xsite\n    vns: [{ name: migration, subnet: 100.64.0.0/16 }]\n');
  const ep = `  - { name: h1-mig, tenant: xsite, vn: migration, host: h1, ip: 100.64.0.1 }\n`;
  assert.equal(parseTopology(`${full}vms:\n${vm(1)}${vm(2, 1976)}${ep}`).vms.length, 3);
});

test('many errors are reported at once, in source order, with file:line:col in the message', () => {
  const yaml =
    `${BASE}links:\n  - { a: gw1, b: vs9, lossy: 1 }\n` +
    `vms:\n  - { name: vm1, tenant: t1, vn: v1, host: h1, ip: 10.0.0.1, vlan: 5000 }\n  - { name: vm1, tenant: t1, vn: v1, host: h1, ip: 192.168.10.2 }\n`;
  let err: unknown;
  try {
    parseTopology(yaml, 'multi.yaml');
  } catch (e) {
    err = e;
  }
  assert.ok(isXsiteError(err, 'TOPOLOGY_INVALID'));
  const errors = (err.details as { errors: TopologyIssue[] }).errors;
  assert.deepEqual(errors.map((e) => [e.rule, e.path, e.line]), [
    ['unknown-ref', 'links[0].b', L + 2],
    ['unknown-key', 'links[0].lossy', L + 2],
    ['outside-subnet', 'vms[0].ip', L + 4],
    ['vlan', 'vms[0].vlan', L + 4],
    ['duplicate-name', 'vms[1].name', L + 5],
  ]);
  for (const e of errors) assert.ok(err.message.includes(`multi.yaml:${e.line}:${e.col}: ${e.path}: ${e.message}`), e.message);
  assert.match(err.message, /5 errors/);
});

test('the builder is validated by the same rules, errors carry paths but no lines', () => {
  const b = new TopologyBuilder()
    .dc('dc1', { subnet: '10.1.0.0/16' })
    .switch('s1', { dc: 'dc1', role: 'fabric' })
    .switch('s2', { dc: 'dcx', role: 'fabric' })
    .endHost('e1', { switch: 's1', ip: '10.1.0.1', vlan: 9999 });
  let err: unknown;
  try {
    b.build();
  } catch (e) {
    err = e;
  }
  assert.ok(isXsiteError(err, 'TOPOLOGY_INVALID'));
  const errors = (err.details as { errors: TopologyIssue[] }).errors;
  assert.deepEqual(errors.map((e) => [e.rule, e.path, e.line, e.col]), [
    ['vlan', 'endHosts[0].vlan', undefined, undefined],
    ['unknown-ref', 'switches[1].dc', undefined, undefined],
  ]);
  assert.match(err.message, /\n {2}switches\[1\]\.dc: unknown datacenter "dcx" \(did you mean "dc1"\?\)/);
  assert.equal(b.check().issues.length, 2);
});

test('unknown keys from the builder (untyped callers) get a suggestion too', () => {
  const b = new TopologyBuilder().dc('dc1', { subnet: '10.1.0.0/16', gatewayIP: '10.1.0.1' } as never);
  const issues = b.check().issues;
  assert.deepEqual(issues.map((i) => [i.rule, i.path]), [['unknown-key', 'datacenters[0].gatewayIP']]);
  assert.match(issues[0]!.message, /did you mean "gatewayIp"/);
});
