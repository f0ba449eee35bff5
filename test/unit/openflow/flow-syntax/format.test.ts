/**
 * formatFlow / formatMatch / formatActions / formatInstructions / formatGroup: dump-flows style text, and the
 * round trip format -> parse -> format being stable. (That the text is exactly what OVS prints is checked in
 * test/lab/flow-syntax-ovs.test.ts against ovs-ofctl itself.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowStats, GroupDesc, Match } from '../../../../src/codec/openflow/types';
import {
  formatActions,
  formatDuration,
  formatFlow,
  formatGroup,
  formatInstructions,
  formatMatch,
  parseFlow,
  parseGroup,
  type FlowCommand,
} from '../../../../src/openflow/flow-syntax';
import { OVS_FLOWS, OVS_GROUPS } from './flows';

describe('format(parse(x)) round trips', () => {
  for (const flow of OVS_FLOWS) {
    it(flow, () => {
      const fm = parseFlow(flow);
      const text = formatFlow(fm);
      const again = parseFlow(text);
      assert.deepEqual(again, fm, `re-parsing "${text}" gives another flow_mod`);
      assert.equal(formatFlow(again), text, 'format -> parse -> format is not stable');
    });
  }

  const commands: [FlowCommand, string, string][] = [
    ['modify', 'cookie=0x5/0xff,ip,actions=output:1', 'cookie=0x5/0xff, ip actions=output:1'],
    ['modify_strict', 'table=2,priority=7,tcp,tp_dst=80,idle_timeout=5,send_flow_rem,actions=drop', 'table=2, idle_timeout=5, send_flow_rem priority=7,tcp,tp_dst=80 actions=drop'],
    ['delete', 'table=2,cookie=0x5/0xf,ip,out_port=3,out_group=4', 'cookie=0x5/0xf, table=2, out_port=3, out_group=4, ip'],
    ['delete', '', ''],
    ['delete_strict', 'priority=7,ip,in_port=LOCAL', 'priority=7,ip,in_port=LOCAL'],
  ];
  for (const [command, flow, expected] of commands) {
    it(`${command}: ${flow}`, () => {
      const fm = parseFlow(flow, { command });
      const text = formatFlow(fm);
      assert.equal(text, expected);
      assert.deepEqual(parseFlow(text, { command }), fm);
    });
  }

  for (const group of OVS_GROUPS) {
    it(`group ${group}`, () => {
      const gm = parseGroup(group);
      const text = formatGroup(gm);
      assert.deepEqual(parseGroup(text), gm);
      assert.equal(formatGroup(parseGroup(text)), text);
    });
  }
});

describe('formatFlow', () => {
  const stats = (over: Partial<FlowStats> = {}): FlowStats => ({
    tableId: 1,
    durationSec: 12,
    durationNsec: 345_000_000,
    priority: 100,
    idleTimeout: 0,
    hardTimeout: 0,
    flags: 0,
    cookie: 0x2an,
    packetCount: 7n,
    byteCount: 686n,
    match: parseFlow('ip,nw_dst=10.0.0.2,actions=drop').match,
    instructions: parseFlow('ip,actions=mod_nw_src:10.0.0.1,goto_table:2').instructions,
    ...over,
  });

  it('prints flow stats like dump-flows', () => {
    assert.equal(
      formatFlow(stats()),
      'cookie=0x2a, duration=12.345s, table=1, n_packets=7, n_bytes=686, priority=100,ip,nw_dst=10.0.0.2 actions=set_field:10.0.0.1->ip_src,goto_table:2',
    );
  });
  it('stats always show cookie and table; duration can be left out', () => {
    assert.equal(
      formatFlow(stats({ cookie: 0n, tableId: 0, idleTimeout: 5, flags: 1, priority: 0x8000, match: [] }), { duration: false }),
      'cookie=0x0, table=0, n_packets=7, n_bytes=686, idle_timeout=5, send_flow_rem actions=set_field:10.0.0.1->ip_src,goto_table:2',
    );
  });
  it('a dump-flows line parses back (stats keywords ignored)', () => {
    const line = formatFlow(stats());
    const fm = parseFlow(line);
    assert.equal(fm.cookie, 0x2an);
    assert.equal(fm.tableId, 1);
    assert.equal(fm.priority, 100);
    assert.deepEqual(fm.match, stats().match);
    assert.deepEqual(fm.instructions, stats().instructions);
  });
  it('a flow_mod prints only what differs from the defaults', () => {
    assert.equal(formatFlow(parseFlow('actions=drop')), 'actions=drop');
    assert.equal(formatFlow(parseFlow('priority=0,actions=normal')), 'priority=0 actions=NORMAL');
    assert.equal(
      formatFlow(parseFlow('hard_timeout=9,check_overlap,reset_counts,cookie=0xabc,in_port=1,actions=output:2')),
      'cookie=0xabc, hard_timeout=9, check_overlap reset_counts in_port=1 actions=output:2',
    );
  });
  it('durations like ofp_print_duration', () => {
    assert.equal(formatDuration(3, 0), '3s');
    assert.equal(formatDuration(3, 5_000_000), '3.005s');
    assert.equal(formatDuration(3, 1_500), '3.0000015s');
  });
});

describe('formatMatch', () => {
  const fm = (m: Match): string => formatMatch(m);
  it('VLAN forms', () => {
    assert.equal(fm([{ field: 'vlan_vid', value: 0x1005 }, { field: 'vlan_pcp', value: 3 }]), 'dl_vlan=5,dl_vlan_pcp=3');
    assert.equal(fm([{ field: 'vlan_vid', value: 5 }]), 'vlan_tci=0x0005/0x1fff');
    assert.equal(fm([{ field: 'vlan_vid', value: 0 }]), 'vlan_tci=0x0000/0x1fff');
    assert.equal(fm([{ field: 'vlan_vid', value: 0x1000, mask: 0x1000 }]), 'vlan_tci=0x1000/0x1000');
    assert.equal(fm([{ field: 'vlan_vid', value: 0x1000, mask: 0x1000 }, { field: 'vlan_pcp', value: 6 }]), 'dl_vlan_pcp=6');
  });
  it('shorthands, and dl_type/nw_proto when there is none', () => {
    assert.equal(fm([{ field: 'eth_type', value: 0x86dd }, { field: 'ip_proto', value: 17 }]), 'udp6');
    assert.equal(fm([{ field: 'eth_type', value: 0x0800 }, { field: 'ip_proto', value: 89 }]), 'ip,nw_proto=89');
    assert.equal(fm([{ field: 'eth_type', value: 0x9000 }]), 'dl_type=0x9000');
    assert.equal(fm([{ field: 'eth_type', value: 0x8848 }, { field: 'mpls_label', value: 7 }]), 'mplsm,mpls_label=7');
  });
  it('masks: CIDR, dotted masks, hex port masks, %#x for 64-bit fields', () => {
    assert.equal(
      fm([
        { field: 'eth_type', value: 0x0800 },
        { field: 'ipv4_src', value: '10.1.0.0', mask: '255.255.0.0' },
        { field: 'ipv4_dst', value: '10.0.0.1', mask: '255.0.0.255' },
        { field: 'ip_proto', value: 6 },
        { field: 'tcp_dst', value: 0, mask: 0xff00 },
      ]),
      'tcp,nw_src=10.1.0.0/16,nw_dst=10.0.0.1/255.0.0.255,tp_dst=0x0/0xff00',
    );
    assert.equal(fm([{ field: 'metadata', value: 0n, mask: 1n }, { field: 'tunnel_id', value: 0n }]), 'tun_id=0,metadata=0/0x1');
    assert.equal(
      fm([{ field: 'eth_type', value: 0x86dd }, { field: 'ipv6_flabel', value: 5, mask: 0xf }]),
      'ipv6,ipv6_label=0x00005/0x0000f',
    );
  });
  it('priority unless it is the default', () => {
    assert.equal(formatMatch([], { priority: 0x8000 }), '');
    assert.equal(formatMatch([{ field: 'in_port', value: 0xfffffffe }], { priority: 1 }), 'priority=1,in_port=LOCAL');
  });
  it('fields without an OVS slot are printed at the end', () => {
    assert.equal(fm([{ field: 'in_phy_port', value: 3 }]), 'in_phy_port=0x3');
    assert.equal(fm([{ field: 'raw', oxmClass: 1, oxmField: 2, hasMask: false, payload: Buffer.from([1, 2]) }]), 'oxm(0x1:2=0x0102)');
  });
});

describe('formatActions / formatInstructions', () => {
  it('an empty list is drop', () => {
    assert.equal(formatActions([]), 'drop');
    assert.equal(formatInstructions([]), 'drop');
    assert.equal(formatInstructions([{ type: 'apply_actions', actions: [] }]), 'drop');
  });
  it('instructions print in OpenFlow 1.1+ order whatever the list order', () => {
    assert.equal(
      formatInstructions([
        { type: 'goto_table', tableId: 3 },
        { type: 'write_metadata', metadata: 0x10n, mask: 0xffffffffffffffffn },
        { type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] },
        { type: 'meter', meterId: 4 },
      ]),
      'meter:4,output:2,write_metadata:0x10,goto_table:3',
    );
  });
  it('actions OVS prints but does not parse in OpenFlow 1.3', () => {
    assert.equal(
      formatActions([
        { type: 'copy_ttl_out' },
        { type: 'push_pbb', ethertype: 0x88e7 },
        { type: 'pop_pbb' },
        { type: 'output', port: 0xfffffff9, maxLen: 0 },
        { type: 'set_field', field: { field: 'in_port', value: 0xfffffffd } },
        { type: 'experimenter', experimenter: 0x2320, data: Buffer.from('ab', 'hex') },
      ]),
      'copy_ttl_out,push_pbb:0x88e7,pop_pbb,TABLE,set_field:CONTROLLER->in_port,experimenter(0x2320,0xab)',
    );
  });
});

describe('formatGroup', () => {
  it('prints a group_desc entry', () => {
    const g: GroupDesc = {
      groupType: 1,
      groupId: 7,
      buckets: [
        { weight: 1, watchPort: 0xffffffff, watchGroup: 0xffffffff, actions: [{ type: 'output', port: 1, maxLen: 0 }] },
        { weight: 3, watchPort: 2, watchGroup: 0xffffffff, actions: [] },
      ],
    };
    assert.equal(formatGroup(g), 'group_id=7,type=select,bucket=actions=output:1,bucket=weight:3,watch_port:2,actions=drop');
  });
});
