/**
 * parseGroup -> group_mod objects (expectations as `ovs-ofctl -O OpenFlow13 add-group` 3.1 sends them).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bucket } from '../../../../src/codec/openflow/types';
import { parseGroup } from '../../../../src/openflow/flow-syntax';

const ANY = 0xffffffff;
const out = (port: number) => ({ type: 'output' as const, port, maxLen: 0 });
const bucket = (b: Partial<Bucket>): Bucket => ({ weight: 0, watchPort: ANY, watchGroup: ANY, actions: [], ...b });

describe('parseGroup', () => {
  it('select with weights; buckets default to weight 1', () => {
    assert.deepEqual(parseGroup('group_id=1,type=select,bucket=weight:10,watch_port:3,actions=output:1,bucket=output:2'), {
      type: 'group_mod',
      command: 0,
      groupType: 1,
      groupId: 1,
      buckets: [bucket({ weight: 10, watchPort: 3, actions: [out(1)] }), bucket({ weight: 1, actions: [out(2)] })],
    });
  });
  it('all with actions that OVS maps to set_field', () => {
    assert.deepEqual(parseGroup('group_id=2,type=all,bucket=output:1,bucket=mod_dl_src:00:00:00:00:00:01,mod_nw_dst:10.0.0.1,output:2').buckets, [
      bucket({ actions: [out(1)] }),
      bucket({
        actions: [
          { type: 'set_field', field: { field: 'eth_src', value: '00:00:00:00:00:01' } },
          { type: 'set_field', field: { field: 'ipv4_dst', value: '10.0.0.1' } },
          out(2),
        ],
      }),
    ]);
  });
  it('fast_failover (alias ff) with watch_port / watch_group', () => {
    const g = parseGroup('group_id=5,type=fast_failover,bucket=watch_port:1,output:1,bucket=watch_port:2,watch_group:3,output:2');
    assert.equal(g.groupType, 3);
    assert.deepEqual(g.buckets, [bucket({ watchPort: 1, actions: [out(1)] }), bucket({ watchPort: 2, watchGroup: 3, actions: [out(2)] })]);
    assert.deepEqual(parseGroup('group_id=5,type=ff,bucket=watch_port:1,output:1,bucket=watch_port:2,watch_group:3,output:2'), g);
  });
  it('indirect; "actions=" inside the bucket; keys with "=" too', () => {
    const g = parseGroup('group_id=5,type=indirect,bucket=actions=output:1,group:7');
    assert.deepEqual(g.buckets, [bucket({ actions: [out(1), { type: 'group', groupId: 7 }] })]);
    assert.deepEqual(parseGroup('group_id=1,type=select,bucket=weight=3,watch_port=4,output:1').buckets, [bucket({ weight: 3, watchPort: 4, actions: [out(1)] })]);
  });
  it('mod_vlan_vid in a bucket pushes a tag first (no flow says there is one)', () => {
    assert.deepEqual(parseGroup('group_id=7,type=all,bucket=mod_vlan_vid:5,output:4').buckets[0]!.actions, [
      { type: 'push_vlan', ethertype: 0x8100 },
      { type: 'set_field', field: { field: 'vlan_vid', value: 0x1005 } },
      out(4),
    ]);
  });
  it('no buckets; group_id=all', () => {
    assert.deepEqual(parseGroup('group_id=9,type=all').buckets, []);
    assert.equal(parseGroup('group_id=all,type=all').groupId, 0xfffffffc);
  });
  it('modify and delete', () => {
    assert.equal(parseGroup('group_id=1,type=all,bucket=output:2', { command: 'modify' }).command, 1);
    assert.deepEqual(parseGroup('group_id=1', { command: 'delete' }), { type: 'group_mod', command: 2, groupType: 0, groupId: 1, buckets: [] });
    assert.equal(parseGroup('', { command: 'delete' }).groupId, 0xfffffffc);
  });
});
