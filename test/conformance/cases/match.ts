/** Match-field families: one probe flow per field (exact, masked, absent/present), hit and miss packets. */
import { OFPVID_PRESENT } from '../../../src/codec/openflow/constants';
import {
  ARP, Family, ICMP, ICMP6, IP6_A, IP6_B, IPV4, IPV6, IP_A, IP_B, MAC_A, MAC_B, MAC_BCAST, TCP, UDP,
  arp, flow, gotoTable, icmp4, ip6, m, nd, out, rawEth, tcp4, udp4, writeMeta, type ConformanceCase,
} from './dsl';

function inPort(): Family {
  const f = new Family('match-in_port');
  for (const p of [1, 2, 4]) {
    const msgs = [flow({ priority: 100, match: [m('in_port', p)], actions: [out(p === 2 ? 3 : 2)] }), flow({ priority: 1, actions: [out(p === 4 ? 1 : 4)] })];
    for (const arrival of [1, 2, 4]) f.add(`in_port=${p}:arrives-on-${arrival}`, msgs, udp4(), { inPort: arrival });
  }
  return f;
}

function eth(): Family {
  const f = new Family('match-eth');
  f.probe('eth_dst-exact', [m('eth_dst', MAC_B)], { hit: udp4(), miss: udp4({ ethDst: 'a2:00:00:00:00:99' }) });
  f.probe('eth_src-exact', [m('eth_src', MAC_A)], { hit: udp4(), miss: udp4({ ethSrc: 'a2:00:00:00:00:77' }) });
  f.probe('eth_dst-multicast-bit', [m('eth_dst', '01:00:00:00:00:00', '01:00:00:00:00:00')], {
    broadcast: rawEth(0x88b5, { dst: MAC_BCAST }),
    unicast: rawEth(0x88b5),
    ipv6mcast: rawEth(0x88b5, { dst: '33:33:00:00:00:01' }),
  });
  f.probe('eth_src-oui-mask', [m('eth_src', 'a2:00:00:00:00:00', 'ff:ff:ff:00:00:00')], { hit: udp4(), miss: udp4({ ethSrc: 'b2:00:00:00:00:01' }) });
  f.probe('eth_dst-low-byte-mask', [m('eth_dst', '00:00:00:00:00:02', '00:00:00:00:00:ff')], { hit: udp4(), miss: udp4({ ethDst: 'a2:00:00:00:00:03' }) });
  f.probe('eth_src+dst', [m('eth_src', MAC_A), m('eth_dst', MAC_B)], { hit: udp4(), swapped: udp4({ ethSrc: MAC_B, ethDst: MAC_A }) });
  return f;
}

function ethType(): Family {
  const f = new Family('match-eth_type');
  const all = { ipv4: udp4(), ipv6: ip6(), arp: arp(), lldp: rawEth(0x88cc, { dst: '01:80:c2:00:00:0e' }), exp: rawEth(0x88b5), tagged_ipv4: udp4({ vlans: [{ vid: 10 }] }) };
  for (const [name, t] of [['ipv4', 0x0800], ['ipv6', 0x86dd], ['arp', 0x0806], ['0x88b5', 0x88b5], ['lldp', 0x88cc]] as const) {
    f.probe(name, [m('eth_type', t)], all);
  }
  return f;
}

function vlan(): Family {
  const f = new Family('match-vlan');
  const pk = {
    untagged: udp4(),
    vid10: udp4({ vlans: [{ vid: 10 }] }),
    vid20pcp5: udp4({ vlans: [{ vid: 20, pcp: 5 }] }),
    vid0prio: udp4({ vlans: [{ vid: 0, pcp: 3 }] }),
    qinq: udp4({ vlans: [{ vid: 100, tpid: 0x88a8 }, { vid: 10 }] }),
  };
  f.probe('vid-absent', [m('vlan_vid', 0)], pk);
  f.probe('vid-present-any', [m('vlan_vid', OFPVID_PRESENT, OFPVID_PRESENT)], pk);
  f.probe('vid=10', [m('vlan_vid', OFPVID_PRESENT | 10)], pk);
  f.probe('vid=20', [m('vlan_vid', OFPVID_PRESENT | 20)], pk);
  f.probe('vid-low-bits-mask', [m('vlan_vid', OFPVID_PRESENT | 0x00a, OFPVID_PRESENT | 0x00f)], pk);
  f.probe('pcp=5', [m('vlan_vid', OFPVID_PRESENT, OFPVID_PRESENT), m('vlan_pcp', 5)], pk);
  f.probe('pcp=0', [m('vlan_vid', OFPVID_PRESENT, OFPVID_PRESENT), m('vlan_pcp', 0)], pk);
  return f;
}

function ipFields(): Family {
  const f = new Family('match-ip');
  const pk = {
    plain: udp4(),
    dscp46: udp4({ dscp: 46 }),
    ecn3: udp4({ ecn: 3 }),
    dscp46ecn1: udp4({ dscp: 46, ecn: 1 }),
    tcp: tcp4(),
    icmp: icmp4(),
  };
  f.probe('ip_dscp=46', [IPV4, m('ip_dscp', 46)], pk);
  f.probe('ip_ecn=3', [IPV4, m('ip_ecn', 3)], pk);
  f.probe('ip_proto=udp', [IPV4, UDP], pk);
  f.probe('ip_proto=tcp', [IPV4, TCP], pk);
  f.probe('ip_proto=icmp', [IPV4, ICMP], pk);
  f.probe('ipv6-dscp', [IPV6, m('ip_dscp', 10)], { hit: ip6({ tclass: 10 << 2 }), miss: ip6({ tclass: 11 << 2 }) });
  f.probe('ipv6-ecn', [IPV6, m('ip_ecn', 2)], { hit: ip6({ tclass: 2 }), miss: ip6({ tclass: 1 }) });
  return f;
}

function ipv4(): Family {
  const f = new Family('match-ipv4');
  const pk = {
    a_to_b: udp4(),
    other_src: udp4({ src: '192.0.2.200' }),
    other_net: udp4({ src: '203.0.113.1', dst: '203.0.113.2' }),
    b_to_a: udp4({ src: IP_B, dst: IP_A }),
  };
  f.probe('src/32', [IPV4, m('ipv4_src', IP_A)], pk);
  f.probe('dst/32', [IPV4, m('ipv4_dst', IP_B)], pk);
  f.probe('src/24', [IPV4, m('ipv4_src', '192.0.2.0', '255.255.255.0')], pk);
  f.probe('dst/16', [IPV4, m('ipv4_dst', '198.51.0.0', '255.255.0.0')], pk);
  f.probe('src/25-upper-half', [IPV4, m('ipv4_src', '192.0.2.128', '255.255.255.128')], pk);
  f.probe('src-noncontiguous-mask', [IPV4, m('ipv4_src', '192.0.0.1', '255.0.0.255')], pk);
  f.probe('src+dst', [IPV4, m('ipv4_src', IP_A), m('ipv4_dst', IP_B)], pk);
  return f;
}

function l4(): Family {
  const f = new Family('match-l4');
  const tp = { http: tcp4({ dport: 80 }), https: tcp4({ dport: 443 }), src1234: tcp4({ sport: 1234, dport: 22 }), udp53: udp4({ dport: 53 }) };
  f.probe('tcp_dst=80', [IPV4, TCP, m('tcp_dst', 80)], tp);
  f.probe('tcp_src=1234', [IPV4, TCP, m('tcp_src', 1234)], tp);
  f.probe('tcp_dst-masked-0x0010/0xfff0', [IPV4, TCP, m('tcp_dst', 0x0010, 0xfff0)], { p16: tcp4({ dport: 16 }), p31: tcp4({ dport: 31 }), p32: tcp4({ dport: 32 }) });
  f.probe('tcp_dst-masked-high', [IPV4, TCP, m('tcp_dst', 0x0100, 0xff00)], { p256: tcp4({ dport: 256 }), p443: tcp4({ dport: 443 }), p80: tcp4({ dport: 80 }) });
  const up = { dns: udp4({ dport: 53 }), ntp: udp4({ dport: 123 }), srcdns: udp4({ sport: 53, dport: 9999 }), tcp53: tcp4({ dport: 53 }) };
  f.probe('udp_dst=53', [IPV4, UDP, m('udp_dst', 53)], up);
  f.probe('udp_src=53', [IPV4, UDP, m('udp_src', 53)], up);
  f.probe('udp_dst-masked', [IPV4, UDP, m('udp_dst', 0x0070, 0xfff0)], { p123: udp4({ dport: 123 }), p112: udp4({ dport: 112 }), p128: udp4({ dport: 128 }) });
  f.probe('tcp6_dst=443', [IPV6, TCP, m('tcp_dst', 443)], { hit: ip6({ l4: 'tcp', dport: 443 }), miss: ip6({ l4: 'tcp', dport: 80 }), udp: ip6({ dport: 443 }) });
  f.probe('udp6_src=5000', [IPV6, UDP, m('udp_src', 5000)], { hit: ip6(), miss: ip6({ sport: 5001 }) });
  return f;
}

function icmpv4(): Family {
  const f = new Family('match-icmpv4');
  const pk = { echo_req: icmp4({ type: 8 }), echo_rep: icmp4({ type: 0 }), unreach_port: icmp4({ type: 3, code: 3 }), unreach_host: icmp4({ type: 3, code: 1 }) };
  f.probe('type=8', [IPV4, ICMP, m('icmpv4_type', 8)], pk);
  f.probe('type=3,code=3', [IPV4, ICMP, m('icmpv4_type', 3), m('icmpv4_code', 3)], pk);
  f.probe('code=1', [IPV4, ICMP, m('icmpv4_code', 1)], pk);
  return f;
}

function arpFields(): Family {
  const f = new Family('match-arp');
  const pk = {
    request: arp({ op: 1 }),
    reply: arp({ op: 2 }),
    req_other_tpa: arp({ op: 1, tpa: '198.51.100.77' }),
    reply_other_sha: arp({ op: 2, sha: 'a2:00:00:00:00:55' }),
  };
  f.probe('op=1', [ARP, m('arp_op', 1)], pk);
  f.probe('op=2', [ARP, m('arp_op', 2)], pk);
  f.probe('spa', [ARP, m('arp_spa', IP_A)], { hit: arp(), miss: arp({ spa: '192.0.2.9' }) });
  f.probe('tpa/24', [ARP, m('arp_tpa', '198.51.100.0', '255.255.255.0')], pk);
  f.probe('tpa/32', [ARP, m('arp_tpa', IP_B)], pk);
  f.probe('sha', [ARP, m('arp_sha', MAC_A)], pk);
  f.probe('tha', [ARP, m('arp_tha', MAC_B)], pk);
  f.probe('tha-zero', [ARP, m('arp_tha', '00:00:00:00:00:00')], pk);
  return f;
}

function ipv6(): Family {
  const f = new Family('match-ipv6');
  const pk = {
    a_to_b: ip6(),
    b_to_a: ip6({ src: IP6_B, dst: IP6_A }),
    other: ip6({ src: '2001:db8:1::5', dst: 'fd00::1' }),
    flabel: ip6({ flabel: 0x12345 }),
  };
  f.probe('src/128', [IPV6, m('ipv6_src', IP6_A)], pk);
  f.probe('dst/128', [IPV6, m('ipv6_dst', IP6_B)], pk);
  f.probe('src/64', [IPV6, m('ipv6_src', '2001:db8::', 'ffff:ffff:ffff:ffff::')], pk);
  f.probe('dst/48', [IPV6, m('ipv6_dst', '2001:db8::', 'ffff:ffff:ffff::')], pk);
  f.probe('flabel', [IPV6, m('ipv6_flabel', 0x12345)], pk);
  f.probe('flabel-masked', [IPV6, m('ipv6_flabel', 0x00045, 0x000ff)], pk);
  return f;
}

function icmpv6(): Family {
  const f = new Family('match-icmpv6');
  const pk = {
    echo: ip6({ l4: 'icmpv6' }),
    ns: nd({ kind: 'ns', sll: MAC_A }),
    na: nd({ kind: 'na', tll: MAC_A }),
    udp: ip6(),
  };
  f.probe('type=128', [IPV6, ICMP6, m('icmpv6_type', 128)], pk);
  f.probe('type=135', [IPV6, ICMP6, m('icmpv6_type', 135)], pk);
  f.probe('type=136,code=0', [IPV6, ICMP6, m('icmpv6_type', 136), m('icmpv6_code', 0)], pk);
  return f;
}

function ndFields(): Family {
  const f = new Family('match-nd');
  const NS = [IPV6, ICMP6, m('icmpv6_type', 135)];
  const NA = [IPV6, ICMP6, m('icmpv6_type', 136)];
  f.probe('ns-target', [...NS, m('ipv6_nd_target', IP6_B)], {
    hit: nd({ kind: 'ns', sll: MAC_A }),
    other_target: nd({ kind: 'ns', target: '2001:db8::99', sll: MAC_A }),
  });
  f.probe('ns-sll', [...NS, m('ipv6_nd_sll', MAC_A)], {
    hit: nd({ kind: 'ns', sll: MAC_A }),
    other_sll: nd({ kind: 'ns', sll: 'a2:00:00:00:00:44' }),
    no_sll_dad: nd({ kind: 'ns', src: '::' }),
  });
  f.probe('na-target', [...NA, m('ipv6_nd_target', IP6_B)], { hit: nd({ kind: 'na', tll: MAC_B }), miss: nd({ kind: 'na', target: '2001:db8::42', tll: MAC_B }) });
  f.probe('na-tll', [...NA, m('ipv6_nd_tll', MAC_B)], { hit: nd({ kind: 'na', tll: MAC_B }), miss: nd({ kind: 'na', tll: MAC_A }), none: nd({ kind: 'na' }) });
  return f;
}

function metadata(): Family {
  const f = new Family('match-metadata');
  const variants: [string, bigint, bigint, bigint, bigint | undefined][] = [
    // what, written value, write mask, matched value, match mask
    ['exact', 0x1234n, 0xffffffffffffffffn, 0x1234n, undefined],
    ['masked-write-masked-match', 0xabn, 0xffn, 0xabn, 0xffn],
    ['high-bits', 0x8000000000000000n, 0x8000000000000000n, 0x8000000000000000n, 0x8000000000000000n],
    ['mismatch', 0x1n, 0xffn, 0x2n, 0xffn],
    ['partial-write-exact-match', 0xffn, 0x0fn, 0x0fn, undefined],
  ];
  for (const [what, v, vm, mv, mm] of variants) {
    const msgs = [
      flow({ table: 0, priority: 10, instructions: [writeMeta(v, vm), gotoTable(1)] }),
      flow({ table: 1, priority: 100, match: [m('metadata', mv, mm)], actions: [out(2)] }),
      flow({ table: 1, priority: 1, actions: [out(3)] }),
    ];
    f.add(what, msgs, udp4());
  }
  // metadata across three tables, two writes combine under masks
  const three = [
    flow({ table: 0, priority: 10, instructions: [writeMeta(0x10n, 0xf0n), gotoTable(1)] }),
    flow({ table: 1, priority: 10, instructions: [writeMeta(0x03n, 0x0fn), gotoTable(2)] }),
    flow({ table: 2, priority: 100, match: [m('metadata', 0x13n, 0xffn)], actions: [out(4)] }),
    flow({ table: 2, priority: 1, actions: [out(3)] }),
  ];
  f.add('two-writes-combine', three, udp4());
  // metadata starts at 0: match metadata=0 in table 0
  f.probe('initial-zero', [m('metadata', 0n)], { any: udp4() });
  // metadata matched with in_port: only the flow for the in_port writes it
  const byPort = [
    flow({ table: 0, priority: 20, match: [m('in_port', 1)], instructions: [writeMeta(1n, 0xffn), gotoTable(1)] }),
    flow({ table: 0, priority: 20, match: [m('in_port', 2)], instructions: [writeMeta(2n, 0xffn), gotoTable(1)] }),
    flow({ table: 1, priority: 100, match: [m('metadata', 1n, 0xffn)], actions: [out(3)] }),
    flow({ table: 1, priority: 100, match: [m('metadata', 2n, 0xffn)], actions: [out(4)] }),
  ];
  f.add('by-in_port:1', byPort, udp4(), { inPort: 1 });
  f.add('by-in_port:2', byPort, udp4(), { inPort: 2 });
  return f;
}

export function matchCases(): ConformanceCase[] {
  return [inPort(), eth(), ethType(), vlan(), ipFields(), ipv4(), l4(), icmpv4(), arpFields(), ipv6(), icmpv6(), ndFields(), metadata()].flatMap((f) => f.cases);
}
