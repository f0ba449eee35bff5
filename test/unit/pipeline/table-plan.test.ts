import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TablePlan, XSITE_PLAN, METADATA_VN_MASK, STANDARD_BANDS } from '../../../src/pipeline/table-plan';
import { FlowBuilder, addFlowMod, checkFlow, deleteFlowMod } from '../../../src/pipeline/flow-builder';
import { XSITE_MANAGERS } from '../../../src/pipeline/cookie';

const l2 = new FlowBuilder(XSITE_PLAN, XSITE_MANAGERS.idOf('l2'));
const violation = { code: 'PIPELINE_VIOLATION' };

describe('table plan', () => {
  it('names tables with increasing numbers and standard bands', () => {
    assert.deepEqual(XSITE_PLAN.tables().map((t) => [t.name, t.id]), [
      ['classify', 0], ['arp', 1], ['l2', 2], ['l3', 3], ['gateway-nat', 4], ['egress', 5],
    ]);
    assert.equal(XSITE_PLAN.priority('l2', 'miss'), 0);
    assert.equal(XSITE_PLAN.priority('l3', 'specific', 24), 1024);
    assert.equal(XSITE_PLAN.priority('l2', 'override'), STANDARD_BANDS.override!.base);
  });

  it('refuses unknown tables, bands and offsets outside the band', () => {
    assert.throws(() => XSITE_PLAN.table('nope'), violation);
    assert.throws(() => XSITE_PLAN.priority('l2', 'urgent'), violation);
    assert.throws(() => XSITE_PLAN.priority('l2', 'toString'), violation);
    assert.throws(() => XSITE_PLAN.priority('l2', 'miss', 1), violation);
    assert.throws(() => XSITE_PLAN.priority('l2', 'specific', -1), violation);
  });

  it('refuses a bad plan: duplicate names or numbers, overlapping bands, numbers past 253', () => {
    const t = { name: 'a', id: 0, description: '', matches: [], bands: STANDARD_BANDS };
    const bad = { code: 'PIPELINE_BAD_PLAN' };
    assert.throws(() => new TablePlan([t, { ...t, id: 1 }]), bad);
    assert.throws(() => new TablePlan([t, { ...t, name: 'b' }]), bad);
    assert.throws(() => new TablePlan([{ ...t, id: 254 }]), bad);
    assert.throws(() => new TablePlan([{ ...t, bands: { x: { base: 0, size: 10 }, y: { base: 5, size: 10 } } }]), bad);
  });
});

describe('flow builder', () => {
  it('builds a flow with instructions in execution order and the manager cookie', () => {
    const f = l2.flow({
      table: 'l2', band: 'specific', offset: 3, cookie: 7n,
      match: [{ field: 'metadata', value: 5n, mask: METADATA_VN_MASK }, { field: 'eth_dst', value: '02:00:00:00:00:01' }],
      goto: 'egress', write: [{ type: 'output', port: 1, maxLen: 0 }], apply: [{ type: 'pop_vlan' }],
    });
    assert.equal(f.tableId, 2);
    assert.equal(f.priority, 1003);
    assert.equal(f.cookie, (3n << 48n) | 7n);
    assert.deepEqual(f.instructions.map((i) => i.type), ['apply_actions', 'write_actions', 'goto_table']);
    const add = addFlowMod(f);
    assert.deepEqual([add.command, add.tableId, add.priority, add.cookie, add.cookieMask], [0, 2, 1003, f.cookie, 0n]);
    const del = deleteFlowMod(f);
    assert.deepEqual([del.command, del.cookie, del.cookieMask], [4, f.cookie, 0xffffffffffffffffn]);
  });

  it('refuses a match field the table does not allow', () => {
    assert.throws(() => l2.flow({ table: 'l2', band: 'default', match: [{ field: 'ipv4_dst', value: '10.0.0.1' }] }), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'PIPELINE_VIOLATION');
      assert.deepEqual((e as { details: unknown }).details, { table: 'l2', field: 'ipv4_dst' });
      return true;
    });
  });

  it('refuses the same field twice, raw OXM fields, unknown bands and tables', () => {
    const eth = { field: 'eth_dst' as const, value: '02:00:00:00:00:01' };
    assert.throws(() => l2.flow({ table: 'l2', band: 'default', match: [eth, eth] }), violation);
    assert.throws(() => l2.flow({ table: 'l2', band: 'default', match: [{ field: 'raw', oxmClass: 1, oxmField: 2, hasMask: false, payload: Buffer.alloc(4) }] }), violation);
    assert.throws(() => l2.flow({ table: 'l2', band: 'nope' }), violation);
    assert.throws(() => l2.flow({ table: 'nat', band: 'default' }), violation);
  });

  it('refuses a goto to an earlier table, to itself, or outside the plan', () => {
    assert.throws(() => l2.flow({ table: 'l2', band: 'default', goto: 'classify' }), violation);
    assert.throws(() => l2.flow({ table: 'l2', band: 'default', goto: 'l2' }), violation);
    const f = l2.flow({ table: 'l2', band: 'default', goto: 'l3' });
    assert.throws(() => checkFlow(XSITE_PLAN, { ...f, instructions: [{ type: 'goto_table', tableId: 9 }] }), violation);
  });

  it('checkFlow refuses a raw flow outside the plan: unknown table, priority in no band, cookie without owner', () => {
    const f = l2.flow({ table: 'l2', band: 'default' });
    assert.equal(checkFlow(XSITE_PLAN, f), f);
    assert.throws(() => checkFlow(XSITE_PLAN, { ...f, tableId: 7 }), violation);
    assert.throws(() => checkFlow(XSITE_PLAN, { ...f, priority: 50 }), violation);
    assert.throws(() => checkFlow(XSITE_PLAN, { ...f, cookie: 5n }), violation);
  });
});
