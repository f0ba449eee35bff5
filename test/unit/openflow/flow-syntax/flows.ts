/**
 * Flows in ovs-ofctl syntax that Open vSwitch 3.1 accepts with `-O OpenFlow13`, covering every field, shorthand,
 * action and instruction the flow-syntax module supports. Shared by the unit tests (format round trips) and the
 * lab test (each must encode to the same flow_mod as `ovs-ofctl -O OpenFlow13 parse-flow`).
 */
export const OVS_FLOWS: readonly string[] = [
  // flow keywords
  'priority=100,ip,nw_dst=10.0.0.2,actions=mod_nw_src:10.0.0.1,goto_table:2',
  'table=3,priority=5,cookie=0x12,idle_timeout=10,hard_timeout=20,send_flow_rem,check_overlap,reset_counts,ip,actions=drop',
  'cookie=0x10, duration=1.2s, table=1, n_packets=5, n_bytes=100, idle_age=3, priority=5,ip actions=drop',
  'priority=0 actions=NORMAL',
  // output actions and ports
  'in_port=1,actions=output:2',
  'in_port=LOCAL,actions=in_port',
  'in_port=65534,actions=output:1,local',
  'actions=flood',
  'actions=all',
  'actions=controller',
  'actions=controller:128',
  'tcp,actions=controller(max_len=100)',
  'actions=drop',
  'actions=1,2,3',
  'actions=output:NORMAL,output:in_port,output:controller,output:local,output:flood,output:all',
  // Ethernet
  'dl_src=00:11:22:33:44:55,dl_dst=ff:ff:ff:ff:ff:ff,actions=output:1',
  'eth_src=00:11:22:33:44:55/ff:ff:ff:00:00:00,eth_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=drop',
  'dl_type=0x88cc,actions=controller',
  'eth_type=0x0800,ip_proto=6,actions=drop',
  'ip,actions=mod_dl_src:00:11:22:33:44:55,mod_dl_dst:00:11:22:33:44:66,mod_nw_src:1.1.1.1,output:1',
  // VLAN
  'dl_vlan=10,actions=strip_vlan,output:3',
  'dl_vlan=10,dl_vlan_pcp=3,actions=pop_vlan,output:3',
  'vlan_tci=0x1000/0x1000,actions=mod_vlan_vid:5,mod_vlan_pcp:2,output:1',
  'vlan_tci=0,actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:2',
  'vlan_tci=0x1005,actions=drop',
  'vlan_vid=0x1005,actions=drop',
  'vlan_vid=0x1000/0x1000,vlan_pcp=2,actions=drop',
  'vlan_pcp=5,actions=drop',
  'dl_vlan=0xffff,actions=mod_vlan_vid:7,output:1',
  'dl_vlan=5,actions=mod_vlan_vid:6,mod_vlan_pcp:1,output:2',
  // IPv4
  'ip,nw_src=10.0.0.0/8,nw_dst=10.1.2.3/255.0.255.0,actions=drop',
  'ip,ip_src=192.168.1.1,ip_dst=192.168.1.2,actions=mod_nw_dst:192.168.1.3,output:1',
  'ip,nw_proto=47,nw_tos=8,nw_ecn=1,actions=mod_nw_tos:16,output:1',
  'ip,ip_dscp=10,ip_ecn=2,actions=set_field:3->ip_ecn,set_field:4->ip_dscp,output:1',
  'ip,nw_tos=5,actions=drop',
  'ip,actions=dec_ttl,set_nw_ttl:32,output:1',
  'ip,actions=SET_FIELD:1.1.1.1->ip_src,MOD_NW_DST:1.1.1.2,OUTPUT:3',
  'in_port=3,ip,actions=set_field:00:00:5e:00:01:01->eth_src,set_field:10.0.0.1->ip_src,output:in_port',
  // transport
  'tcp,tp_src=80,tp_dst=0x1000/0xf000,actions=mod_tp_src:8080,output:1',
  'tcp,tcp_dst=22,actions=mod_tp_dst:2222,output:1',
  'udp,udp_src=53,udp_dst=1024/0xfc00,actions=mod_tp_dst:5353,output:1',
  'sctp,sctp_src=1,sctp_dst=2,actions=mod_tp_src:3,output:1',
  'udp,tcp_src=5,actions=drop',
  'icmp,icmp_type=8,icmp_code=0,actions=output:1',
  'icmp,tp_src=5,actions=drop',
  'icmp,actions=set_field:3->icmp_type,set_field:1->icmp_code,output:1',
  // ARP
  'arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,arp_sha=00:11:22:33:44:55,arp_tha=00:00:00:00:00:00,actions=output:1',
  'arp,actions=set_field:2->arp_op,set_field:10.0.0.9->arp_spa,set_field:00:00:00:00:00:09->arp_sha,in_port',
  'rarp,arp_op=3,actions=drop',
  // IPv6, ICMPv6, ND
  'ipv6,ipv6_src=2001:db8::/32,ipv6_dst=::1,ipv6_label=0x12345,actions=set_field:2001:db8::2->ipv6_dst,output:1',
  'tcp6,ipv6_src=2001:db8::/ffff:ffff::ff,tcp_dst=443,actions=dec_ttl,output:2',
  'udp6,udp_src=546,actions=drop',
  'sctp6,tp_dst=9,actions=drop',
  'ipv6,nw_proto=58,actions=drop',
  'ipv6,actions=set_field:0x5->ipv6_label,mod_nw_tos:4,output:1',
  'icmp6,icmpv6_type=135,icmpv6_code=0,nd_target=2001:db8::1,nd_sll=00:11:22:33:44:55,actions=output:1',
  'icmp6,icmp_type=136,nd_target=fe80::/64,nd_tll=00:11:22:33:44:66,actions=drop',
  'icmp6,icmp_type=135,actions=set_field:fe80::1->nd_target,set_field:00:00:00:00:00:01->nd_sll,output:1',
  // metadata, tunnel
  'metadata=0x3/0xff,actions=write_metadata:0x10/0xf0,goto_table:1',
  'tun_id=0x5,actions=output:1',
  'tunnel_id=0x64/0xff,actions=set_field:0x7->tun_id,output:1',
  // MPLS
  'mpls,mpls_label=5,mpls_tc=3,mpls_bos=1,actions=pop_mpls:0x0800,output:1',
  'mplsm,mpls_label=16,actions=drop',
  'ip,actions=push_mpls:0x8847,set_field:10->mpls_label,output:1',
  'mpls,actions=set_mpls_ttl:3,dec_mpls_ttl,set_mpls_label:5,set_mpls_tc:3,output:1',
  // groups, queues, meters, instructions
  'actions=group:3',
  'actions=set_queue:4,output:1',
  'actions=meter:3,output:1',
  'actions=meter:1,output:1,clear_actions,write_actions(output:2,group:3),write_metadata:0x1/0xff,goto_table:5',
  'ip,actions=write_actions(mod_nw_dst:10.0.0.1,output:2)',
  'actions=clear_actions,goto_table:4',
  'actions=write_metadata:0x1',
  // fields dropped for a missing prerequisite, as OVS does
  'tp_dst=80,actions=drop',
  'nw_src=1.2.3.4,arp_op=1,actions=drop',
  'icmp6,nd_target=::1,actions=drop',
  'icmp6,icmp_type=135,icmp_code=1,nd_target=::1,actions=drop',
  'mpls_label=4,ip,actions=drop',
];

/** Groups in ovs-ofctl syntax that OVS 3.1 accepts for OpenFlow 1.3. */
export const OVS_GROUPS: readonly string[] = [
  'group_id=1,type=select,bucket=weight:10,watch_port:3,actions=output:1,bucket=output:2',
  'group_id=1,type=all,bucket=output:1,bucket=mod_dl_src:00:00:00:00:00:01,output:2',
  'group_id=5,type=fast_failover,bucket=watch_port:1,output:1,bucket=watch_port:2,watch_group:3,output:2',
  'group_id=5,type=indirect,bucket=actions=output:1',
  'group_id=7,type=ff,bucket=watch_port:4,actions=mod_vlan_vid:5,output:4',
  'group_id=2,type=all,bucket=set_field:1.1.1.1->ip_src,dec_ttl,output:1,bucket=push_mpls:0x8847,group:1',
  'group_id=3,type=select,bucket=weight:0,output:1,bucket=weight:2,watch_group:4,output:2',
  'group_id=9,type=all',
];
