/**
 * FLOW_SYNTAX errors: the offending token's position, what was expected, suggestions for misspelt names, and
 * the flows ovs-ofctl itself refuses for OpenFlow 1.3 (with the reason).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isXsiteError } from '../../../../src/core/errors';
import { FLOW_SYNTAX, parseFlow, parseGroup, type FlowCommand, type FlowSyntaxDetails } from '../../../../src/openflow/flow-syntax';

function fails(fn: () => unknown): FlowSyntaxDetails & { message: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(isXsiteError(e, FLOW_SYNTAX), `expected a FLOW_SYNTAX XsiteError, got ${String(e)}`);
    const d = e.details as unknown as FlowSyntaxDetails;
    assert.equal(typeof d.text, 'string');
    assert.equal(typeof d.expected, 'string');
    return { ...d, message: e.message };
  }
  assert.fail('expected a FLOW_SYNTAX error');
}

const flowErr = (text: string, command?: FlowCommand) => fails(() => parseFlow(text, command ? { command } : {}));
const groupErr = (text: string) => fails(() => parseGroup(text));

describe('flow syntax errors: positions, expectations, suggestions', () => {
  it('unknown field, with the closest name suggested', () => {
    const d = flowErr('ip,nw_dts=10.0.0.1,actions=drop');
    assert.equal(d.position, 3);
    assert.equal(d.suggestion, 'nw_dst');
    assert.match(d.message, /unknown field "nw_dts".*did you mean "nw_dst"/);
    assert.match(d.message, /\n {2}ip,nw_dts=10\.0\.0\.1,actions=drop\n {5}\^$/);
  });
  it('field names are case-sensitive like OVS; the suggestion gives the right case', () => {
    const d = flowErr('IP,actions=drop');
    assert.equal(d.position, 0);
    assert.equal(d.suggestion, 'ip');
  });
  it('bad MAC address points at the value', () => {
    const d = flowErr('dl_src=00:11:22:33:44,actions=drop');
    assert.equal(d.position, 7);
    assert.match(d.expected, /MAC address/);
  });
  it('bad MAC mask points at the mask', () => assert.equal(flowErr('dl_dst=00:11:22:33:44:55/ff:ff,actions=drop').position, 25));
  it('bad CIDR prefix points at the prefix', () => {
    const d = flowErr('ip,nw_src=10.0.0.0/33,actions=drop');
    assert.equal(d.position, 19);
    assert.match(d.expected, /0 to 32/);
  });
  it('bad IPv4 address', () => assert.equal(flowErr('ip,nw_dst=10.0.0.256,actions=drop').position, 10));
  it('bad IPv6 prefix', () => assert.equal(flowErr('ipv6,ipv6_src=2001:db8::/129,actions=drop').position, 25));
  it('bad IPv6 address', () => assert.equal(flowErr('ipv6,ipv6_dst=2001:::1,actions=drop').position, 14));
  it('values out of range', () => {
    assert.equal(flowErr('tcp,tp_dst=65536,actions=drop').position, 11);
    assert.equal(flowErr('priority=65536,actions=drop').position, 9);
    assert.equal(flowErr('dl_vlan=4096,actions=drop').position, 8);
    assert.equal(flowErr('ip,nw_tos=256,actions=drop').position, 10);
  });
  it('a mask on a field that takes none', () => assert.match(flowErr('ip,nw_proto=6/0xff,actions=drop').message, /cannot be masked/));
  it('missing value, and a value on a bare keyword', () => {
    assert.match(flowErr('in_port,actions=drop').message, /in_port missing value/);
    assert.match(flowErr('ip=1,actions=drop').message, /ip takes no value/);
  });
  it('ports: hex, out of range and ANY are refused like OVS', () => {
    assert.equal(flowErr('in_port=0xfffe,actions=drop').position, 8);
    assert.match(flowErr('actions=output:70000').message, /out of range/);
    assert.match(flowErr('actions=output:any').message, /output to ANY is invalid/);
  });
  it('unknown action, with a suggestion', () => {
    const d = flowErr('actions=outptu:1');
    assert.equal(d.position, 8);
    assert.equal(d.suggestion, 'output');
  });
  it('unknown set_field field, with a suggestion', () => {
    const d = flowErr('ip,actions=set_field:1.1.1.1->ip_srcc');
    assert.equal(d.position, 30);
    assert.equal(d.suggestion, 'ip_src');
  });
  it('read-only and masked set_field', () => {
    assert.match(flowErr('mpls,actions=set_field:1->mpls_bos').message, /read-only/);
    assert.match(flowErr('actions=set_field:1/1->metadata').message, /masked set_field/);
  });
  it('unbalanced parentheses', () => {
    assert.equal(flowErr('actions=write_actions(output:1').position, 21);
    assert.equal(flowErr('actions=output:1)').position, 16);
  });
});

describe('flows OVS rejects for OpenFlow 1.3 say so', () => {
  it('"drop" with other actions', () => {
    const d = flowErr('actions=output:1,drop');
    assert.equal(d.position, 17);
    assert.match(d.message, /"drop" must not be accompanied/);
  });
  it('instruction ordering', () => {
    const d = flowErr('actions=goto_table:2,output:1');
    assert.equal(d.position, 21);
    assert.match(d.message, /apply_actions must appear before goto_table/);
    assert.match(flowErr('actions=output:1,meter:2').message, /meter must appear before apply_actions/);
    assert.match(flowErr('actions=clear_actions,clear_actions').message, /duplicate clear_actions/);
  });
  it('actions without their prerequisites', () => {
    const cases: [string, RegExp][] = [
      ['ip,actions=mod_tp_src:1', /a flow that matches tcp/],
      ['actions=set_field:1.1.1.1->ip_src', /matches ip$/m],
      ['ipv6,actions=mod_nw_src:1.1.1.1', /matches ip$/m],
      ['actions=strip_vlan', /VLAN header/],
      ['actions=set_field:4097->vlan_vid', /VLAN header/],
      ['actions=pop_mpls:0x0800', /mpls or mplsm/],
      ['actions=dec_ttl', /ip or ipv6/],
      ['arp,actions=set_nw_ttl:3', /ip or ipv6/],
      ['ip,actions=push_mpls:0x8847,mod_nw_dst:1.1.1.1', /matches ip$/m],
      ['icmp6,icmp_type=136,actions=set_field:00:00:00:00:00:01->nd_sll', /icmp_type=135/],
    ];
    for (const [text, re] of cases) {
      const d = flowErr(text);
      assert.match(d.message, /lacks correct prerequisites/, text);
      assert.match(d.message, re, text);
    }
  });
  it('mod_nw_tos needs a TOS with the ECN bits clear', () => assert.match(flowErr('ip,actions=mod_nw_tos:5').message, /not a valid TOS/));
  it('goto_table must go forward', () => {
    assert.match(flowErr('table=3,actions=goto_table:2').message, /does not go forward from table 3/);
    assert.match(flowErr('actions=goto_table:0').message, /OFPBIC_BAD_TABLE_ID/);
  });
  it('keywords per command', () => {
    assert.match(flowErr('cookie=0x1/0xff,actions=drop').message, /flow additions cannot use a cookie mask/);
    assert.match(flowErr('cookie=0x1', 'delete').message, /cannot set cookie/);
    assert.match(flowErr('priority=5,ip', 'delete').message, /priority is not allowed in a non-strict delete/);
    assert.match(flowErr('out_port=1,actions=drop').message, /out_port is not allowed/);
    assert.match(flowErr('out_group=1,actions=drop', 'modify').message, /out_group is not allowed/);
    assert.match(flowErr('ip,actions=drop', 'delete').message, /a delete takes no actions/);
    assert.match(flowErr('idle_timeout=5', 'delete_strict').message, /idle_timeout is not allowed/);
    assert.match(flowErr('send_flow_rem', 'delete').message, /send_flow_rem is not allowed/);
    const d = flowErr('ip,nw_dst=10.0.0.1');
    assert.match(d.message, /must specify an action/);
    assert.equal(d.position, 18);
  });
  it('unsupported syntax is named', () => {
    assert.match(flowErr('actions=controller(reason=no_match)').message, /unsupported controller option/);
    assert.match(flowErr('actions=output(port=1,max_len=100)').message, /output_trunc/);
    assert.match(flowErr('importance=5,actions=drop').message, /not part of OpenFlow 1.3/);
    assert.match(flowErr('ip,actions=dec_ttl(1,2)').message, /Nicira extension/);
    assert.match(flowErr('actions=write_actions(goto_table:3)').message, /goto_table is an instruction/);
  });
});

describe('group syntax errors', () => {
  it('missing type or group_id', () => {
    assert.match(groupErr('group_id=1,bucket=output:1').message, /must specify a type/);
    assert.match(groupErr('type=all,bucket=output:1').message, /must specify a group_id/);
  });
  it('unknown type, with a suggestion', () => {
    const d = groupErr('group_id=1,type=fast_failovr,bucket=output:1');
    assert.equal(d.position, 16);
    assert.equal(d.suggestion, 'fast_failover');
  });
  it('weights only on select groups', () => {
    const d = groupErr('group_id=1,type=all,bucket=weight:2,output:1');
    assert.equal(d.position, 27);
    assert.match(d.message, /only select groups can have bucket weights/);
  });
  it('bucket without actions, bad group id, bad watch_port', () => {
    assert.match(groupErr('group_id=1,type=ff,bucket=watch_port:1').message, /bucket must specify actions/);
    assert.match(groupErr('group_id=4294967295,type=all').message, /invalid group id/);
    assert.match(groupErr('group_id=1,type=ff,bucket=watch_port:LOCAL,output:1').message, /invalid watch_port/);
  });
  it('mod_tp_src needs a flow, which a bucket has not', () => {
    assert.match(groupErr('group_id=1,type=all,bucket=mod_tp_src:5,output:1').message, /group bucket/);
  });
  it('unknown keyword', () => assert.equal(groupErr('group_id=1,typ=all').suggestion, 'type'));
});
