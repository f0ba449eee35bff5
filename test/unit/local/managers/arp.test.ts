import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OFPCML_NO_BUFFER, OFPP } from '../../../../src/codec/openflow/constants';
import { arpReply, arpRequest, gratuitousArp, parsePacket } from '../../../../src/codec/packet';
import { XSITE_MANAGERS, cookieManager } from '../../../../src/pipeline/cookie';
import { checkFlow } from '../../../../src/pipeline/flow-builder';
import { XSITE_PLAN } from '../../../../src/pipeline/table-plan';
import { DcModel, defaultGateway } from '../../../../src/local/dc-model';
import { XSITE_GATEWAY_MAC, answerArp, arpFlows, explainArp } from '../../../../src/local/managers/arp';
import { oneDc } from '../dc-topology';

const topo = oneDc('mac', true);
const model = DcModel.fromTopology(topo, 'dc1');
const vm = (n: string) => topo.vms.find((v) => v.name === n)!;
const ask = (from: string, targetIp: string) => arpRequest({ srcMac: vm(from).mac, srcIp: vm(from).ip, targetIp });

test('arp flows: every ARP from a registered VM port goes to the controller; the rest continues in l2', () => {
  const flows = arpFlows(model, 'dc1-h1-vs');
  for (const f of flows) {
    checkFlow(XSITE_PLAN, f);
    assert.equal(cookieManager(f.cookie), XSITE_MANAGERS.idOf('arp'));
  }
  const punts = flows.filter((f) => f.priority > 0);
  const onH1 = topo.vms.filter((v) => v.switch === 'dc1-h1-vs').map((v) => v.port).sort();
  assert.deepEqual(punts.map((f) => (f.match.find((t) => t.field === 'in_port') as { value: number }).value).sort(), onH1);
  for (const f of punts) {
    assert.deepEqual(f.match.find((t) => t.field === 'eth_type'), { field: 'eth_type', value: 0x0806 });
    assert.deepEqual(f.instructions, [{ type: 'apply_actions', actions: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }] }]);
  }
  const miss = flows.find((f) => f.priority === 0)!;
  assert.deepEqual(miss.instructions, [{ type: 'goto_table', tableId: XSITE_PLAN.table('l2').id }]);
  // No VM on the fabric switch: only the miss flow (no ARP is ever flooded).
  assert.equal(arpFlows(model, 'dc1-tor').length, 1);
});

test('answerArp: a VM of the same VN, in this DC or another, is answered with its MAC', () => {
  const r = answerArp(model, 100, ask('a1', '192.168.10.3'));
  assert.ok(r);
  assert.deepEqual(r, arpReply({ srcMac: vm('a3').mac, srcIp: '192.168.10.3', dstMac: vm('a1').mac, dstIp: '192.168.10.1' }));
  const p = parsePacket(r).arp!;
  assert.equal(p.op, 2);
  assert.equal(p.senderMac, vm('a3').mac);
  assert.equal(answerArp(model, 100, parsePacket(ask('a1', '192.168.10.9'))) !== undefined, true, 'a9 lives in dc2');
  assert.equal(parsePacket(answerArp(model, 100, ask('a1', '192.168.10.9'))!).arp!.senderMac, vm('a9').mac);
});

test('answerArp never crosses VNs: the same IP in the other tenant gives that tenant\'s VM, or nothing', () => {
  // .2 is a2 in acme and g2 in globex.
  assert.equal(parsePacket(answerArp(model, 100, ask('a1', '192.168.10.2'))!).arp!.senderMac, vm('a2').mac);
  assert.equal(parsePacket(answerArp(model, 200, ask('g1', '192.168.10.2'))!).arp!.senderMac, vm('g2').mac);
  // .5 only in globex, .3 only in acme.
  assert.equal(answerArp(model, 100, ask('a1', '192.168.10.5')), undefined);
  assert.equal(answerArp(model, 200, ask('g1', '192.168.10.3')), undefined);
  assert.deepEqual(explainArp(model, 200, ask('g1', '192.168.10.3')), { answer: 'none', reason: 'unknown-target' });
});

test('answerArp: the default gateway gets the same MAC in every DC; unknown addresses get nothing', () => {
  const d = explainArp(model, 100, ask('a1', '192.168.10.254'));
  assert.equal(d.answer, 'gateway');
  assert.equal(parsePacket(answerArp(model, 100, ask('a1', '192.168.10.254'))!).arp!.senderMac, XSITE_GATEWAY_MAC);
  const dc2 = DcModel.fromTopology(topo, 'dc2');
  const fromA9 = arpRequest({ srcMac: vm('a9').mac, srcIp: vm('a9').ip, targetIp: '192.168.10.254' });
  assert.equal(parsePacket(answerArp(dc2, 100, fromA9)!).arp!.senderMac, XSITE_GATEWAY_MAC);
  assert.equal(answerArp(model, 100, ask('a1', '192.168.10.77')), undefined);
  assert.equal(answerArp(model, 100, ask('a1', '10.0.0.1')), undefined);
  assert.equal(answerArp(model, 100, ask('a1', '192.168.10.254'), '02:00:00:00:99:99') !== undefined, true);
  // A VN without subnet and a DC gateway outside it: the last usable address of the VM's /24.
  assert.equal(defaultGateway('172.16.5.7/24', '192.168.10.254'), '172.16.5.254');
  assert.equal(parsePacket(answerArp(model, 300, ask('d1', '172.16.5.254'))!).arp!.senderMac, XSITE_GATEWAY_MAC);
  assert.equal(answerArp(model, 300, ask('d1', '192.168.10.254')), undefined);
  assert.equal(defaultGateway('10.9.0.0/16', undefined), '10.9.255.254');
  assert.equal(defaultGateway('10.9.0.0/31', undefined), undefined);
});

test('answerArp ignores what is not a request to answer', () => {
  assert.equal(answerArp(model, 100, arpReply({ srcMac: vm('a1').mac, srcIp: vm('a1').ip, dstMac: vm('a2').mac, dstIp: vm('a2').ip })), undefined);
  assert.deepEqual(explainArp(model, 100, gratuitousArp({ mac: vm('a1').mac, ip: vm('a1').ip })), { answer: 'none', reason: 'announcement' });
  assert.deepEqual(explainArp(model, 100, arpRequest({ srcMac: vm('a1').mac, srcIp: '0.0.0.0', targetIp: vm('a1').ip })), { answer: 'none', reason: 'self' });
  assert.deepEqual(explainArp(model, 999, ask('a1', '192.168.10.3')), { answer: 'none', reason: 'unknown-vn' });
  assert.deepEqual(explainArp(model, 100, Buffer.alloc(5)), { answer: 'none', reason: 'not-arp-request' });
});
