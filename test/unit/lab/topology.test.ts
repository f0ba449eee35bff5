import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { isXsiteError } from '../../../src/core/errors';
import { linkPortNames } from '../../../src/lab/names';
import { loadTopology, parseTopology, TopologyBuilder, validateTopology } from '../../../src/lab/topology';

/** Asserts that `fn` throws LAB_BAD_TOPOLOGY naming `field` (and `line` when given). */
function rejects(fn: () => unknown, field: string | RegExp, line?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isXsiteError(e, 'LAB_BAD_TOPOLOGY'), `expected LAB_BAD_TOPOLOGY, got ${String(e)}`);
    const f = String(e.details?.field);
    if (typeof field === 'string') assert.equal(f, field, e.message);
    else assert.match(f, field, e.message);
    if (f !== '(yaml)') assert.ok(e.message.includes(f), `message names the field: ${e.message}`);
    if (line !== undefined) {
      assert.equal(e.details?.line, line, e.message);
      assert.match(e.message, new RegExp(`(line |:)${line}\\b`));
    }
    return true;
  });
}

const GOOD = `name: t
bridges:
  - name: s1
    dpid: "0000000000000001"
    controller: tcp:127.0.0.1:16653
    failMode: secure
  - name: s2
hosts:
  - { name: h1, bridge: s1, ip: 10.0.0.1/24 }
  - { name: h2, bridge: s2, ip: 10.0.0.2/24, mac: "02:aa:00:00:00:02", ofport: 7, gateway: 10.0.0.254 }
links:
  - { a: s1, b: s2 }
`;

describe('lab topology', () => {
  it('parses a good file and fills defaults', () => {
    const t = parseTopology(GOOD);
    assert.equal(t.name, 't');
    assert.deepEqual(t.bridges[0], { name: 's1', dpid: '0000000000000001', controller: 'tcp:127.0.0.1:16653', failMode: 'secure', protocols: ['OpenFlow13'] });
    // s2: next free dpid, no controller -> standalone.
    assert.deepEqual(t.bridges[1], { name: 's2', dpid: '0000000000000002', controller: null, failMode: 'standalone', protocols: ['OpenFlow13'] });
    assert.equal(t.hosts[0]!.mac, '02:00:0a:00:00:01');
    assert.equal(t.hosts[0]!.address, '10.0.0.1');
    assert.equal(t.hosts[0]!.prefixLength, 24);
    assert.equal(t.hosts[0]!.ofport, 1);
    assert.equal(t.hosts[1]!.ofport, 7);
    assert.equal(t.hosts[1]!.gateway, '10.0.0.254');
    assert.deepEqual(t.links[0], { a: 's1', b: 's2', ofportA: 2, ofportB: 1 });
  });

  it('reads an unquoted numeric dpid as the hex text it was written as', () => {
    const t = parseTopology('name: t\nbridges:\n  - name: s1\n    dpid: 0000000000000010\n');
    assert.equal(t.bridges[0]!.dpid, '0000000000000010');
  });

  it('parses the example file', async () => {
    const t = await loadTopology(path.join(__dirname, '../../../../examples/lab/two-bridges.yaml'));
    assert.deepEqual(t.bridges.map((b) => [b.name, b.failMode, b.controller]), [
      ['s1', 'secure', 'tcp:127.0.0.1:16653'],
      ['s2', 'secure', 'tcp:127.0.0.1:16653'],
    ]);
    assert.deepEqual(t.hosts.map((h) => `${h.name}@${h.bridge}`), ['h1@s1', 'h2@s1', 'h3@s2', 'h4@s2']);
    assert.equal(t.links.length, 1);
  });

  it('rejects bad fields, naming the field and the line', () => {
    rejects(() => parseTopology('name: t\nbridges: []\n'), 'bridges', 2);
    rejects(() => parseTopology('bridges:\n  - name: s1\n'), 'name');
    rejects(() => parseTopology('name: t\nbridges:\n  - name: s1\n    dpid: "xyz"\n'), 'bridges[0].dpid', 4);
    rejects(() => parseTopology('name: t\nbridges:\n  - name: s1\n    failMode: open\n'), 'bridges[0].failMode', 4);
    rejects(() => parseTopology('name: t\nbridges:\n  - name: s1\n    controller: "http://x"\n'), 'bridges[0].controller', 4);
    rejects(() => parseTopology('name: t\nbridges:\n  - name: s1\n    protocols: [OpenFlow99]\n'), 'bridges[0].protocols[0]', 4);
    rejects(() => parseTopology('name: t\nbridges:\n  - name: s1\n    colour: red\n'), 'bridges[0].colour', 4);
    rejects(() => parseTopology('name: t\nbridges:\n  - name: averylongname\n'), 'bridges[0].name', 3);
    rejects(() => parseTopology('name: t\nbridges:\n  - name: s1\n  - name: s1\n'), 'bridges[1].name', 4);
    rejects(() => parseTopology('name: t\nbridges:\n  - { name: s1, dpid: "1" }\n  - { name: s2, dpid: "0x01" }\n'), 'bridges[1].dpid', 4);
    const h = (host: string): string => `name: t\nbridges:\n  - name: s1\nhosts:\n  - ${host}\n`;
    rejects(() => parseTopology(h('{ name: h1, bridge: s9, ip: 10.0.0.1/24 }')), 'hosts[0].bridge', 5);
    rejects(() => parseTopology(h('{ name: h1, bridge: s1, ip: 10.0.0.1 }')), 'hosts[0].ip', 5);
    rejects(() => parseTopology(h('{ name: h1, bridge: s1, ip: 10.0.0.300/24 }')), 'hosts[0].ip', 5);
    rejects(() => parseTopology(h('{ name: h1, bridge: s1 }')), 'hosts[0].ip', 5);
    rejects(() => parseTopology(h('{ name: h1, bridge: s1, ip: 10.0.0.1/24, mac: "01:00:00:00:00:01" }')), 'hosts[0].mac', 5);
    rejects(() => parseTopology(h('{ name: h1, bridge: s1, ip: 10.0.0.1/24, ofport: 0 }')), 'hosts[0].ofport', 5);
    rejects(() => parseTopology(h('{ name: h1, bridge: s1, ip: 10.0.0.1/24, gateway: 10.0.1.1 }')), 'hosts[0].gateway', 5);
    rejects(() => parseTopology(h('{ name: s1, bridge: s1, ip: 10.0.0.1/24 }')), 'hosts[0].name', 5);
    rejects(
      () => parseTopology('name: t\nbridges:\n  - name: s1\nhosts:\n  - { name: h1, bridge: s1, ip: 10.0.0.1/24 }\n  - { name: h2, bridge: s1, ip: 10.0.0.1/24 }\n'),
      'hosts[1].ip',
      6,
    );
    rejects(
      () => parseTopology('name: t\nbridges:\n  - name: s1\nhosts:\n  - { name: h1, bridge: s1, ip: 10.0.0.1/24, ofport: 3 }\n  - { name: h2, bridge: s1, ip: 10.0.0.2/24, ofport: 3 }\n'),
      'hosts[1].ofport',
      6,
    );
    const l = (link: string): string => `name: t\nbridges:\n  - name: s1\n  - name: s2\nlinks:\n  - ${link}\n`;
    rejects(() => parseTopology(l('{ a: s1, b: s3 }')), 'links[0].b', 6);
    rejects(() => parseTopology(l('{ a: s1, b: s1 }')), 'links[0].b', 6);
    rejects(() => parseTopology(l('{ a: s1 }')), 'links[0].b', 6);
  });

  it('reports YAML syntax errors with their line', () => {
    rejects(() => parseTopology('name: t\nbridges:\n  - name: s1\n   bad: [\n'), '(yaml)', 4);
    rejects(() => parseTopology('name: t\nname: u\nbridges: [{name: s1}]\n'), '(yaml)', 2);
    rejects(() => parseTopology('- just\n- a list\n'), '(top level)');
  });

  it('reports an unreadable file', async () => {
    await assert.rejects(loadTopology('/nonexistent/topo.yaml'), (e: unknown) => isXsiteError(e, 'LAB_BAD_TOPOLOGY'));
    // With a file name, messages read file:line: field: problem.
    assert.throws(() => parseTopology('name: t\nbridges:\n  - { name: s1, failMode: x }\n', 'topo.yaml'), /^XsiteError: topo\.yaml:3: bridges\[0\]\.failMode: /);
  });

  it('validates plain objects and builder output the same way', () => {
    const t = new TopologyBuilder('b').bridge('s1').bridge('s2', { failMode: 'secure', controller: 'tcp:127.0.0.1:6653' }).host('h1', 's1', '10.0.0.1/24').link('s1', 's2').link('s2', 's1').build();
    assert.equal(t.validated, true);
    assert.equal(t.bridges[1]!.failMode, 'secure');
    assert.deepEqual(
      linkPortNames(t).map((x) => [x.a, x.b]),
      [
        ['s1-s2', 's2-s1'],
        ['s2-s1-2', 's1-s2-2'],
      ],
    );
    rejects(() => validateTopology({ name: 'x', bridges: [{ name: 's1' }], hosts: [{ name: 'h1', bridge: 's1', ip: 5 }], links: [] }), 'hosts[0].ip');
    rejects(() => new TopologyBuilder('b').bridge('s1').link('s1', 'nope').build(), 'links[0].b');
  });
});
