/**
 * `xsite serve` on the emulator: the API with the migration routes listens over real HTTP, `xsite migrate` (the
 * command's function, as the CLI runs it) moves a VM to another DC and follows its progress to the end; the routes
 * that would change the VMs answer DIRECTORY_READ_ONLY and change nothing; a request without a token is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runMigrateCommand } from '../../../src/cli/migrate-command';
import { type Serving, startServe } from '../../../src/scenario/serve';

describe('xsite serve (emulator, sim)', { timeout: 60_000 }, () => {
  let s: Serving;
  before(async () => {
    s = await startServe({ port: 0, token: 'serve-test-token' });
  });
  after(async () => {
    await s?.close();
  });

  test('xsite migrate against it: the VM moves to dc2-h2 with progress shown, and peers reach it there', async () => {
    const out = { stdout: '', stderr: '' };
    const code = await runMigrateCommand(
      { vm: 'acme-web1', to: 'dc2-h2', api: s.url, token: s.token, json: true },
      { stdout: (x) => void (out.stdout += x), stderr: (x) => void (out.stderr += x) },
    );
    assert.equal(code, 0, out.stderr);
    const rec = JSON.parse(out.stdout) as { state: string; vm: string; toHost: string; result?: { switchoverMs: number } };
    assert.deepEqual([rec.state, rec.vm, rec.toHost], ['completed', 'acme-web1', 'dc2-h2']);
    assert.ok((rec.result?.switchoverMs ?? 0) > 0);
    assert.match(out.stderr, /precopy|copy/i, 'progress lines on stderr');
    assert.equal((await s.testbed.ctl.directory.vmByName('acme-web1')).host.name, 'dc2-h2');
    assert.equal(await s.testbed.reach('acme-web2', 'acme-web1'), true);
    // The same request again: the VM is there already.
    const again = await fetch(`${s.url}/v1/migrations`, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ vm: 'acme-web1', destinationHost: 'dc2-h2' }) });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'MIGRATION_SAME_HOST');
  });

  test("the VMs are the topology's: changing them is refused and changes nothing; no token, no access", async () => {
    const before = (await s.testbed.ctl.store.listVms()).length;
    const del = await fetch(`${s.url}/v1/vms/acme-web2`, { method: 'DELETE', headers: { authorization: `Bearer ${s.token}` } });
    assert.equal(del.status, 409);
    assert.equal(((await del.json()) as { error: { code: string } }).error.code, 'DIRECTORY_READ_ONLY');
    assert.equal((await s.testbed.ctl.store.listVms()).length, before);
    const anon = await fetch(`${s.url}/v1/migrations`);
    assert.equal(anon.status, 401);
    const list = await fetch(`${s.url}/v1/migrations`, { headers: { authorization: `Bearer ${s.token}` } });
    assert.equal(list.status, 200);
  });
});
