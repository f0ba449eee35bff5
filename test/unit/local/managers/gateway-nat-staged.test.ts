/** Staged cross-site flows (a migration's new tuples, ahead of its pause) on the gateway: only what no live packet matches. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DcModel, directoryFromTopology } from '../../../../src/local/dc-model';
import { gatewayNatFlows, natCookie } from '../../../../src/local/managers/gateway-nat';
import type { CrossSiteFlow } from '../../../../src/model/cross-site-flow';
import { cookieLocal } from '../../../../src/pipeline/cookie';
import type { FlowSpec } from '../../../../src/pipeline/flow-builder';
import { twoDcsWithGateways } from '../dc-topology';

const topo = twoDcsWithGateways('vlan');
const dir = directoryFromTopology(topo);
const vm = (n: string) => dir.find((v) => v.name === n)!;
// x9 moves from dc2 to dc1-h2-vs port 7; its TCP flow with y8 (staying in dc2) becomes dc1 <-> dc2 with a new tuple.
const flow: CrossSiteFlow = {
  id: 'tcp|acme/web|192.168.10.8:80|192.168.10.9:5000',
  protocol: 'tcp',
  tenant: 'acme',
  vn: 'web',
  a: { vm: 'y8', ip: vm('y8').ip, mac: vm('y8').mac, dc: 'dc2', port: 80 },
  b: { vm: 'x9', ip: vm('x9').ip, mac: vm('x9').mac, dc: 'dc1', port: 5000 },
  tuple: { protocol: 'tcp', srcPublicIp: '203.0.113.2', dstPublicIp: '203.0.113.1', port: 20001 },
};
const field = (f: FlowSpec, name: string) => (f.match.find((t) => t.field === name) as { value: unknown } | undefined)?.value;
const ofFlow = (flows: FlowSpec[]) => flows.filter((f) => cookieLocal(f.cookie) === natCookie(flow.id));

test('the destination gateway installs a staged flow in both directions: the arriving VM is the local end', () => {
  const dest = DcModel.fromTopology(topo, 'dc1', dir).withMigrations({ incoming: [{ ...vm('x9'), dc: 'dc1', switch: 'dc1-h2-vs', port: 7 }] });
  assert.deepEqual(ofFlow(gatewayNatFlows(dest, 'dc1-gw-sw')), [], 'nothing before it is staged');
  const flows = ofFlow(gatewayNatFlows(dest.withMigrations({ staged: [flow] }), 'dc1-gw-sw'));
  assert.equal(flows.length, 2);
  const inbound = flows.find((f) => field(f, 'in_port') !== undefined)!;
  const outbound = flows.find((f) => field(f, 'in_port') === undefined)!;
  assert.equal(field(inbound, 'tcp_dst'), 5000);
  assert.equal(field(inbound, 'tcp_src'), 20001, 'the new tuple: no packet carries it yet');
  assert.equal(field(outbound, 'ipv4_src'), vm('x9').ip, 'the arriving VM leaving dc1: no packet does that yet');
  // Once the flow is set up for real (the switchover) the staged copy adds nothing.
  const switched = dest.withCrossSite([flow]).withMigrations({ staged: [flow] });
  assert.equal(ofFlow(gatewayNatFlows(switched, 'dc1-gw-sw')).length, 2);
});

test('a peer gateway installs only the inbound flow of a staged flow: its outbound match is the one live traffic uses', () => {
  const peer = DcModel.fromTopology(topo, 'dc2', dir).withMigrations({ staged: [flow] });
  const flows = ofFlow(gatewayNatFlows(peer, 'dc2-gw-sw'));
  assert.equal(flows.length, 1);
  assert.equal(field(flows[0]!, 'in_port'), peer.wanPortTo('dc2-gw-sw', 'dc1-gw-sw'));
  assert.equal(field(flows[0]!, 'tcp_src'), 5000, 'from x9 (b), the tuple port as destination');
  assert.equal(field(flows[0]!, 'tcp_dst'), 20001);
  // Not on other switches, and nothing where the flow has no end.
  assert.deepEqual(ofFlow(gatewayNatFlows(peer, 'dc2-h1-vs')), []);
});
