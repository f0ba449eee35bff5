import assert from 'node:assert/strict';
import { isXsiteError } from '../../../../src/core/errors';
import { parseTopology, type TopologyIssue } from '../../../../src/emulator/topology';

/**
 * A small valid topology; tests append sections to it. Its lines (1-based):
 *  1 datacenters:            5 switches:                     10 hosts:
 *  2   - dc1                 6   - gw1 (dc1, gateway)         11   - h1 (dc1, vs1, 10.1.0.1)
 *  3   - dc2                 7   - vs1 (dc1, host)            12 tenants:
 *  4   - (blank)             8   - gw2 (dc2, gateway)         13   - name: t1
 *                            9   - vs2 (dc2, host)            14     vns: [v1 192.168.10.0/24, v2 192.168.10.0/24]
 */
export const BASE = `datacenters:
  - { name: dc1, subnet: 10.1.0.0/16 }
  - { name: dc2, subnet: 10.2.0.0/16 }

switches:
  - { name: gw1, dc: dc1, role: gateway }
  - { name: vs1, dc: dc1, role: host }
  - { name: gw2, dc: dc2, role: gateway }
  - { name: vs2, dc: dc2, role: host }
hosts:
  - { name: h1, dc: dc1, switch: vs1, address: 10.1.0.1 }
tenants:
  - name: t1
    vns: [{ name: v1, subnet: 192.168.10.0/24 }, { name: v2, subnet: 192.168.10.0/24 }]
`;
/** Number of lines of {@link BASE}: the first appended line is BASE_LINES + 1. */
export const BASE_LINES = 14;

/** Parses `yaml` expecting TOPOLOGY_INVALID; returns the reported errors. */
export function errorsOf(yaml: string, source = 'test.yaml'): TopologyIssue[] {
  try {
    parseTopology(yaml, source);
  } catch (e) {
    assert.ok(isXsiteError(e, 'TOPOLOGY_INVALID'), `expected TOPOLOGY_INVALID, got ${String(e)}`);
    const errors = (e.details as { errors: TopologyIssue[] }).errors;
    assert.ok(Array.isArray(errors) && errors.length > 0);
    return errors;
  }
  assert.fail('expected TOPOLOGY_INVALID, but the topology is valid');
}

/** Asserts that `yaml` fails with exactly one error with this rule, path and line; returns it. */
export function oneError(yaml: string, want: { rule: string; path: string; line: number }): TopologyIssue {
  const errors = errorsOf(yaml);
  assert.equal(errors.length, 1, `expected one error, got:\n${errors.map((e) => `${e.line}: ${e.path}: ${e.message}`).join('\n')}`);
  const e = errors[0]!;
  assert.deepEqual({ rule: e.rule, path: e.path, line: e.line }, want, e.message);
  assert.equal(typeof e.col, 'number');
  return e;
}
