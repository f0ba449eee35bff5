import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arpRequest, ndSolicit, udpPacket } from '../../../../src/codec/packet';
import { extractKey, FlowKey, K } from '../../../../src/emulator/switch';
import { compileMatch } from '../../../../src/emulator/switch/match';

test('flow key: VLAN-tagged UDP', () => {
  const k = new FlowKey();
  extractKey(udpPacket({ srcMac: '00:00:00:00:00:0a', dstMac: '00:00:00:00:00:0b', srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 7, dstPort: 53, vlans: [{ vid: 42, pcp: 3 }] }), k);
  assert.equal(k.w[K.VLAN_VID], 0x1000 | 42);
  assert.equal(k.w[K.VLAN_PCP], 3);
  assert.equal(k.w[K.ETH_TYPE], 0x800);
  assert.equal(k.w[K.IPV4_DST], 0x0a000002);
  assert.deepEqual([k.w[K.IP_PROTO], k.w[K.TP_SRC], k.w[K.TP_DST]], [17, 7, 53]);
  assert.equal(k.ethDst(), 0x0b);
  assert.ok(compileMatch([{ field: 'vlan_vid', value: 0x1000 | 42 }, { field: 'vlan_pcp', value: 3 }, { field: 'eth_type', value: 0x800 }, { field: 'ip_proto', value: 17 }, { field: 'udp_dst', value: 53 }]).matches(k.w));
});

test('flow key: ARP and IPv6 neighbour solicitation', () => {
  const k = new FlowKey();
  extractKey(arpRequest({ srcMac: '00:00:00:00:00:0a', srcIp: '10.0.0.1', targetIp: '10.0.0.9' }), k);
  assert.deepEqual([k.w[K.ETH_TYPE], k.w[K.ARP_OP], k.w[K.ARP_SPA], k.w[K.ARP_TPA], k.w[K.ARP_SHA + 1]], [0x806, 1, 0x0a000001, 0x0a000009, 0x0a]);
  extractKey(ndSolicit({ srcMac: '00:00:00:00:00:0a', srcIp: 'fe80::1', target: 'fe80::2' }), k);
  assert.deepEqual([k.w[K.ETH_TYPE], k.w[K.IP_PROTO], k.w[K.ICMP_TYPE], k.w[K.ND_TARGET + 3], k.w[K.ND_SLL + 1]], [0x86dd, 58, 135, 2, 0x0a]);
  assert.ok(
    compileMatch([
      { field: 'eth_type', value: 0x86dd },
      { field: 'ip_proto', value: 58 },
      { field: 'icmpv6_type', value: 135 },
      { field: 'ipv6_nd_target', value: 'fe80::2' },
      { field: 'ipv6_nd_sll', value: '00:00:00:00:00:0a' },
    ]).matches(k.w),
  );
});

test('match normalisation follows OVS: order, all-ones masks dropped, wildcards dropped', () => {
  const cm = compileMatch([
    { field: 'eth_dst', value: '00:00:00:00:00:01', mask: 'ff:ff:ff:ff:ff:ff' },
    { field: 'eth_src', value: '00:00:00:00:00:00', mask: '00:00:00:00:00:00' },
    { field: 'in_port', value: 2 },
    { field: 'eth_type', value: 0x800 },
    { field: 'ipv4_dst', value: '10.0.0.0', mask: '255.0.0.0' },
  ]);
  assert.deepEqual(cm.match, [
    { field: 'in_port', value: 2 },
    { field: 'eth_dst', value: '00:00:00:00:00:01' },
    { field: 'eth_type', value: 0x800 },
    { field: 'ipv4_dst', value: '10.0.0.0', mask: '255.0.0.0' },
  ]);
});
