/** Groups, multi-table pipelines, priorities/overlaps, table-miss, and flows OVS refuses. */
import { OFPFC, OFPFF, OFPP, OFPVID_PRESENT } from '../../../src/codec/openflow/constants';
import {
  DOWN_PORT, Family, GT, IPV4, IPV6, IP_A, IP_B, MAC_A, TCP, UDP,
  apply, arp, bucket, clear, decTtl, flow, gotoTable, group, icmp4, ip6, m, out, popVlan, pushVlan, rawEth, setField, tcp4, toGroup, udp4, write,
  type ConformanceCase,
} from './dsl';

function groups(): Family {
  const f = new Family('group');
  const via = (g: number) => flow({ priority: 100, actions: [toGroup(g)] });
  f.add('all-two-ports', [group(1, GT.ALL, [bucket([out(2)]), bucket([out(3)])]), via(1)], udp4(), { real: true });
  f.add('all-rewrite-per-bucket', [group(1, GT.ALL, [bucket([setField('eth_dst', 'a2:00:00:00:00:22'), out(2)]), bucket([setField('ipv4_dst', '10.3.3.3'), out(3)]), bucket([out(4)])]), via(1)], udp4(), { real: true });
  f.add('all-includes-in_port', [group(1, GT.ALL, [bucket([out(1)]), bucket([out(2)])]), via(1)], udp4());
  f.add('all-empty-bucket', [group(1, GT.ALL, [bucket([]), bucket([out(2)])]), via(1)], udp4());
  f.add('all-no-buckets', [group(1, GT.ALL, []), via(1)], udp4());
  f.add('indirect', [group(7, GT.INDIRECT, [bucket([setField('eth_src', 'a2:00:00:00:77:77'), out(4)])]), via(7)], udp4(), { real: true });
  f.add('indirect-push-vlan', [group(7, GT.INDIRECT, [bucket([pushVlan(), setField('vlan_vid', OFPVID_PRESENT | 77), out(2)])]), via(7)], udp4());
  f.add('chained-indirect-to-all', [
    group(2, GT.ALL, [bucket([out(2)]), bucket([out(3)])]),
    group(1, GT.INDIRECT, [bucket([setField('ipv4_src', '203.0.113.5'), toGroup(2)])]),
    via(1),
  ], udp4(), { real: true });
  f.add('select-single-bucket', [group(3, GT.SELECT, [bucket([out(4)], { weight: 1 })]), via(3)], udp4());
  f.add('select-one-weighted', [group(3, GT.SELECT, [bucket([out(2)], { weight: 0 }), bucket([setField('eth_dst', 'a2:00:00:00:33:33'), out(3)], { weight: 10 }), bucket([out(4)], { weight: 0 })]), via(3)], udp4());
  f.add('select-tcp', [group(3, GT.SELECT, [bucket([out(3)], { weight: 5 })]), via(3)], tcp4());
  f.add('ff-first-live', [group(4, GT.FF, [bucket([out(2)], { watchPort: 2 }), bucket([out(3)], { watchPort: 3 })]), via(4)], udp4(), { real: true });
  f.add('ff-first-down', [group(4, GT.FF, [bucket([out(DOWN_PORT)], { watchPort: DOWN_PORT }), bucket([out(3)], { watchPort: 3 })]), via(4)], udp4(), { real: true });
  f.add('ff-all-down', [group(4, GT.FF, [bucket([out(DOWN_PORT)], { watchPort: DOWN_PORT })]), via(4)], udp4());
  f.add('ff-watch-differs-from-output', [group(4, GT.FF, [bucket([out(2)], { watchPort: DOWN_PORT }), bucket([out(4)], { watchPort: 2 })]), via(4)], udp4());
  f.add('ff-watch-group', [
    group(5, GT.FF, [bucket([out(DOWN_PORT)], { watchPort: DOWN_PORT })]),
    group(4, GT.FF, [bucket([toGroup(5)], { watchGroup: 5 }), bucket([out(3)], { watchPort: 3 })]),
    via(4),
  ], udp4());
  f.add('group-in-write-actions', [group(1, GT.ALL, [bucket([out(2)]), bucket([out(4)])]), flow({ priority: 100, instructions: [write([toGroup(1)])] })], udp4());
  f.add('group-then-output', [group(1, GT.INDIRECT, [bucket([setField('eth_dst', 'a2:00:00:00:00:99'), out(2)])]), flow({ priority: 100, actions: [toGroup(1), out(3)] })], udp4());
  f.add('group-dec-ttl-bucket', [group(1, GT.ALL, [bucket([decTtl(), out(2)]), bucket([out(3)])]), via(1)], udp4({ ttl: 7 }));
  f.add('group-modify', [
    group(1, GT.ALL, [bucket([out(2)])]),
    { type: 'group_mod', command: 1 /* MODIFY */, groupType: GT.ALL, groupId: 1, buckets: [bucket([out(4)])] },
    via(1),
  ], udp4());
  f.add('group-delete-removes-flow', [
    group(1, GT.ALL, [bucket([out(2)])]),
    via(1),
    flow({ priority: 1, actions: [out(3)] }),
    { type: 'group_mod', command: 2 /* DELETE */, groupType: GT.ALL, groupId: 1, buckets: [] },
  ], udp4());
  return f;
}

function multiTable(): Family {
  const f = new Family('pipeline');
  f.add('goto-1', [flow({ table: 0, priority: 10, instructions: [gotoTable(1)] }), flow({ table: 1, priority: 10, actions: [out(2)] })], udp4(), { real: true });
  f.add('goto-skip-tables', [flow({ table: 0, priority: 10, instructions: [gotoTable(5)] }), flow({ table: 5, priority: 10, actions: [out(3)] })], udp4());
  f.add('goto-miss-in-next', [flow({ table: 0, priority: 10, instructions: [gotoTable(1)] })], udp4());
  f.add('apply-then-goto', [
    flow({ table: 0, priority: 10, instructions: [apply([setField('eth_dst', 'a2:00:00:00:01:01'), out(2)]), gotoTable(1)] }),
    flow({ table: 1, priority: 10, actions: [out(3)] }),
  ], udp4(), { real: true });
  f.add('rewrite-visible-to-next-match', [
    flow({ table: 0, priority: 10, instructions: [apply([setField('ipv4_dst', '10.5.5.5')]), gotoTable(1)] }),
    flow({ table: 1, priority: 100, match: [IPV4, m('ipv4_dst', '10.5.5.5')], actions: [out(2)] }),
    flow({ table: 1, priority: 1, actions: [out(3)] }),
  ], udp4());
  f.add('write-actions-executed-at-end', [
    flow({ table: 0, priority: 10, instructions: [write([out(2)]), gotoTable(1)] }),
    flow({ table: 1, priority: 10, actions: [out(3)] }),
  ], udp4());
  f.add('write-set-field-applies-before-output', [
    flow({ table: 0, priority: 10, instructions: [write([out(2), setField('eth_src', 'a2:00:00:00:02:02')])] }),
  ], udp4());
  f.add('write-overrides-same-type', [
    flow({ table: 0, priority: 10, instructions: [write([out(2)]), gotoTable(1)] }),
    flow({ table: 1, priority: 10, instructions: [write([out(4)])] }),
  ], udp4());
  f.add('write-set-fields-merge', [
    flow({ table: 0, priority: 10, instructions: [write([setField('eth_src', 'a2:00:00:00:03:03'), out(2)]), gotoTable(1)] }),
    flow({ table: 1, priority: 10, instructions: [write([setField('eth_dst', 'a2:00:00:00:04:04')])] }),
  ], udp4());
  f.add('clear-actions', [
    flow({ table: 0, priority: 10, instructions: [write([out(2)]), gotoTable(1)] }),
    flow({ table: 1, priority: 10, instructions: [clear()] }),
  ], udp4());
  f.add('clear-then-write', [
    flow({ table: 0, priority: 10, instructions: [write([out(2)]), gotoTable(1)] }),
    flow({ table: 1, priority: 10, instructions: [clear(), write([out(4)])] }),
  ], udp4());
  f.add('write-set-ipv4-without-prereq-refused', [
    flow({ table: 0, priority: 10, instructions: [write([setField('ipv4_src', '203.0.113.7'), out(2)])] }),
  ], udp4());
  f.add('write-then-miss', [
    flow({ table: 0, priority: 10, instructions: [write([out(2)]), gotoTable(1)] }),
  ], udp4());
  f.add('write-push-set-output', [
    flow({ table: 0, priority: 10, instructions: [write([pushVlan(), setField('vlan_vid', OFPVID_PRESENT | 55), out(2)])] }),
  ], udp4());
  f.add('write-listed-set-before-push-refused', [
    flow({ table: 0, priority: 10, instructions: [write([out(2), setField('vlan_vid', OFPVID_PRESENT | 55), pushVlan()])] }),
  ], udp4());
  f.add('write-pop-and-dec-ttl', [
    flow({ table: 0, priority: 10, match: [m('vlan_vid', OFPVID_PRESENT, OFPVID_PRESENT)], instructions: [write([out(3), decTtl(), popVlan()])] }),
  ], udp4({ vlans: [{ vid: 10 }] }));
  f.add('apply-and-write', [
    flow({ table: 0, priority: 10, match: [IPV4, UDP], instructions: [apply([out(4)]), write([setField('udp_dst', 9), out(2)])] }),
  ], udp4());
  f.add('three-tables-accumulate', [
    flow({ table: 0, priority: 10, instructions: [apply([setField('eth_src', 'a2:00:00:00:0a:0a')]), gotoTable(1)] }),
    flow({ table: 1, priority: 10, match: [IPV4], instructions: [write([setField('ipv4_src', '203.0.113.7')]), gotoTable(2)] }),
    flow({ table: 2, priority: 10, instructions: [write([out(3)])] }),
  ], udp4(), { real: true });
  f.add('per-table-priorities', [
    flow({ table: 0, priority: 5, match: [IPV4], instructions: [gotoTable(1)] }),
    flow({ table: 0, priority: 1, actions: [out(4)] }),
    flow({ table: 1, priority: 50, match: [IPV4, UDP], actions: [out(2)] }),
    flow({ table: 1, priority: 60, match: [IPV4, m('ipv4_src', IP_A)], actions: [out(3)] }),
  ], udp4());
  return f;
}

function priorities(): Family {
  const f = new Family('priority');
  const overl = [
    flow({ priority: 10, match: [], actions: [out(4)] }),
    flow({ priority: 100, match: [IPV4], actions: [out(3)] }),
    flow({ priority: 200, match: [IPV4, m('ipv4_dst', IP_B)], actions: [out(2)] }),
    flow({ priority: 300, match: [IPV4, UDP, m('udp_dst', 53)], actions: [] }),
  ];
  f.add('overlap:specific-udp53-drop', overl, udp4({ dport: 53 }));
  f.add('overlap:dst-match', overl, udp4({ dport: 54 }));
  f.add('overlap:ipv4-other-dst', overl, tcp4({ dst: '203.0.113.9' }));
  f.add('overlap:non-ip', overl, arp());
  f.add('overlap:ipv6', overl, ip6());
  const inverted = [
    flow({ priority: 500, match: [], actions: [out(4)] }),
    flow({ priority: 100, match: [IPV4, m('ipv4_dst', IP_B)], actions: [out(2)] }),
  ];
  f.add('catch-all-higher-wins', inverted, udp4());
  f.add('priority-0-flow', [flow({ priority: 0, actions: [out(2)] })], udp4());
  f.add('priority-65535', [flow({ priority: 65535, match: [IPV4], actions: [out(2)] }), flow({ priority: 65534, actions: [out(3)] })], udp4());
  f.add('add-replaces-identical', [flow({ priority: 100, match: [IPV4], actions: [out(2)] }), flow({ priority: 100, match: [IPV4], actions: [out(3)] })], udp4());
  f.add('modify-changes-actions', [
    flow({ priority: 100, match: [IPV4], actions: [out(2)] }),
    flow({ priority: 100, match: [IPV4], actions: [out(4)], command: OFPFC.MODIFY }),
  ], udp4());
  f.add('modify-strict-other-priority-noop', [
    flow({ priority: 100, match: [IPV4], actions: [out(2)] }),
    flow({ priority: 99, match: [IPV4], actions: [out(4)], command: OFPFC.MODIFY_STRICT }),
  ], udp4());
  f.add('delete-strict', [
    flow({ priority: 100, match: [IPV4], actions: [out(2)] }),
    flow({ priority: 50, match: [], actions: [out(3)] }),
    flow({ priority: 100, match: [IPV4], command: OFPFC.DELETE_STRICT }),
  ], udp4());
  f.add('delete-nonstrict-wildcard', [
    flow({ priority: 100, match: [IPV4, UDP], actions: [out(2)] }),
    flow({ priority: 50, match: [], actions: [out(3)] }),
    flow({ priority: 0, match: [IPV4], command: OFPFC.DELETE }),
  ], udp4());
  f.add('modify-nonexistent-adds-nothing', [flow({ priority: 100, match: [IPV4], actions: [out(2)], command: OFPFC.MODIFY })], udp4());
  f.add('equal-priority-disjoint', [
    flow({ priority: 100, match: [IPV4, UDP], actions: [out(2)] }),
    flow({ priority: 100, match: [IPV4, TCP], actions: [out(3)] }),
  ], tcp4());
  return f;
}

function tableMiss(): Family {
  const f = new Family('table-miss');
  f.add('empty-table-drops', [], udp4());
  f.add('no-match-drops', [flow({ priority: 100, match: [IPV6], actions: [out(2)] })], udp4());
  f.add('miss-flow-to-port', [flow({ priority: 0, actions: [out(4)] })], udp4(), { real: true });
  f.add('miss-flow-to-controller', [flow({ priority: 0, actions: [out(OFPP.CONTROLLER)] })], udp4(), { real: true });
  f.add('controller-in-write-actions', [flow({ priority: 10, instructions: [write([out(OFPP.CONTROLLER)])] })], udp4(), { real: true });
  f.add('controller-in-group', [group(1, GT.ALL, [bucket([out(OFPP.CONTROLLER)]), bucket([out(2)])]), flow({ priority: 10, actions: [toGroup(1)] })], udp4(), { real: true });
  f.add('miss-flow-in-table-1', [flow({ table: 0, priority: 0, instructions: [gotoTable(1)] }), flow({ table: 1, priority: 0, actions: [out(2)] })], arp());
  f.add('miss-flow-goto-then-drop', [flow({ table: 0, priority: 0, instructions: [gotoTable(1)] })], icmp4());
  f.add('arp-matches-nothing', [flow({ priority: 100, match: [IPV4], actions: [out(2)] })], arp());
  f.add('ipv6-matches-nothing', [flow({ priority: 100, match: [IPV4, UDP], actions: [out(2)] })], ip6());
  f.add('raw-ethertype-matches-nothing', [flow({ priority: 100, match: [m('eth_dst', MAC_A)], actions: [out(2)] })], rawEth(0x9000));
  f.add('vlan-matches-nothing', [flow({ priority: 100, match: [m('vlan_vid', 0)], actions: [out(2)] })], udp4({ vlans: [{ vid: 5 }] }));
  return f;
}

function rejected(): Family {
  const f = new Family('rejected');
  f.add('set-ipv4-without-prereq', [flow({ priority: 100, actions: [setField('ipv4_src', '1.2.3.4'), out(2)] })], udp4());
  f.add('match-tcp-port-without-proto', [flow({ priority: 100, match: [IPV4, m('tcp_dst', 80)], actions: [out(2)] })], tcp4());
  f.add('match-ipv4-without-eth_type', [flow({ priority: 100, match: [m('ipv4_src', IP_A)], actions: [out(2)] })], udp4());
  f.add('match-pcp-without-vid', [flow({ priority: 100, match: [m('vlan_pcp', 3)], actions: [out(2)] })], udp4({ vlans: [{ vid: 1, pcp: 3 }] }));
  f.add('output-to-missing-group', [flow({ priority: 100, actions: [toGroup(99)] })], udp4());
  f.add('goto-backwards', [flow({ table: 2, priority: 100, instructions: [gotoTable(1)] })], udp4());
  f.add('goto-same-table', [flow({ table: 1, priority: 100, instructions: [gotoTable(1)] })], udp4());
  f.add('group-bucket-to-missing-group', [group(1, GT.INDIRECT, [bucket([toGroup(42)])])], udp4());
  f.add('indirect-two-buckets', [group(1, GT.INDIRECT, [bucket([out(2)]), bucket([out(3)])])], udp4());
  f.add('group-add-duplicate', [group(1, GT.ALL, [bucket([out(2)])]), group(1, GT.ALL, [bucket([out(3)])])], udp4());
  f.add('ipv4-mask-bits-outside-value', [flow({ priority: 100, match: [IPV4, m('ipv4_dst', '198.51.100.2', '255.255.255.0')], actions: [out(2)] })], udp4());
  f.add('check-overlap', [
    flow({ priority: 100, match: [IPV4], actions: [out(2)] }),
    flow({ priority: 100, match: [IPV4, UDP], actions: [out(3)], flags: OFPFF.CHECK_OVERLAP }),
  ], udp4());
  f.add('set-tcp-port-on-udp-flow', [flow({ priority: 100, match: [IPV4, UDP], actions: [setField('tcp_dst', 1), out(2)] })], udp4());
  f.add('pop-vlan-untagged-match', [flow({ priority: 100, match: [m('vlan_vid', 0)], actions: [popVlan(), out(2)] })], udp4());
  f.add('ipv6-field-on-ipv4', [flow({ priority: 100, match: [IPV4, m('ipv6_src', '2001:db8::1')], actions: [out(2)] })], udp4());
  f.add('bad-table-id', [flow({ table: 254, priority: 100, actions: [out(2)] })], udp4());
  f.add('output-port-0', [flow({ priority: 100, actions: [out(0)] })], udp4());
  return f;
}

export function pipelineCases(): ConformanceCase[] {
  return [groups(), multiTable(), priorities(), tableMiss(), rejected()].flatMap((f) => f.cases);
}

