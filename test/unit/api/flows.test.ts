import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACME, GLOBEX, OPERATOR, call, codeOf, setup, type Harness } from './helpers';

interface FlowView {
  id: string;
  tenant: string;
  srcDc?: string;
  dstDc?: string;
  crossSite: boolean;
  state: string;
  tuple?: { srcPublicIp: string; dstPublicIp: string; port: number; protocol: string };
}

describe('API flows and NAT tuples', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(() => h.close());

  test('no flows, no tuples at first', async () => {
    assert.deepEqual((await call(h.app, 'GET', '/v1/flows', OPERATOR)).json(), []);
    assert.deepEqual((await call(h.app, 'GET', '/v1/nat/tuples', OPERATOR)).json(), []);
  });

  test('a cross-site flow appears with its NAT tuple after openFlow', async () => {
    await h.directory.openFlow({ id: 'f1', protocol: 'tcp', srcVm: 'acme-web1', dstVm: 'acme-web2', srcPort: 40000, dstPort: 80 });
    await h.directory.openFlow({ id: 'f2', protocol: 'udp', srcVm: 'globex-app1', dstVm: 'globex-app3' });
    await h.directory.openFlow({ id: 'f3', protocol: 'tcp', srcVm: 'acme-web1', dstVm: 'acme-web4' }); // same DC
    const tuples = (await call(h.app, 'GET', '/v1/nat/tuples', OPERATOR)).json() as Array<{ flowId: string; srcGateway: string; dstGateway: string; port: number }>;
    assert.deepEqual(
      tuples.map((t) => [t.flowId, t.srcGateway, t.dstGateway]).sort(),
      [
        ['f1', 'dc1-gw', 'dc2-gw'],
        ['f2', 'dc1-gw', 'dc3-gw'],
      ],
    );
    assert.ok(tuples.every((t) => t.port >= 20000 && t.port <= 29999));
    const flows = (await call(h.app, 'GET', '/v1/flows', OPERATOR)).json() as FlowView[];
    assert.deepEqual(flows.map((f) => f.id), ['f1', 'f2']);
    const f1 = flows[0]!;
    assert.equal(f1.srcDc, 'dc1');
    assert.equal(f1.dstDc, 'dc2');
    assert.equal(f1.crossSite, true);
    assert.equal(f1.tuple?.protocol, 'tcp');
    assert.equal(f1.tuple?.srcPublicIp, '203.0.113.1');
    assert.equal(f1.tuple?.port, tuples.find((t) => t.flowId === 'f1')?.port);
    const all = (await call(h.app, 'GET', '/v1/flows?scope=all', OPERATOR)).json() as FlowView[];
    assert.deepEqual(all.map((f) => [f.id, f.crossSite]), [['f1', true], ['f2', true], ['f3', false]]);
  });

  test('filters and validation on /v1/flows and /v1/nat/tuples', async () => {
    assert.deepEqual(((await call(h.app, 'GET', '/v1/flows?tenant=globex', OPERATOR)).json() as FlowView[]).map((f) => f.id), ['f2']);
    assert.deepEqual(((await call(h.app, 'GET', '/v1/flows?vm=acme-web2', OPERATOR)).json() as FlowView[]).map((f) => f.id), ['f1']);
    assert.equal(codeOf(await call(h.app, 'GET', '/v1/flows?state=half', OPERATOR)), 'BAD_REQUEST');
    assert.equal(codeOf(await call(h.app, 'GET', '/v1/flows?scope=some', OPERATOR)), 'BAD_REQUEST');
    assert.equal(codeOf(await call(h.app, 'GET', '/v1/nat/tuples?flow=f1', OPERATOR)), 'BAD_REQUEST');
    const pool = ((await call(h.app, 'GET', '/v1/nat/tuples', OPERATOR)).json() as Array<{ pool: string }>)[0]!.pool;
    assert.equal((await call(h.app, 'GET', `/v1/nat/tuples?pool=${encodeURIComponent(pool)}`, OPERATOR)).json().length, 1);
  });

  test('a tenant sees only its flows, without tuples', async () => {
    const acme = (await call(h.app, 'GET', '/v1/flows?scope=all', ACME)).json() as FlowView[];
    assert.deepEqual(acme.map((f) => f.id), ['f1', 'f3']);
    assert.ok(acme.every((f) => f.tenant === 'acme' && f.tuple === undefined));
    const globex = (await call(h.app, 'GET', '/v1/flows', GLOBEX)).json() as FlowView[];
    assert.deepEqual(globex.map((f) => f.id), ['f2']);
    assert.deepEqual((await call(h.app, 'GET', '/v1/flows?tenant=globex', ACME)).json(), []);
  });

  test('closing a flow releases its tuple', async () => {
    await h.directory.closeFlow('f1');
    const tuples = (await call(h.app, 'GET', '/v1/nat/tuples', OPERATOR)).json() as Array<{ flowId: string }>;
    assert.deepEqual(tuples.map((t) => t.flowId), ['f2']);
    const closed = (await call(h.app, 'GET', '/v1/flows?state=closed', OPERATOR)).json() as FlowView[];
    assert.deepEqual(closed.map((f) => [f.id, f.state, f.tuple]), [['f1', 'closed', undefined]]);
  });
});
