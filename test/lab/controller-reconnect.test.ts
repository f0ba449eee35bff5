/**
 * Reconnection against real Open vSwitch: the controller goes away and a new one starts on the same port; the
 * bridge (fail_mode secure) reconnects by itself, the new controller learns it by datapath id, reinstalls its
 * table-miss flow, and hosts ping again.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { L2LearningApp } from '../../src/apps/l2-learning';
import { OpenFlowController } from '../../src/openflow/controller';
import { Lab, leftovers } from '../../src/lab/lab';
import { TopologyBuilder } from '../../src/lab/topology';
import { labSkipReason } from '../support/lab-guard';

describe('switch reconnects to a restarted controller', { skip: labSkipReason() }, () => {
  let lab: Lab | undefined;
  const controllers: OpenFlowController[] = [];

  after(async () => {
    const prefix = lab?.prefix;
    if (lab) await lab.down();
    for (const c of controllers) await c.close();
    if (prefix) assert.deepEqual((await leftovers(prefix)).map(String), []);
  });

  it('reconnects, is known by the same datapath id, and forwards again', async () => {
    const first = new OpenFlowController();
    controllers.push(first);
    first.use(new L2LearningApp());
    const port = await first.listen(0);
    lab = await Lab.up(
      new TopologyBuilder('reconnect')
        .bridge('s1', { controller: `tcp:127.0.0.1:${port}`, dpid: '0000000000000b01' })
        .host('h1', 's1', '10.0.0.1/24')
        .host('h2', 's1', '10.0.0.2/24')
        .build(),
    );
    await first.waitForSwitches(1, 20000);
    assert.ok(await lab.ping('h1', '10.0.0.2', { count: 1, timeoutSec: 2, retries: 2 }));
    await first.close();
    // Flows installed by the first controller stay; delete them so forwarding needs the new controller.
    await lab.ofctl('s1', 'del-flows');
    assert.equal(await lab.ping('h1', '10.0.0.2', { count: 1, timeoutSec: 1, retries: 0 }), false, 'no controller, no flows: no forwarding (fail_mode secure)');

    const second = new OpenFlowController();
    controllers.push(second);
    second.use(new L2LearningApp());
    await second.listen(port);
    const t0 = Date.now();
    await second.waitForSwitches(1, 30000);
    assert.ok(second.switches.has(0xb01n), 'known by the same datapath id');
    assert.ok(await lab.ping('h1', '10.0.0.2', { count: 1, timeoutSec: 2, retries: 3 }), 'forwarding again');
    assert.ok(Date.now() - t0 < 30000);
  });
});
