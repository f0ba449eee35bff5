/** Action families: set-field rewrites (NAT-like, checksums), VLAN push/pop, TTL, outputs to reserved ports. */
import { OFPP, OFPVID_PRESENT } from '../../../src/codec/openflow/constants';
import type { Action } from '../../../src/codec/openflow/types';
import {
  ARP, DOWN_PORT, Family, ICMP6, IPV4, IPV6, IP_A, IP_B, MAC_A, MAC_B, MAC_BCAST, TCP, UDP,
  arp, decTtl, flow, icmp4, ip6, m, nd, out, popVlan, pushVlan, rawEth, setField, tcp4, udp4, type ConformanceCase,
} from './dsl';

function setFields(): Family {
  const f = new Family('set-field');
  const one = (what: string, match: Parameters<typeof flow>[0]['match'], actions: Action[], spec: Parameters<Family['add']>[2], real = false) =>
    f.add(what, [flow({ priority: 100, match, actions })], spec, { real });
  one('eth_src', [], [setField('eth_src', 'a2:00:00:00:aa:aa'), out(2)], udp4(), true);
  one('eth_dst', [], [setField('eth_dst', 'a2:00:00:00:bb:bb'), out(2)], udp4(), true);
  one('eth_src+dst-router', [IPV4], [setField('eth_src', 'a2:00:00:00:0f:01'), setField('eth_dst', 'a2:00:00:00:0f:02'), decTtl(), out(3)], tcp4(), true);
  one('ipv4_src-snat-udp', [IPV4, UDP], [setField('ipv4_src', '203.0.113.10'), out(2)], udp4(), true);
  one('ipv4_dst-dnat-tcp', [IPV4, TCP], [setField('ipv4_dst', '10.1.2.3'), out(2)], tcp4(), true);
  one('ipv4-icmp-src', [IPV4], [setField('ipv4_src', '203.0.113.99'), out(2)], icmp4(), true);
  one('napt-tcp-src', [IPV4, TCP], [setField('ipv4_src', '203.0.113.10'), setField('tcp_src', 61000), out(4)], tcp4(), true);
  one('napt-udp-dst', [IPV4, UDP], [setField('ipv4_dst', '10.9.8.7'), setField('udp_dst', 5353), out(4)], udp4(), true);
  one('tcp_dst', [IPV4, TCP], [setField('tcp_dst', 8080), out(2)], tcp4(), true);
  one('udp_src', [IPV4, UDP], [setField('udp_src', 1), out(2)], udp4(), true);
  one('ip_dscp', [IPV4], [setField('ip_dscp', 46), out(2)], udp4({ ecn: 1 }), true);
  one('ip_ecn', [IPV4], [setField('ip_ecn', 2), out(2)], udp4({ dscp: 10 }), true);
  one('ipv6_src', [IPV6], [setField('ipv6_src', '2001:db8:ffff::1'), out(2)], ip6(), true);
  one('ipv6_dst-tcp', [IPV6, TCP], [setField('ipv6_dst', 'fd00::10'), out(2)], ip6({ l4: 'tcp' }), true);
  one('ipv6_flabel', [IPV6], [setField('ipv6_flabel', 0xbeef), out(2)], ip6(), true);
  one('ipv6-udp-ports', [IPV6, UDP], [setField('udp_src', 7), setField('udp_dst', 9), out(2)], ip6(), true);
  one('ipv6-icmpv6-src', [IPV6], [setField('ipv6_src', '2001:db8::77'), out(2)], ip6({ l4: 'icmpv6' }), true);
  one('ipv6_dscp', [IPV6], [setField('ip_dscp', 8), out(2)], ip6({ tclass: 3 }));
  one('vlan_vid-on-tagged', [m('vlan_vid', OFPVID_PRESENT, OFPVID_PRESENT)], [setField('vlan_vid', OFPVID_PRESENT | 300), out(2)], udp4({ vlans: [{ vid: 10, pcp: 2 }] }), true);
  one('vlan_pcp-on-tagged', [m('vlan_vid', OFPVID_PRESENT, OFPVID_PRESENT)], [setField('vlan_pcp', 6), out(2)], udp4({ vlans: [{ vid: 10 }] }));
  one('arp-spa+op', [ARP], [setField('arp_spa', '192.0.2.250'), setField('arp_op', 2), out(2)], arp());
  one('arp-sha+tha+tpa', [ARP], [setField('arp_sha', 'a2:00:00:00:0a:0a'), setField('arp_tha', 'a2:00:00:00:0b:0b'), setField('arp_tpa', '198.51.100.250'), out(2)], arp({ op: 2 }));
  one('nd-target', [IPV6, ICMP6, m('icmpv6_type', 135)], [setField('ipv6_nd_target', '2001:db8::abcd'), out(2)], nd({ kind: 'ns', sll: MAC_A }));
  one('nd-sll', [IPV6, ICMP6, m('icmpv6_type', 135)], [setField('ipv6_nd_sll', 'a2:00:00:00:5e:11'), out(2)], nd({ kind: 'ns', sll: MAC_A }));
  one('nd-tll', [IPV6, ICMP6, m('icmpv6_type', 136)], [setField('ipv6_nd_tll', 'a2:00:00:00:5e:22'), out(2)], nd({ kind: 'na', tll: MAC_B }));
  one('icmpv4-type', [IPV4, m('ip_proto', 1)], [setField('icmpv4_type', 0), out(2)], icmp4());
  one('icmpv6-type', [IPV6, ICMP6], [setField('icmpv6_type', 129), out(2)], ip6({ l4: 'icmpv6' }));
  // rewrite, output, rewrite again, output: each output sees the packet as rewritten at that point
  one('rewrite-between-outputs', [IPV4, UDP], [out(2), setField('ipv4_dst', '10.0.0.99'), out(3), setField('udp_dst', 4000), setField('eth_dst', MAC_BCAST), out(4)], udp4(), true);
  // setting a field to the value it already has
  one('no-op-rewrite', [IPV4], [setField('ipv4_src', IP_A), setField('eth_dst', MAC_B), out(2)], udp4());
  // reverse NAT: both directions
  const nat = [
    flow({ priority: 100, match: [m('in_port', 1), IPV4, m('ipv4_src', IP_A)], actions: [setField('ipv4_src', '203.0.113.1'), out(2)] }),
    flow({ priority: 100, match: [m('in_port', 2), IPV4, m('ipv4_dst', '203.0.113.1')], actions: [setField('ipv4_dst', IP_A), out(1)] }),
  ];
  f.add('nat-pair:outbound', nat, tcp4(), { real: true });
  f.add('nat-pair:inbound', nat, tcp4({ src: IP_B, dst: '203.0.113.1', sport: 80, dport: 40000 }), { inPort: 2, real: true });
  f.add('nat-pair:inbound-unmatched', nat, tcp4({ src: IP_B, dst: '203.0.113.2' }), { inPort: 2 });
  return f;
}

function vlanActions(): Family {
  const f = new Family('vlan-push-pop');
  const one = (what: string, match: Parameters<typeof flow>[0]['match'], actions: Action[], spec: Parameters<Family['add']>[2], real = false) =>
    f.add(what, [flow({ priority: 100, match, actions })], spec, { real });
  one('push+vid', [], [pushVlan(), setField('vlan_vid', OFPVID_PRESENT | 100), out(2)], udp4(), true);
  one('push+vid+pcp', [], [pushVlan(), setField('vlan_vid', OFPVID_PRESENT | 101), setField('vlan_pcp', 5), out(2)], udp4(), true);
  one('push-no-set', [], [pushVlan(), out(2)], udp4());
  one('push-88a8', [], [pushVlan(0x88a8), setField('vlan_vid', OFPVID_PRESENT | 7), out(2)], udp4(), true);
  one('push-on-tagged-copies-tci', [], [pushVlan(), out(2)], udp4({ vlans: [{ vid: 33, pcp: 4 }] }), true);
  one('push-on-tagged-new-vid', [], [pushVlan(0x88a8), setField('vlan_vid', OFPVID_PRESENT | 500), out(2)], udp4({ vlans: [{ vid: 33, pcp: 4 }] }), true);
  one('pop', [m('vlan_vid', OFPVID_PRESENT | 10)], [popVlan(), out(2)], udp4({ vlans: [{ vid: 10 }] }), true);
  one('pop-outer-of-two', [m('vlan_vid', OFPVID_PRESENT, OFPVID_PRESENT)], [popVlan(), out(2)], udp4({ vlans: [{ vid: 100, tpid: 0x88a8 }, { vid: 10 }] }));
  one('pop-arp', [m('vlan_vid', OFPVID_PRESENT | 10)], [popVlan(), out(2)], { ...arp(), vlans: [{ vid: 10 }] });
  one('push-then-pop', [], [pushVlan(), setField('vlan_vid', OFPVID_PRESENT | 9), out(2), popVlan(), out(3)], udp4(), true);
  one('pop-then-push', [m('vlan_vid', OFPVID_PRESENT | 10)], [popVlan(), out(2), pushVlan(), setField('vlan_vid', OFPVID_PRESENT | 20), out(3)], udp4({ vlans: [{ vid: 10, pcp: 1 }] }));
  one('push-ipv6', [IPV6], [pushVlan(), setField('vlan_vid', OFPVID_PRESENT | 42), out(2)], ip6());
  one('push-nonip', [], [pushVlan(), setField('vlan_vid', OFPVID_PRESENT | 43), out(2)], rawEth(0x88b5));
  // translation: match vid 10, rewrite to 20
  const xlate = [
    flow({ priority: 100, match: [m('vlan_vid', OFPVID_PRESENT | 10)], actions: [setField('vlan_vid', OFPVID_PRESENT | 20), out(2)] }),
    flow({ priority: 100, match: [m('vlan_vid', 0)], actions: [pushVlan(), setField('vlan_vid', OFPVID_PRESENT | 10), out(3)] }),
  ];
  f.add('translate:tagged', xlate, udp4({ vlans: [{ vid: 10 }] }));
  f.add('translate:untagged', xlate, udp4());
  f.add('translate:other-vid', xlate, udp4({ vlans: [{ vid: 11 }] }));
  return f;
}

function ttl(): Family {
  const f = new Family('dec-ttl');
  const one = (what: string, match: Parameters<typeof flow>[0]['match'], actions: Action[], spec: Parameters<Family['add']>[2], real = false) =>
    f.add(what, [flow({ priority: 100, match, actions })], spec, { real });
  one('ipv4-64', [IPV4], [decTtl(), out(2)], udp4(), true);
  one('ipv4-2', [IPV4], [decTtl(), out(2)], udp4({ ttl: 2 }));
  one('ipv4-1-expires', [IPV4], [decTtl(), out(2)], udp4({ ttl: 1 }), true);
  one('ipv4-0-expires', [IPV4], [decTtl(), out(2)], udp4({ ttl: 0 }));
  one('ipv4-output-before-dec', [IPV4], [out(3), decTtl(), out(2)], udp4({ ttl: 1 }));
  one('ipv4-twice', [IPV4], [decTtl(), decTtl(), out(2)], tcp4({ ttl: 10 }));
  one('ipv6-hlim', [IPV6], [decTtl(), out(2)], ip6(), true);
  one('ipv6-hlim-1-expires', [IPV6], [decTtl(), out(2)], ip6({ hlim: 1 }));
  one('icmp', [IPV4], [decTtl(), out(2)], icmp4({ ttl: 5 }));
  one('with-vlan', [IPV4], [decTtl(), out(2)], udp4({ vlans: [{ vid: 10 }], ttl: 9 }));
  return f;
}

function outputs(): Family {
  const f = new Family('output');
  const one = (what: string, actions: Action[], spec: Parameters<Family['add']>[2], o: { inPort?: number; real?: boolean } = {}) =>
    f.add(what, [flow({ priority: 100, actions })], spec, o);
  one('single', [out(4)], udp4(), { real: true });
  one('multiple', [out(2), out(3), out(4)], udp4(), { real: true });
  one('same-port-twice', [out(2), out(2)], udp4());
  one('to-in_port-number-dropped', [out(1)], udp4());
  one('in_port-and-other', [out(1), out(2)], udp4());
  one('IN_PORT', [out(OFPP.IN_PORT)], udp4(), { real: true });
  one('IN_PORT-from-3', [out(OFPP.IN_PORT)], udp4(), { inPort: 3 });
  one('FLOOD', [out(OFPP.FLOOD)], udp4(), { real: true });
  one('FLOOD-from-4', [out(OFPP.FLOOD)], rawEth(0x88b5, { dst: MAC_BCAST }), { inPort: 4 });
  one('ALL', [out(OFPP.ALL)], udp4(), { real: true });
  one('ALL-from-2', [out(OFPP.ALL)], arp(), { inPort: 2 });
  one('FLOOD+IN_PORT', [out(OFPP.FLOOD), out(OFPP.IN_PORT)], udp4());
  one('to-down-port', [out(DOWN_PORT)], udp4());
  one('to-nonexistent-port', [out(77)], udp4());
  one('CONTROLLER', [out(OFPP.CONTROLLER)], udp4(), { real: true });
  one('CONTROLLER+port', [out(OFPP.CONTROLLER), out(2)], udp4(), { real: true });
  one('no-actions-drop', [], udp4());
  one('FLOOD-after-rewrite', [setField('eth_dst', MAC_BCAST), out(OFPP.FLOOD)], tcp4());
  return f;
}

export function actionCases(): ConformanceCase[] {
  return [setFields(), vlanActions(), ttl(), outputs()].flatMap((f) => f.cases);
}

