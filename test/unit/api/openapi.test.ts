import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setup, type Harness } from './helpers';

type Operation = {
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  security?: unknown[];
  requestBody?: unknown;
};
type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
};

const ROUTES: Array<[string, string, number[]]> = [
  // method, path, error statuses it must declare beyond 400/401/500/503
  ['get', '/v1/datacenters', []],
  ['get', '/v1/datacenters/{name}', [404]],
  ['get', '/v1/hosts', []],
  ['get', '/v1/hosts/{name}', [404]],
  ['get', '/v1/vns', []],
  ['get', '/v1/vms', []],
  ['post', '/v1/vms', [403, 404, 409]],
  ['get', '/v1/vms/{name}', [404]],
  ['delete', '/v1/vms/{name}', [403, 404]],
  ['get', '/v1/flows', []],
  ['get', '/v1/nat/tuples', [403]],
  ['get', '/v1/jobs', [403]],
];

describe('OpenAPI document', () => {
  let h: Harness;
  let doc: Doc;
  before(async () => {
    h = await setup();
    const res = await h.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    doc = res.json() as Doc;
  });
  after(() => h.close());

  test('is an OpenAPI 3 document with info and a bearer scheme', () => {
    assert.match(doc.openapi, /^3\.\d+\.\d+$/);
    assert.equal(doc.info.title, 'xsite central controller');
    assert.equal(typeof doc.info.version, 'string');
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer' });
  });

  test('lists every route, and nothing else', () => {
    const listed = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))
      .sort();
    const expected = [...ROUTES.map(([m, p]) => `${m} ${p}`), 'get /v1/health'].sort();
    assert.deepEqual(listed, expected);
  });

  test('every operation declares its success and error responses with the error schema', () => {
    for (const [method, path, extra] of ROUTES) {
      const op = doc.paths[path]![method]!;
      const statuses = Object.keys(op.responses);
      assert.ok(statuses.some((s) => /^2\d\d$/.test(s)), `${method} ${path}: no 2xx`);
      for (const s of [400, 401, 500, 503, ...extra]) {
        const r = op.responses[String(s)];
        assert.ok(r, `${method} ${path}: ${s} not declared`);
        const schema = r.content?.['application/json']?.schema as { required: string[]; properties: { error: { required: string[] } } };
        assert.deepEqual(schema.required, ['error'], `${method} ${path} ${s}`);
        assert.deepEqual(schema.properties.error.required, ['code', 'message']);
      }
      assert.deepEqual(op.security, [{ bearerAuth: [] }], `${method} ${path}: security`);
      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        assert.ok(op.parameters?.some((p) => p.in === 'path' && p.name === name && p.required === true), `${method} ${path}: path param ${name}`);
      }
    }
    assert.deepEqual(doc.paths['/v1/health']!.get!.security, []);
  });

  test('the POST body schema refuses unknown fields; query parameters are documented', () => {
    const body = doc.paths['/v1/vms']!.post!.requestBody as { content: Record<string, { schema: { additionalProperties: boolean; required: string[] } }> };
    const schema = body.content['application/json']!.schema;
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required, ['name', 'tenant', 'vn', 'host', 'ip']);
    const q = doc.paths['/v1/vms']!.get!.parameters!.filter((p) => p.in === 'query').map((p) => p.name).sort();
    assert.deepEqual(q, ['dc', 'host', 'tenant', 'vn']);
  });

  test('swagger-ui is served at /docs without a token', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
  });
});
