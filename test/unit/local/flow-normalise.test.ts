import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowKey, instructionsKey, matchKey, normaliseInstructions, normaliseMatch } from '../../../src/local/flow-normalise';

describe('flow normalisation', () => {
  it('orders fields like OVS, drops all-ones masks and wildcarded fields, masks values, canonical text', () => {
    assert.deepEqual(
      normaliseMatch([
        { field: 'metadata', value: 0x1234n, mask: 0xffn },
        { field: 'ipv4_dst', value: '10.1.2.3', mask: '255.255.0.0' },
        { field: 'eth_type', value: 0x0800 },
        { field: 'eth_dst', value: '02:AA:00:00:00:01', mask: 'ff:ff:ff:ff:ff:ff' },
        { field: 'eth_src', value: '00:00:00:00:00:00', mask: '00:00:00:00:00:00' },
        { field: 'in_port', value: 3 },
        { field: 'ipv6_dst', value: '2001:DB8:0:0::1' },
      ]),
      [
        { field: 'in_port', value: 3 },
        { field: 'eth_dst', value: '02:aa:00:00:00:01' },
        { field: 'eth_type', value: 0x0800 },
        { field: 'ipv4_dst', value: '10.1.0.0', mask: '255.255.0.0' },
        { field: 'ipv6_dst', value: '2001:db8::1' },
        { field: 'metadata', value: 0x34n, mask: 0xffn },
      ],
    );
    assert.deepEqual(normaliseMatch([{ field: 'vlan_vid', value: 0x1005, mask: 0x1fff }]), [{ field: 'vlan_vid', value: 0x1005 }]);
    assert.equal(matchKey([]), '*');
    assert.equal(
      flowKey({ tableId: 2, priority: 5, match: [{ field: 'eth_type', value: 0x0800 }, { field: 'in_port', value: 1 }] }),
      flowKey({ tableId: 2, priority: 5, match: [{ field: 'in_port', value: 1 }, { field: 'eth_type', value: 2048 }] }),
    );
  });

  it('instructions in execution order, empty apply_actions dropped, metadata masked', () => {
    const n = normaliseInstructions([
      { type: 'goto_table', tableId: 3 },
      { type: 'write_metadata', metadata: 0x1ffn, mask: 0xffn },
      { type: 'apply_actions', actions: [] },
      { type: 'write_actions', actions: [{ type: 'set_field', field: { field: 'eth_dst', value: '02:AA:00:00:00:01' } }] },
    ]);
    assert.deepEqual(n, [
      { type: 'write_actions', actions: [{ type: 'set_field', field: { field: 'eth_dst', value: '02:aa:00:00:00:01' } }] },
      { type: 'write_metadata', metadata: 0xffn, mask: 0xffn },
      { type: 'goto_table', tableId: 3 },
    ]);
    assert.equal(instructionsKey([{ type: 'apply_actions', actions: [] }]), instructionsKey([]));
    assert.notEqual(
      instructionsKey([{ type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] }]),
      instructionsKey([{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }]),
    );
  });
});
