/** `/v1/migrations` against a fake migration service: requests, errors, visibility, lists, event streams, OpenAPI. */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { MigrationApi } from '../../../src/api/routes/migrations';
import type { MigrationService } from '../../../src/central/migration';
import type { MigrationRecord } from '../../../src/model/migration';
import { ACME_T, GLOBEX_T, OP, setupMigrations, type MigrationHarness } from './fake-migration-service';
import { call, codeOf } from './helpers';

// The real service satisfies the interface the routes depend on (compile-time check).
const _real: MigrationApi = null as unknown as MigrationService;
void _real;

interface SseEvent {
  event: string;
  data: MigrationRecord;
}

/** Parses a whole `text/event-stream` body (comment lines ignored). */
function parseSse(body: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const block of body.split('\n\n')) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) out.push({ event, data: JSON.parse(data.join('\n')) as MigrationRecord });
  }
  return out;
}

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('migrations API', () => {
  let h: MigrationHarness;
  before(async () => {
    h = await setupMigrations();
  });
  after(() => h.close());

  test('operator: POST 202 with the record, GET it, it completes', async () => {
    const res = await call(h.app, 'POST', '/v1/migrations', OP, { vm: 'web1', destinationHost: 'h3' });
    assert.equal(res.statusCode, 202, res.body);
    const rec = res.json() as MigrationRecord;
    assert.equal(res.headers.location, `/v1/migrations/${rec.id}`);
    assert.deepEqual(
      { vm: rec.vm, tenant: rec.tenant, fromHost: rec.fromHost, toHost: rec.toHost, fromDc: rec.fromDc, toDc: rec.toDc, toSwitch: rec.toSwitch, toPort: rec.toPort, state: rec.state, phases: rec.phases },
      { vm: 'web1', tenant: 'acme', fromHost: 'h1', toHost: 'h3', fromDc: 'dc1', toDc: 'dc2', toSwitch: 'h3-vs', toPort: 7, state: 'requested', phases: {} },
    );
    const got = await call(h.app, 'GET', `/v1/migrations/${rec.id}`, OP);
    assert.equal(got.statusCode, 200);
    assert.equal((got.json() as MigrationRecord).id, rec.id);

    const final = await h.fake.wait(rec.id);
    assert.equal(final.state, 'completed');
    const done = (await call(h.app, 'GET', `/v1/migrations/${rec.id}`, OP)).json() as MigrationRecord;
    assert.equal(done.state, 'completed');
    // Every field of the record goes through the response schema, nested objects whole.
    assert.deepEqual(done, final);
    assert.equal(done.result?.switchoverMs, 3.5);
    assert.deepEqual(done.nat, { allocated: 2, released: 2 });
    assert.equal(done.progress?.phase, 'paused');
  });

  test("tenant: may migrate its own VM, not another tenant's (403)", async () => {
    const no = await call(h.app, 'POST', '/v1/migrations', ACME_T, { vm: 'db1', destinationHost: 'h3' });
    assert.equal(no.statusCode, 403);
    assert.equal(codeOf(no), 'FORBIDDEN');
    const yes = await call(h.app, 'POST', '/v1/migrations', ACME_T, { vm: 'web2', destinationHost: 'h3' });
    assert.equal(yes.statusCode, 202, yes.body);
    const rec = yes.json() as MigrationRecord;
    assert.equal((await h.fake.wait(rec.id)).state, 'rolled-back');
  });

  test('errors map to statuses', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ vm: 'nope', destinationHost: 'h3' }, 404, 'VM_NOT_FOUND'],
      [{ vm: 'db1', destinationHost: 'nohost' }, 404, 'HOST_NOT_FOUND'],
      [{ vm: 'db1', destinationHost: 'h2' }, 409, 'MIGRATION_SAME_HOST'],
      [{ vm: 'db1', destinationHost: 'full' }, 409, 'MIGRATION_NO_CAPACITY'],
      [{ vm: 'db1', destinationHost: 'noport' }, 409, 'MIGRATION_NO_PORT'],
      [{ vm: 'db1', destinationHost: 'h3', extra: 1 }, 400, 'BAD_REQUEST'],
      [{ vm: 'db1' }, 400, 'BAD_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const res = await call(h.app, 'POST', '/v1/migrations', OP, body);
      assert.equal(res.statusCode, status, JSON.stringify(body));
      assert.equal(codeOf(res), code, JSON.stringify(body));
    }
    const first = await call(h.app, 'POST', '/v1/migrations', OP, { vm: 'slow', destinationHost: 'h3' });
    assert.equal(first.statusCode, 202);
    const second = await call(h.app, 'POST', '/v1/migrations', OP, { vm: 'slow', destinationHost: 'h1' });
    assert.equal(second.statusCode, 409);
    assert.equal(codeOf(second), 'MIGRATION_IN_PROGRESS');
    const id = (first.json() as MigrationRecord).id;
    await until(() => h.fake.isHanging(id), 'the slow migration to hang');
    h.fake.release(id);
    await h.fake.wait(id);

    const missing = await call(h.app, 'GET', '/v1/migrations/m999', OP);
    assert.equal(missing.statusCode, 404);
    assert.equal(codeOf(missing), 'MIGRATION_NOT_FOUND');
    assert.equal((await call(h.app, 'GET', '/v1/migrations/m999/events', OP)).statusCode, 404);
    assert.equal((await call(h.app, 'GET', '/v1/migrations')).statusCode, 401);
  });

  test('lists: filters vm and active; a tenant sees only its own, another tenant gets 404', async () => {
    const g = await call(h.app, 'POST', '/v1/migrations', GLOBEX_T, { vm: 'db2', destinationHost: 'h1' });
    assert.equal(g.statusCode, 202, g.body);
    const gid = (g.json() as MigrationRecord).id;
    await until(() => h.fake.isHanging(gid), 'the globex migration to hang');

    const all = (await call(h.app, 'GET', '/v1/migrations', OP)).json() as MigrationRecord[];
    assert.ok(all.length >= 4);
    assert.ok(all.some((m) => m.tenant === 'globex') && all.some((m) => m.tenant === 'acme'));
    const web1 = (await call(h.app, 'GET', '/v1/migrations?vm=web1', OP)).json() as MigrationRecord[];
    assert.deepEqual([...new Set(web1.map((m) => m.vm))], ['web1']);
    const active = (await call(h.app, 'GET', '/v1/migrations?active=true', OP)).json() as MigrationRecord[];
    assert.deepEqual(active.map((m) => m.id), [gid]);
    const inactive = (await call(h.app, 'GET', '/v1/migrations?active=false', OP)).json() as MigrationRecord[];
    assert.equal(inactive.length, all.length - 1);
    assert.ok(inactive.every((m) => ['completed', 'rolled-back', 'failed'].includes(m.state)));
    assert.equal((await call(h.app, 'GET', '/v1/migrations?active=maybe', OP)).statusCode, 400);
    assert.equal((await call(h.app, 'GET', '/v1/migrations?tenant=acme', OP)).statusCode, 400);

    const acme = (await call(h.app, 'GET', '/v1/migrations', ACME_T)).json() as MigrationRecord[];
    assert.ok(acme.length > 0 && acme.every((m) => m.tenant === 'acme'));
    const globex = (await call(h.app, 'GET', '/v1/migrations', GLOBEX_T)).json() as MigrationRecord[];
    assert.deepEqual(globex.map((m) => m.id), [gid]);

    const hidden = await call(h.app, 'GET', `/v1/migrations/${gid}`, ACME_T);
    assert.equal(hidden.statusCode, 404);
    assert.equal(codeOf(hidden), 'MIGRATION_NOT_FOUND');
    assert.equal((await call(h.app, 'GET', `/v1/migrations/${gid}/events`, ACME_T)).statusCode, 404);
    assert.equal((await call(h.app, 'GET', `/v1/migrations/${gid}`, GLOBEX_T)).statusCode, 200);
    h.fake.release(gid);
    assert.equal((await h.fake.wait(gid)).state, 'completed');
  });

  test('events: a running migration, in order, ending after the terminal state', async () => {
    const res = await call(h.app, 'POST', '/v1/migrations', OP, { vm: 'slow', destinationHost: 'h1' });
    assert.equal(res.statusCode, 202, res.body);
    const id = (res.json() as MigrationRecord).id;
    await until(() => h.fake.isHanging(id), 'the migration to reach the copy');
    const stream = call(h.app, 'GET', `/v1/migrations/${id}/events`, OP);
    await until(() => h.fake.listenerCount('state') > 0 && h.fake.listenerCount('progress') > 0, 'the stream to listen');
    h.fake.release(id);
    const sse = await stream;
    assert.equal(sse.statusCode, 200);
    assert.match(sse.headers['content-type'] as string, /^text\/event-stream/);
    const events = parseSse(sse.body);
    assert.deepEqual(
      events.map((e) => `${e.event} ${e.data.state}${e.event === 'progress' ? ` ${e.data.progress!.phase}` : ''}`),
      ['state migration', 'progress migration paused', 'state switchover', 'state post-migration', 'state completed'],
    );
    assert.ok(events.every((e) => e.data.id === id));
    assert.equal(events[0]!.data.progress?.round, 2, 'the first event carries the current record');
    assert.equal(events.at(-1)!.data.result?.flowMods, 14);
    assert.equal(h.fake.listenerCount('state'), 0);
    assert.equal(h.fake.listenerCount('progress'), 0);
  });

  test('events: from the request on, states in order, ends with rolled-back', async () => {
    h.fake.stepMs = 5;
    const res = await call(h.app, 'POST', '/v1/migrations', OP, { vm: 'web2', destinationHost: 'h2' });
    assert.equal(res.statusCode, 202, res.body);
    const id = (res.json() as MigrationRecord).id;
    const events = parseSse((await call(h.app, 'GET', `/v1/migrations/${id}/events`, OP)).body);
    h.fake.stepMs = 2;
    const states = events.filter((e) => e.event === 'state').map((e) => e.data.state);
    assert.equal(states.at(-1), 'rolled-back');
    assert.equal(events[0]!.event, 'state');
    const full = ['requested', 'pre-migration', 'migration', 'rolling-back', 'rolled-back'];
    // A suffix of the full sequence (the stream starts at the state current when it opened).
    assert.deepEqual(states, full.slice(full.indexOf(states[0]!)));
    assert.equal(events.at(-1)!.data.error?.code, 'MIGRATION_COPY_FAILED');
  });

  test('events: a terminal migration gives one state event and ends at once', async () => {
    const [done] = (await call(h.app, 'GET', '/v1/migrations?vm=web1&active=false', OP)).json() as MigrationRecord[];
    assert.ok(done);
    const sse = await call(h.app, 'GET', `/v1/migrations/${done.id}/events`, ACME_T);
    assert.equal(sse.statusCode, 200);
    const events = parseSse(sse.body);
    assert.deepEqual(events.map((e) => [e.event, e.data.state]), [['state', 'completed']]);
    assert.deepEqual(events[0]!.data, done);
    assert.equal(h.fake.listenerCount('state'), 0);
  });

  test('events over a real connection: listeners go when the client disconnects, the stream of a client that stays ends after completed', async () => {
    const res = await call(h.app, 'POST', '/v1/migrations', OP, { vm: 'slow', destinationHost: 'h2' });
    assert.equal(res.statusCode, 202, res.body);
    const id = (res.json() as MigrationRecord).id;
    await until(() => h.fake.isHanging(id), 'the migration to reach the copy');
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (h.app.server.address() as AddressInfo).port;

    const open = (): Promise<{ req: http.ClientRequest; res: http.IncomingMessage; first: string }> =>
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: `/v1/migrations/${id}/events`, headers: { authorization: `Bearer ${OP}` } }, (res) => {
          res.setEncoding('utf8');
          res.once('data', (first: string) => resolve({ req, res, first }));
        });
        req.on('error', reject);
      });

    const a = await open();
    assert.equal(a.res.statusCode, 200);
    assert.match(a.first, /^event: state\ndata: .*"state":"migration"/);
    assert.equal(h.fake.listenerCount('state'), 1);
    a.req.destroy();
    await until(() => h.fake.listenerCount('state') === 0 && h.fake.listenerCount('progress') === 0, 'the listeners to go');

    // The stream of a client that stays ends after the terminal state.
    const b = await open();
    const ended = new Promise<void>((r) => b.res.on('close', () => r()));
    assert.equal(h.fake.listenerCount('state'), 1);
    h.fake.release(id);
    await until(() => h.fake.listenerCount('state') === 0, 'the stream to end after completed');
    await ended;
  });
});

test('closing the API ends open event streams', async () => {
  const h = await setupMigrations();
  const res = await call(h.app, 'POST', '/v1/migrations', OP, { vm: 'slow', destinationHost: 'h3' });
  const id = (res.json() as MigrationRecord).id;
  await until(() => h.fake.isHanging(id), 'the migration to reach the copy');
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.app.server.address() as AddressInfo).port;
  const body = await new Promise<string>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/v1/migrations/${id}/events`, headers: { authorization: `Bearer ${OP}` } }, (r) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => {
        text += c;
        if (text.includes('\n\n')) void h.close();
      });
      r.on('end', () => resolve(text));
      r.on('error', reject);
    });
    req.on('error', reject);
  });
  assert.equal(parseSse(body).length, 1);
  assert.equal(h.fake.listenerCount('state'), 0);
});

describe('migrations API: routes and OpenAPI', () => {
  test('without a migration service the routes do not exist and are not documented', async () => {
    const h = await setupMigrations({ withService: false });
    try {
      const res = await call(h.app, 'GET', '/v1/migrations', OP);
      assert.equal(res.statusCode, 404);
      assert.equal(codeOf(res), 'NOT_FOUND');
      assert.equal((await call(h.app, 'POST', '/v1/migrations', OP, { vm: 'web1', destinationHost: 'h3' })).statusCode, 404);
      const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown>; tags: Array<{ name: string }> };
      assert.deepEqual(Object.keys(doc.paths).filter((p) => p.includes('migration')), []);
      assert.ok(!doc.tags.some((t) => t.name === 'migrations'));
    } finally {
      await h.close();
    }
  });

  test('with the service the four operations are documented with their errors', async () => {
    const h = await setupMigrations();
    try {
      type Op = { responses: Record<string, { content?: Record<string, unknown> }>; security?: unknown; requestBody?: { content: Record<string, { schema: { additionalProperties: boolean; required: string[] } }> }; parameters?: Array<{ in: string; name: string }> };
      const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, Op>>; tags: Array<{ name: string }> };
      const listed = Object.entries(doc.paths)
        .filter(([p]) => p.includes('migration'))
        .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))
        .sort();
      assert.deepEqual(listed, ['get /v1/migrations', 'get /v1/migrations/{id}', 'get /v1/migrations/{id}/events', 'post /v1/migrations']);
      assert.ok(doc.tags.some((t) => t.name === 'migrations'));
      const post = doc.paths['/v1/migrations']!.post!;
      for (const s of ['202', '400', '401', '403', '404', '409', '500', '503']) assert.ok(post.responses[s], `POST ${s}`);
      const body = post.requestBody!.content['application/json']!.schema;
      assert.equal(body.additionalProperties, false);
      assert.deepEqual(body.required, ['vm', 'destinationHost']);
      const record = (post.responses['202']!.content!['application/json'] as { schema: { properties: Record<string, unknown> } }).schema;
      assert.deepEqual(Object.keys(record.properties).sort(), [
        'copyRoute', 'copyTuple', 'createdAt', 'error', 'fromDc', 'fromHost', 'id', 'nat', 'phases', 'progress', 'result', 'state', 'tenant', 'toDc', 'toHost', 'toPort', 'toSwitch', 'updatedAt', 'vm',
      ]);
      const q = doc.paths['/v1/migrations']!.get!.parameters!.filter((p) => p.in === 'query').map((p) => p.name).sort();
      assert.deepEqual(q, ['active', 'vm']);
      const events = doc.paths['/v1/migrations/{id}/events']!.get!;
      assert.ok(events.responses['200']!.content!['text/event-stream'], 'event stream documented');
      assert.ok(events.responses['404']);
      for (const p of ['/v1/migrations/{id}', '/v1/migrations/{id}/events']) {
        assert.deepEqual(doc.paths[p]!.get!.security, [{ bearerAuth: [] }]);
        assert.ok(doc.paths[p]!.get!.parameters!.some((x) => x.in === 'path' && x.name === 'id'));
      }
    } finally {
      await h.close();
    }
  });
});
