/**
 * Replays messages captured from a real Open vSwitch 3.1 (test/lab/ovs-golden.test.ts with XSITE_WRITE_FIXTURES=1):
 * bytes -> object -> bytes must give the same bytes, and the decoded objects must say what OVS meant.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { decodeMessage, encodeMessage } from '../../../../src/codec/openflow/message';
import type { MessageOf, OfpMessage } from '../../../../src/codec/openflow/types';

const DIR = path.join(__dirname, '..', '..', '..', '..', '..', 'test', 'fixtures', 'openflow', 'ovs');

function load(): { name: string; bytes: Buffer; msg: OfpMessage }[] {
  return fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((name) => {
      const bytes = Buffer.from(fs.readFileSync(path.join(DIR, name), 'utf8').trim(), 'hex');
      return { name, bytes, msg: decodeMessage(bytes) };
    });
}

function one<T extends OfpMessage['type']>(all: ReturnType<typeof load>, prefix: string): MessageOf<T> {
  const f = all.find((x) => x.name.startsWith(prefix));
  assert.ok(f, `fixture ${prefix} exists`);
  return f.msg as MessageOf<T>;
}

test('every OVS fixture decodes to its type and re-encodes to the same bytes', () => {
  const all = load();
  assert.ok(all.length >= 25, `fixtures present (${all.length})`);
  for (const { name, bytes, msg } of all) {
    const kind = msg.type === 'multipart_reply' ? `multipart_reply-${msg.body.mpType}` : msg.type;
    assert.ok(name.startsWith(`${kind}-`), `${name} decodes as ${kind}`);
    assert.equal(encodeMessage(msg).toString('hex'), bytes.toString('hex'), name);
  }
});

test('OVS fixtures carry what OVS meant', () => {
  const all = load();
  const hello = one<'hello'>(all, 'hello-1');
  assert.ok(hello.versions?.includes(4), 'OVS offers OpenFlow 1.3');
  const features = one<'features_reply'>(all, 'features_reply-1');
  assert.equal(features.datapathId, 0xa1n);
  const ports = all.filter((f) => f.name.startsWith('multipart_reply-port_desc')).flatMap((f) => (f.msg as MessageOf<'multipart_reply'>).body.mpType === 'port_desc' ? ((f.msg as MessageOf<'multipart_reply'>).body as { ports: { name: string }[] }).ports.map((p) => p.name) : []);
  assert.ok(ports.includes('s1-h1') && ports.includes('s1-h2'), `port names ${ports.join(',')}`);
  const pi = one<'packet_in'>(all, 'packet_in-1');
  assert.ok(pi.match.some((f) => f.field === 'in_port'), 'packet-in match carries in_port');
  assert.ok(pi.data.length >= 42, 'packet-in carries the frame');
  const fr = one<'flow_removed'>(all, 'flow_removed-1');
  assert.equal(fr.priority, 5000);
  assert.equal(fr.reason, 2); // OFPRR_DELETE
  const err = one<'error'>(all, 'error-1');
  assert.ok(err.errType > 0, 'an error type');
  const flows = one<'multipart_reply'>(all, 'multipart_reply-flow-1');
  assert.equal(flows.body.mpType, 'flow');
  const groups = one<'multipart_reply'>(all, 'multipart_reply-group_desc-1');
  assert.ok(groups.body.mpType === 'group_desc' && groups.body.groups.some((g) => g.groupId === 7 && g.buckets.length === 2));
});
