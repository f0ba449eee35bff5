import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XSITE_MANAGERS } from '../../../src/pipeline/cookie';
import { FlowBuilder } from '../../../src/pipeline/flow-builder';
import { XSITE_PLAN } from '../../../src/pipeline/table-plan';
import { DesiredState } from '../../../src/local/desired-state';
import { StaticFlowsManager } from '../../../src/local/managers/static-flows';

const l2 = new FlowBuilder(XSITE_PLAN, XSITE_MANAGERS.idOf('l2'));
const arp = new FlowBuilder(XSITE_PLAN, XSITE_MANAGERS.idOf('arp'));
const mac = (i: number) => [{ field: 'eth_dst' as const, value: `02:00:00:00:00:0${i}` }];

describe('desired state', () => {
  it('keys flows by table, priority and normalised match; add replaces, remove drops', () => {
    const d = new DesiredState();
    const a = l2.flow({ table: 'l2', band: 'specific', match: mac(1), goto: 'egress' });
    d.apply([{ op: 'add', flow: a }]);
    const same = l2.flow({ table: 'l2', band: 'specific', match: [{ field: 'eth_dst', value: '02:00:00:00:00:01', mask: 'ff:ff:ff:ff:ff:ff' }], goto: 'l3' });
    d.apply([{ op: 'add', flow: same }]);
    assert.equal(d.size, 1);
    assert.equal(d.get(a), same);
    d.apply([{ op: 'remove', flow: a }, { op: 'remove', flow: a }]);
    assert.equal(d.size, 0);
  });

  it('refuses a change to a flow another manager owns, applying nothing', () => {
    const d = new DesiredState([l2.flow({ table: 'l2', band: 'specific', match: mac(1) })]);
    const clash = arp.flow({ table: 'arp', band: 'default' });
    const steal = { ...l2.flow({ table: 'l2', band: 'specific', match: mac(1) }), cookie: arp.flow({ table: 'arp', band: 'default' }).cookie };
    assert.throws(() => d.apply([{ op: 'add', flow: clash }, { op: 'add', flow: steal }]), { code: 'DESIRED_CONFLICT' });
    assert.equal(d.size, 1, 'the first change of the batch was not applied either');
    assert.throws(() => d.apply([{ op: 'remove', flow: steal }]), { code: 'DESIRED_CONFLICT' });
  });

  it('replaceOwned swaps one manager\'s flows and returns the changes, leaving other managers alone', () => {
    const d = new DesiredState([arp.flow({ table: 'arp', band: 'miss', goto: 'l2' })]);
    const f1 = l2.flow({ table: 'l2', band: 'specific', match: mac(1) });
    const f2 = l2.flow({ table: 'l2', band: 'specific', match: mac(2) });
    const f3 = l2.flow({ table: 'l2', band: 'specific', match: mac(3) });
    const id = XSITE_MANAGERS.idOf('l2');
    assert.equal(d.replaceOwned(id, [f1, f2]).length, 2);
    const changes = d.replaceOwned(id, [f2, f3]);
    assert.deepEqual(changes.map((c) => [c.op, c.flow]), [['remove', f1], ['add', f3]]);
    assert.deepEqual(d.owned(id), [f2, f3]);
    assert.equal(d.size, 3);
    assert.deepEqual(d.replaceOwned(id, [f2, f3]), [], 'nothing to change');
    assert.throws(() => d.replaceOwned(id, [arp.flow({ table: 'arp', band: 'default' })]), { code: 'DESIRED_CONFLICT' });
  });

  it('the static manager stamps its cookie, checks the plan and returns removes + adds', () => {
    const m = new StaticFlowsManager(XSITE_PLAN, XSITE_MANAGERS.idOf('static'));
    const d = new DesiredState();
    d.apply(m.set([l2.flow({ table: 'l2', band: 'specific', match: mac(1), cookie: 5n })]));
    assert.equal(d.flows()[0]!.cookie, (0xf0n << 48n) | 5n);
    d.apply(m.set([]));
    assert.equal(d.size, 0);
    assert.throws(() => m.set([{ ...l2.flow({ table: 'l2', band: 'default' }), tableId: 40 }]), { code: 'PIPELINE_VIOLATION' });
  });
});
