/**
 * parseFlow -> flow_mod objects. The expectations were captured from what `ovs-ofctl -O OpenFlow13 add-flow /
 * mod-flows / del-flows` 3.1 actually sends for each text (decoded with our codec), so they are Open vSwitch's
 * answer, not ours; the lab test re-checks them against a live ovs-ofctl.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Instruction, Match, MessageOf } from '../../../../src/codec/openflow/types';
import { parseFlow, type FlowCommand, type FlowSyntaxWarning } from '../../../../src/openflow/flow-syntax';

type FlowMod = MessageOf<'flow_mod'>;

const DEFAULTS: Omit<FlowMod, 'match' | 'instructions'> = {
  type: 'flow_mod',
  cookie: 0n,
  cookieMask: 0n,
  tableId: 0,
  command: 0,
  idleTimeout: 0,
  hardTimeout: 0,
  priority: 0x8000,
  bufferId: 0xffffffff,
  outPort: 0xffffffff,
  outGroup: 0xffffffff,
  flags: 0,
};

interface Case {
  t: string;
  cmd?: FlowCommand;
  over?: Partial<FlowMod>;
  match: Match;
  instr: Instruction[];
}

const CASES: Case[] = [
  { t: 'priority=100,ip,nw_dst=10.0.0.2,actions=mod_nw_src:10.0.0.1,goto_table:2', over: { priority: 100 }, match: [{ field: 'eth_type', value: 2048 }, { field: 'ipv4_dst', value: '10.0.0.2' }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'ipv4_src', value: '10.0.0.1' } }] }, { type: 'goto_table', tableId: 2 }] },
  { t: 'table=3,priority=5,cookie=0x12,idle_timeout=10,hard_timeout=20,send_flow_rem,check_overlap,reset_counts,ip,actions=drop', over: { cookie: 18n, tableId: 3, idleTimeout: 10, hardTimeout: 20, priority: 5, flags: 7 }, match: [{ field: 'eth_type', value: 2048 }], instr: [] },
  { t: 'cookie=0x10, duration=1.2s, table=1, n_packets=5, n_bytes=100, idle_age=3, priority=5,ip actions=drop', over: { cookie: 16n, tableId: 1, priority: 5 }, match: [{ field: 'eth_type', value: 2048 }], instr: [] },
  { t: 'priority=0 actions=NORMAL', over: { priority: 0 }, match: [], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 0xfffffffa, maxLen: 0 }] }] },
  { t: 'in_port=1,actions=output:2', match: [{ field: 'in_port', value: 1 }], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }] },
  { t: 'in_port=LOCAL,actions=in_port', match: [{ field: 'in_port', value: 0xfffffffe }], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 0xfffffff8, maxLen: 0 }] }] },
  { t: 'in_port=65534,actions=output:1,local', match: [{ field: 'in_port', value: 0xfffffffe }], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }, { type: 'output', port: 0xfffffffe, maxLen: 0 }] }] },
  { t: 'actions=flood', match: [], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 0xfffffffb, maxLen: 0 }] }] },
  { t: 'actions=all', match: [], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 0xfffffffc, maxLen: 0 }] }] },
  { t: 'actions=controller', match: [], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 0xfffffffd, maxLen: 65535 }] }] },
  { t: 'actions=controller:128', match: [], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 0xfffffffd, maxLen: 128 }] }] },
  { t: 'tcp,actions=controller(max_len=100)', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_proto', value: 6 }], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 0xfffffffd, maxLen: 100 }] }] },
  { t: 'actions=drop', match: [], instr: [] },
  { t: 'actions=1,2,3', match: [], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }, { type: 'output', port: 2, maxLen: 0 }, { type: 'output', port: 3, maxLen: 0 }] }] },
  { t: 'actions=output:NORMAL,output:in_port,output:controller,output:local,output:flood,output:all', match: [], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 0xfffffffa, maxLen: 0 }, { type: 'output', port: 0xfffffff8, maxLen: 0 }, { type: 'output', port: 0xfffffffd, maxLen: 65535 }, { type: 'output', port: 0xfffffffe, maxLen: 0 }, { type: 'output', port: 0xfffffffb, maxLen: 0 }, { type: 'output', port: 0xfffffffc, maxLen: 0 }] }] },
  { t: 'dl_src=00:11:22:33:44:55,dl_dst=ff:ff:ff:ff:ff:ff,actions=output:1', match: [{ field: 'eth_src', value: '00:11:22:33:44:55' }, { field: 'eth_dst', value: 'ff:ff:ff:ff:ff:ff' }], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'eth_src=00:11:22:33:44:55/ff:ff:ff:00:00:00,eth_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=drop', match: [{ field: 'eth_src', value: '00:11:22:00:00:00', mask: 'ff:ff:ff:00:00:00' }, { field: 'eth_dst', value: '01:00:00:00:00:00', mask: '01:00:00:00:00:00' }], instr: [] },
  { t: 'dl_type=0x88cc,actions=controller', match: [{ field: 'eth_type', value: 35020 }], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 0xfffffffd, maxLen: 65535 }] }] },
  { t: 'eth_type=0x0800,ip_proto=6,actions=drop', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_proto', value: 6 }], instr: [] },
  { t: 'ip,actions=mod_dl_src:00:11:22:33:44:55,mod_dl_dst:00:11:22:33:44:66,mod_nw_src:1.1.1.1,output:1', match: [{ field: 'eth_type', value: 2048 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'eth_src', value: '00:11:22:33:44:55' } }, { type: 'set_field', field: { field: 'eth_dst', value: '00:11:22:33:44:66' } }, { type: 'set_field', field: { field: 'ipv4_src', value: '1.1.1.1' } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'dl_vlan=10,actions=strip_vlan,output:3', match: [{ field: 'vlan_vid', value: 4106 }], instr: [{ type: 'apply_actions', actions: [{ type: 'pop_vlan' }, { type: 'output', port: 3, maxLen: 0 }] }] },
  { t: 'dl_vlan=10,dl_vlan_pcp=3,actions=pop_vlan,output:3', match: [{ field: 'vlan_vid', value: 4106 }, { field: 'vlan_pcp', value: 3 }], instr: [{ type: 'apply_actions', actions: [{ type: 'pop_vlan' }, { type: 'output', port: 3, maxLen: 0 }] }] },
  { t: 'vlan_tci=0x1000/0x1000,actions=mod_vlan_vid:5,mod_vlan_pcp:2,output:1', match: [{ field: 'vlan_vid', value: 4096, mask: 4096 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'vlan_vid', value: 4101 } }, { type: 'set_field', field: { field: 'vlan_pcp', value: 2 } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'vlan_tci=0,actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:2', match: [{ field: 'vlan_vid', value: 0 }], instr: [{ type: 'apply_actions', actions: [{ type: 'push_vlan', ethertype: 33024 }, { type: 'set_field', field: { field: 'vlan_vid', value: 4196 } }, { type: 'output', port: 2, maxLen: 0 }] }] },
  { t: 'vlan_tci=0x1005,actions=drop', match: [{ field: 'vlan_vid', value: 4101 }, { field: 'vlan_pcp', value: 0 }], instr: [] },
  { t: 'vlan_vid=0x1005,actions=drop', match: [{ field: 'vlan_vid', value: 4101 }], instr: [] },
  { t: 'vlan_vid=0x1000/0x1000,vlan_pcp=2,actions=drop', match: [{ field: 'vlan_vid', value: 4096, mask: 4096 }, { field: 'vlan_pcp', value: 2 }], instr: [] },
  { t: 'vlan_pcp=5,actions=drop', match: [{ field: 'vlan_vid', value: 4096, mask: 4096 }, { field: 'vlan_pcp', value: 5 }], instr: [] },
  { t: 'dl_vlan=0xffff,actions=mod_vlan_vid:7,output:1', match: [{ field: 'vlan_vid', value: 0 }], instr: [{ type: 'apply_actions', actions: [{ type: 'push_vlan', ethertype: 33024 }, { type: 'set_field', field: { field: 'vlan_vid', value: 4103 } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'dl_vlan=5,actions=mod_vlan_vid:6,mod_vlan_pcp:1,output:2', match: [{ field: 'vlan_vid', value: 4101 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'vlan_vid', value: 4102 } }, { type: 'set_field', field: { field: 'vlan_pcp', value: 1 } }, { type: 'output', port: 2, maxLen: 0 }] }] },
  { t: 'ip,nw_src=10.0.0.0/8,nw_dst=10.1.2.3/255.0.255.0,actions=drop', match: [{ field: 'eth_type', value: 2048 }, { field: 'ipv4_src', value: '10.0.0.0', mask: '255.0.0.0' }, { field: 'ipv4_dst', value: '10.0.2.0', mask: '255.0.255.0' }], instr: [] },
  { t: 'ip,ip_src=192.168.1.1,ip_dst=192.168.1.2,actions=mod_nw_dst:192.168.1.3,output:1', match: [{ field: 'eth_type', value: 2048 }, { field: 'ipv4_src', value: '192.168.1.1' }, { field: 'ipv4_dst', value: '192.168.1.2' }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'ipv4_dst', value: '192.168.1.3' } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'ip,nw_proto=47,nw_tos=8,nw_ecn=1,actions=mod_nw_tos:16,output:1', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_dscp', value: 2 }, { field: 'ip_ecn', value: 1 }, { field: 'ip_proto', value: 47 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'ip_dscp', value: 4 } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'ip,ip_dscp=10,ip_ecn=2,actions=set_field:3->ip_ecn,set_field:4->ip_dscp,output:1', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_dscp', value: 10 }, { field: 'ip_ecn', value: 2 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'ip_ecn', value: 3 } }, { type: 'set_field', field: { field: 'ip_dscp', value: 4 } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'ip,nw_tos=5,actions=drop', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_dscp', value: 1 }], instr: [] },
  { t: 'ip,actions=dec_ttl,set_nw_ttl:32,output:1', match: [{ field: 'eth_type', value: 2048 }], instr: [{ type: 'apply_actions', actions: [{ type: 'dec_nw_ttl' }, { type: 'set_nw_ttl', ttl: 32 }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'ip,actions=SET_FIELD:1.1.1.1->ip_src,MOD_NW_DST:1.1.1.2,OUTPUT:3', match: [{ field: 'eth_type', value: 2048 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'ipv4_src', value: '1.1.1.1' } }, { type: 'set_field', field: { field: 'ipv4_dst', value: '1.1.1.2' } }, { type: 'output', port: 3, maxLen: 0 }] }] },
  { t: 'in_port=3,ip,actions=set_field:00:00:5e:00:01:01->eth_src,set_field:10.0.0.1->ip_src,output:in_port', match: [{ field: 'in_port', value: 3 }, { field: 'eth_type', value: 2048 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'eth_src', value: '00:00:5e:00:01:01' } }, { type: 'set_field', field: { field: 'ipv4_src', value: '10.0.0.1' } }, { type: 'output', port: 0xfffffff8, maxLen: 0 }] }] },
  { t: 'tcp,tp_src=80,tp_dst=0x1000/0xf000,actions=mod_tp_src:8080,output:1', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_proto', value: 6 }, { field: 'tcp_src', value: 80 }, { field: 'tcp_dst', value: 4096, mask: 61440 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'tcp_src', value: 8080 } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'tcp,tcp_dst=22,actions=mod_tp_dst:2222,output:1', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_proto', value: 6 }, { field: 'tcp_dst', value: 22 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'tcp_dst', value: 2222 } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'udp,udp_src=53,udp_dst=1024/0xfc00,actions=mod_tp_dst:5353,output:1', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_proto', value: 17 }, { field: 'udp_src', value: 53 }, { field: 'udp_dst', value: 1024, mask: 64512 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'udp_dst', value: 5353 } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'sctp,sctp_src=1,sctp_dst=2,actions=mod_tp_src:3,output:1', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_proto', value: 132 }, { field: 'sctp_src', value: 1 }, { field: 'sctp_dst', value: 2 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'sctp_src', value: 3 } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'udp,tcp_src=5,actions=drop', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_proto', value: 17 }, { field: 'udp_src', value: 5 }], instr: [] },
  { t: 'icmp,icmp_type=8,icmp_code=0,actions=output:1', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_proto', value: 1 }, { field: 'icmpv4_type', value: 8 }, { field: 'icmpv4_code', value: 0 }], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'icmp,tp_src=5,actions=drop', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_proto', value: 1 }, { field: 'icmpv4_type', value: 5 }], instr: [] },
  { t: 'icmp,actions=set_field:3->icmp_type,set_field:1->icmp_code,output:1', match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_proto', value: 1 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'icmpv4_type', value: 3 } }, { type: 'set_field', field: { field: 'icmpv4_code', value: 1 } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,arp_sha=00:11:22:33:44:55,arp_tha=00:00:00:00:00:00,actions=output:1', match: [{ field: 'eth_type', value: 2054 }, { field: 'arp_op', value: 1 }, { field: 'arp_spa', value: '10.0.0.1' }, { field: 'arp_tpa', value: '10.0.0.0', mask: '255.255.255.0' }, { field: 'arp_sha', value: '00:11:22:33:44:55' }, { field: 'arp_tha', value: '00:00:00:00:00:00' }], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'arp,actions=set_field:2->arp_op,set_field:10.0.0.9->arp_spa,set_field:00:00:00:00:00:09->arp_sha,in_port', match: [{ field: 'eth_type', value: 2054 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'arp_op', value: 2 } }, { type: 'set_field', field: { field: 'arp_spa', value: '10.0.0.9' } }, { type: 'set_field', field: { field: 'arp_sha', value: '00:00:00:00:00:09' } }, { type: 'output', port: 0xfffffff8, maxLen: 0 }] }] },
  { t: 'rarp,arp_op=3,actions=drop', match: [{ field: 'eth_type', value: 32821 }, { field: 'arp_op', value: 3 }], instr: [] },
  { t: 'ipv6,ipv6_src=2001:db8::/32,ipv6_dst=::1,ipv6_label=0x12345,actions=set_field:2001:db8::2->ipv6_dst,output:1', match: [{ field: 'eth_type', value: 34525 }, { field: 'ipv6_src', value: '2001:db8::', mask: 'ffff:ffff::' }, { field: 'ipv6_dst', value: '::1' }, { field: 'ipv6_flabel', value: 0x12345 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'ipv6_dst', value: '2001:db8::2' } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'tcp6,ipv6_src=2001:db8::/ffff:ffff::ff,tcp_dst=443,actions=dec_ttl,output:2', match: [{ field: 'eth_type', value: 34525 }, { field: 'ipv6_src', value: '2001:db8::', mask: 'ffff:ffff::ff' }, { field: 'ip_proto', value: 6 }, { field: 'tcp_dst', value: 443 }], instr: [{ type: 'apply_actions', actions: [{ type: 'dec_nw_ttl' }, { type: 'output', port: 2, maxLen: 0 }] }] },
  { t: 'udp6,udp_src=546,actions=drop', match: [{ field: 'eth_type', value: 34525 }, { field: 'ip_proto', value: 17 }, { field: 'udp_src', value: 546 }], instr: [] },
  { t: 'sctp6,tp_dst=9,actions=drop', match: [{ field: 'eth_type', value: 34525 }, { field: 'ip_proto', value: 132 }, { field: 'sctp_dst', value: 9 }], instr: [] },
  { t: 'ipv6,nw_proto=58,actions=drop', match: [{ field: 'eth_type', value: 34525 }, { field: 'ip_proto', value: 58 }], instr: [] },
  { t: 'ipv6,actions=set_field:0x5->ipv6_label,mod_nw_tos:4,output:1', match: [{ field: 'eth_type', value: 34525 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'ipv6_flabel', value: 5 } }, { type: 'set_field', field: { field: 'ip_dscp', value: 1 } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'icmp6,icmpv6_type=135,icmpv6_code=0,nd_target=2001:db8::1,nd_sll=00:11:22:33:44:55,actions=output:1', match: [{ field: 'eth_type', value: 34525 }, { field: 'ip_proto', value: 58 }, { field: 'icmpv6_type', value: 135 }, { field: 'icmpv6_code', value: 0 }, { field: 'ipv6_nd_target', value: '2001:db8::1' }, { field: 'ipv6_nd_sll', value: '00:11:22:33:44:55' }], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'icmp6,icmp_type=136,nd_target=fe80::/64,nd_tll=00:11:22:33:44:66,actions=drop', match: [{ field: 'eth_type', value: 34525 }, { field: 'ip_proto', value: 58 }, { field: 'icmpv6_type', value: 136 }, { field: 'ipv6_nd_target', value: 'fe80::', mask: 'ffff:ffff:ffff:ffff::' }, { field: 'ipv6_nd_tll', value: '00:11:22:33:44:66' }], instr: [] },
  { t: 'icmp6,icmp_type=135,actions=set_field:fe80::1->nd_target,set_field:00:00:00:00:00:01->nd_sll,output:1', match: [{ field: 'eth_type', value: 34525 }, { field: 'ip_proto', value: 58 }, { field: 'icmpv6_type', value: 135 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'ipv6_nd_target', value: 'fe80::1' } }, { type: 'set_field', field: { field: 'ipv6_nd_sll', value: '00:00:00:00:00:01' } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'metadata=0x3/0xff,actions=write_metadata:0x10/0xf0,goto_table:1', match: [{ field: 'metadata', value: 3n, mask: 255n }], instr: [{ type: 'write_metadata', metadata: 16n, mask: 240n }, { type: 'goto_table', tableId: 1 }] },
  { t: 'tun_id=0x5,actions=output:1', match: [{ field: 'tunnel_id', value: 5n }], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'tunnel_id=0x64/0xff,actions=set_field:0x7->tun_id,output:1', match: [{ field: 'tunnel_id', value: 100n, mask: 255n }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'tunnel_id', value: 7n } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'mpls,mpls_label=5,mpls_tc=3,mpls_bos=1,actions=pop_mpls:0x0800,output:1', match: [{ field: 'eth_type', value: 34887 }, { field: 'mpls_tc', value: 3 }, { field: 'mpls_bos', value: 1 }, { field: 'mpls_label', value: 5 }], instr: [{ type: 'apply_actions', actions: [{ type: 'pop_mpls', ethertype: 2048 }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'mplsm,mpls_label=16,actions=drop', match: [{ field: 'eth_type', value: 34888 }, { field: 'mpls_label', value: 16 }], instr: [] },
  { t: 'ip,actions=push_mpls:0x8847,set_field:10->mpls_label,output:1', match: [{ field: 'eth_type', value: 2048 }], instr: [{ type: 'apply_actions', actions: [{ type: 'push_mpls', ethertype: 34887 }, { type: 'set_field', field: { field: 'mpls_label', value: 10 } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'mpls,actions=set_mpls_ttl:3,dec_mpls_ttl,set_mpls_label:5,set_mpls_tc:3,output:1', match: [{ field: 'eth_type', value: 34887 }], instr: [{ type: 'apply_actions', actions: [{ type: 'set_mpls_ttl', ttl: 3 }, { type: 'dec_mpls_ttl' }, { type: 'set_field', field: { field: 'mpls_label', value: 5 } }, { type: 'set_field', field: { field: 'mpls_tc', value: 3 } }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'actions=group:3', match: [], instr: [{ type: 'apply_actions', actions: [{ type: 'group', groupId: 3 }] }] },
  { t: 'actions=set_queue:4,output:1', match: [], instr: [{ type: 'apply_actions', actions: [{ type: 'set_queue', queueId: 4 }, { type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'actions=meter:3,output:1', match: [], instr: [{ type: 'meter', meterId: 3 }, { type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'actions=meter:1,output:1,clear_actions,write_actions(output:2,group:3),write_metadata:0x1/0xff,goto_table:5', match: [], instr: [{ type: 'meter', meterId: 1 }, { type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] }, { type: 'clear_actions' }, { type: 'write_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }, { type: 'group', groupId: 3 }] }, { type: 'write_metadata', metadata: 1n, mask: 255n }, { type: 'goto_table', tableId: 5 }] },
  { t: 'ip,actions=write_actions(mod_nw_dst:10.0.0.1,output:2)', match: [{ field: 'eth_type', value: 2048 }], instr: [{ type: 'write_actions', actions: [{ type: 'set_field', field: { field: 'ipv4_dst', value: '10.0.0.1' } }, { type: 'output', port: 2, maxLen: 0 }] }] },
  { t: 'actions=clear_actions,goto_table:4', match: [], instr: [{ type: 'clear_actions' }, { type: 'goto_table', tableId: 4 }] },
  { t: 'actions=write_metadata:0x1', match: [], instr: [{ type: 'write_metadata', metadata: 1n, mask: 0xffffffffffffffffn }] },
  { t: 'tp_dst=80,actions=drop', match: [], instr: [] },
  { t: 'nw_src=1.2.3.4,arp_op=1,actions=drop', match: [], instr: [] },
  { t: 'icmp6,nd_target=::1,actions=drop', match: [{ field: 'eth_type', value: 34525 }, { field: 'ip_proto', value: 58 }], instr: [] },
  { t: 'icmp6,icmp_type=135,icmp_code=1,nd_target=::1,actions=drop', match: [{ field: 'eth_type', value: 34525 }, { field: 'ip_proto', value: 58 }, { field: 'icmpv6_type', value: 135 }, { field: 'icmpv6_code', value: 1 }], instr: [] },
  { t: 'mpls_label=4,ip,actions=drop', match: [{ field: 'eth_type', value: 2048 }], instr: [] },
  { t: 'cookie=0x5/0xff,ip,actions=output:1', cmd: 'modify', over: { cookie: 5n, cookieMask: 255n, command: 1 }, match: [{ field: 'eth_type', value: 2048 }], instr: [{ type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] }] },
  { t: 'table=2,priority=7,tcp,tp_dst=80,idle_timeout=5,send_flow_rem,actions=drop', cmd: 'modify_strict', over: { tableId: 2, command: 2, idleTimeout: 5, priority: 7, flags: 1 }, match: [{ field: 'eth_type', value: 2048 }, { field: 'ip_proto', value: 6 }, { field: 'tcp_dst', value: 80 }], instr: [] },
  { t: 'cookie=0x5,ip,actions=drop', cmd: 'modify', over: { command: 1 }, match: [{ field: 'eth_type', value: 2048 }], instr: [] },
  { t: 'ip', cmd: 'delete', over: { tableId: 255, command: 3 }, match: [{ field: 'eth_type', value: 2048 }], instr: [] },
  { t: 'table=2,cookie=0x5/0xf,ip,out_port=3,out_group=4', cmd: 'delete', over: { cookie: 5n, cookieMask: 15n, tableId: 2, command: 3, outPort: 3, outGroup: 4 }, match: [{ field: 'eth_type', value: 2048 }], instr: [] },
  { t: '', cmd: 'delete', over: { tableId: 255, command: 3 }, match: [], instr: [] },
  { t: 'priority=7,ip,in_port=2', cmd: 'delete_strict', over: { tableId: 255, command: 4, priority: 7 }, match: [{ field: 'in_port', value: 2 }, { field: 'eth_type', value: 2048 }], instr: [] },
  { t: 'cookie=0x10/-1', cmd: 'delete', over: { cookie: 16n, cookieMask: 0xffffffffffffffffn, tableId: 255, command: 3 }, match: [], instr: [] },
  { t: 'out_port=LOCAL', cmd: 'delete', over: { tableId: 255, command: 3, outPort: 4294967294 }, match: [], instr: [] },
];

describe('parseFlow: flow_mods as ovs-ofctl sends them', () => {
  for (const c of CASES) {
    it(`${c.cmd ?? 'add'} ${c.t || '(empty)'}`, () => {
      const got = parseFlow(c.t, c.cmd ? { command: c.cmd } : {});
      assert.deepEqual(got, { ...DEFAULTS, ...c.over, match: c.match, instructions: c.instr });
    });
  }
});

describe('parseFlow: xsite aliases and spellings', () => {
  const same = (a: string, b: string): void => assert.deepEqual(parseFlow(a), parseFlow(b));
  it('ipv4_src/ipv4_dst are nw_src/nw_dst', () => same('ip,ipv4_src=10.0.0.1,ipv4_dst=10.0.0.0/8,actions=drop', 'ip,nw_src=10.0.0.1,nw_dst=10.0.0.0/8,actions=drop'));
  it('icmpv4_type/icmpv4_code are icmp_type/icmp_code', () => same('icmp,icmpv4_type=3,icmpv4_code=1,actions=drop', 'icmp,icmp_type=3,icmp_code=1,actions=drop'));
  it('ip_src/ip_dst/eth_*/tunnel_id aliases', () => {
    same('ip,ip_src=1.2.3.4,eth_src=00:00:00:00:00:01,tunnel_id=5,actions=drop', 'ip,nw_src=1.2.3.4,dl_src=00:00:00:00:00:01,tun_id=5,actions=drop');
  });
  it('action names and reserved ports are case-insensitive', () => {
    same('ip,actions=Mod_Nw_Src:1.1.1.1,OUTPUT:Local,Dec_TTL,GOTO_TABLE:3', 'ip,actions=mod_nw_src:1.1.1.1,output:local,dec_ttl,goto_table:3');
  });
  it('blanks as separators, "action=" and spaces around actions', () => {
    same('ip nw_dst=10.0.0.1 action=output:1, output:2', 'ip,nw_dst=10.0.0.1,actions=output:1,output:2');
  });
  it('a field given twice keeps the last value (like OVS)', () => same('in_port=1,in_port=2,tcp,udp,actions=drop', 'in_port=2,udp,actions=drop'));
  it('mod_nw_ttl is set_nw_ttl, pop_vlan is strip_vlan', () => {
    same('ip,actions=mod_nw_ttl:9', 'ip,actions=set_nw_ttl:9');
    same('dl_vlan=1,actions=pop_vlan', 'dl_vlan=1,actions=strip_vlan');
  });
  it('mod_vlan_vid after pop_vlan pushes a new tag (OVS does the same)', () => {
    const fm = parseFlow('dl_vlan=3,actions=pop_vlan,mod_vlan_vid:5');
    assert.deepEqual(fm.instructions, [
      {
        type: 'apply_actions',
        actions: [{ type: 'pop_vlan' }, { type: 'push_vlan', ethertype: 0x8100 }, { type: 'set_field', field: { field: 'vlan_vid', value: 0x1005 } }],
      },
    ]);
  });
  it('table=255 means "unspecified": 0 for add, all tables for delete', () => {
    assert.equal(parseFlow('table=255,actions=drop').tableId, 0);
    assert.equal(parseFlow('table=255', { command: 'delete' }).tableId, 255);
  });
  it('empty write_actions() is left out, like ovs-ofctl', () => {
    assert.deepEqual(parseFlow('actions=write_actions()').instructions, []);
    assert.deepEqual(parseFlow('actions=write_actions(drop)').instructions, []);
  });
  it('no_packet_counts / no_byte_counts flags', () => {
    assert.equal(parseFlow('no_packet_counts,no_byte_counts,actions=drop').flags, 0x18);
  });
});

describe('parseFlow: normalization warnings', () => {
  const warnings = (text: string, command?: FlowCommand): FlowSyntaxWarning[] => {
    const out: FlowSyntaxWarning[] = [];
    parseFlow(text, { command, onWarning: (w) => out.push(w) });
    return out;
  };
  it('a transport port without tcp/udp/sctp is dropped and reported', () => {
    const w = warnings('ip,tp_dst=80,actions=drop');
    assert.equal(w.length, 1);
    assert.equal(w[0]!.field, 'tp_dst');
    assert.equal(w[0]!.position, 3);
    assert.match(w[0]!.message, /tp_dst dropped .*tcp/);
  });
  it('nd_sll on a neighbour advertisement is dropped', () => {
    const w = warnings('icmp6,icmp_type=136,nd_sll=00:00:00:00:00:01,actions=drop');
    assert.deepEqual(w.map((x) => x.field), ['nd_sll']);
  });
  it('a modify cookie without mask is ignored with a warning', () => {
    const w = warnings('cookie=0x5,actions=drop', 'modify');
    assert.equal(w.length, 1);
    assert.match(w[0]!.message, /cookie/);
  });
  it('a complete flow has no warnings', () => assert.deepEqual(warnings('tcp,tp_dst=80,actions=drop'), []));
});
