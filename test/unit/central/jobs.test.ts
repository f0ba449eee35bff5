import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JobQueue } from '../../../src/central/jobs';
import { isXsiteError } from '../../../src/core/errors';
import { SqliteStore } from '../../../src/drivers/store/sqlite';

const code = (c: string) => (e: unknown) => isXsiteError(e, c);

describe('JobQueue', () => {
  test('creating the same job id twice returns the existing job, never a duplicate', async () => {
    const store = await SqliteStore.open(':memory:');
    let t = 1;
    const jobs = new JobQueue(store, { now: () => t++ });
    const a = await jobs.create({ id: 'm1/dc2/setup-path', dc: 'dc2', kind: 'setup-path', payload: { vm: 'a' } });
    assert.deepEqual(a, { id: 'm1/dc2/setup-path', dc: 'dc2', kind: 'setup-path', payload: { vm: 'a' }, status: 'pending', createdAt: 1, updatedAt: 1 });
    const again = await jobs.create({ id: 'm1/dc2/setup-path', dc: 'dc2', kind: 'setup-path', payload: { vm: 'changed' } });
    assert.deepEqual(again, a);
    const both = await Promise.all([1, 2, 3].map(() => jobs.create({ id: 'j2', dc: 'dc2', kind: 'k' })));
    assert.ok(both.every((j) => j.createdAt === both[0]!.createdAt));
    assert.equal((await jobs.list()).length, 2);
    await assert.rejects(jobs.create({ id: 'j2', dc: 'dc1', kind: 'k' }), code('JOB_ID_CONFLICT'));
    await store.close();
  });

  test('done / failed / retry transitions; repeated acks are no-ops; bad transitions refused', async () => {
    const store = await SqliteStore.open(':memory:');
    let t = 1;
    const jobs = new JobQueue(store, { now: () => t++ });
    await jobs.create({ id: 'a', dc: 'dc1', kind: 'k' });
    await jobs.create({ id: 'b', dc: 'dc1', kind: 'k' });
    await jobs.create({ id: 'c', dc: 'dc2', kind: 'k' });
    await jobs.create({ id: 'd', dc: 'dc1', kind: 'k' });
    assert.deepEqual((await jobs.listPending('dc1')).map((j) => j.id), ['a', 'b', 'd']);
    const done = await jobs.markDone('a');
    assert.equal(done.status, 'done');
    assert.deepEqual(await jobs.markDone('a'), done);
    const failed = await jobs.markFailed('b', 'switch refused');
    assert.equal(failed.error, 'switch refused');
    assert.deepEqual(await jobs.get('b'), failed);
    await assert.rejects(jobs.markDone('b'), code('JOB_BAD_TRANSITION'));
    await assert.rejects(jobs.markFailed('a', 'late'), code('JOB_BAD_TRANSITION'));
    await assert.rejects(jobs.retry('a'), code('JOB_BAD_TRANSITION'));
    await assert.rejects(jobs.markDone('zz'), code('JOB_NOT_FOUND'));
    await assert.rejects(jobs.get('zz'), code('JOB_NOT_FOUND'));
    assert.deepEqual((await jobs.listPending('dc1')).map((j) => j.id), ['d']);
    const retried = await jobs.retry('b');
    assert.equal(retried.status, 'pending');
    assert.equal(retried.error, undefined);
    assert.equal((await jobs.get('b')).error, undefined);
    assert.deepEqual((await jobs.listPending('dc1')).map((j) => j.id), ['b', 'd']);
    assert.deepEqual((await jobs.listPending('dc2')).map((j) => j.id), ['c']);
    assert.deepEqual((await jobs.list({ status: 'done' })).map((j) => j.id), ['a']);
    await store.close();
  });
});
