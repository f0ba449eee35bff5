import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XsiteError, isXsiteError } from '../../../src/core/errors';
import type { ChannelJob } from '../../../src/ports/control-channel';
import { MemNet, next, tick, until, within } from './support';

test('job dispatch: the local runs it, acks the result, dispatchJob resolves with it', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc1');
    const seen: ChannelJob[] = [];
    c.onJob(async (job) => {
      seen.push(job);
      return { installed: (job.body as { flows: number }).flows };
    });
    await within(c.connect());
    const r = await within(net.server.dispatchJob('dc1', { id: 'j1', type: 'install', body: { flows: 3 } }));
    assert.deepEqual(r, { jobId: 'j1', dc: 'dc1', value: { installed: 3 } });
    assert.deepEqual(seen, [{ id: 'j1', type: 'install', body: { flows: 3 } }]);
    assert.deepEqual(net.server.pendingJobIds('dc1'), []);
  } finally {
    net.close();
  }
});

test('a handler returning undefined acks null', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc1');
    c.onJob(async () => undefined);
    await within(c.connect());
    const r = await within(net.server.dispatchJob('dc1', { id: 'j', type: 't', body: null }));
    assert.equal(r.value, null);
  } finally {
    net.close();
  }
});

test('a job failing on the local side rejects with its error code and details', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc2');
    c.onJob(async (job) => {
      if (job.type === 'xsite') throw new XsiteError('LOCAL_SWITCH_REFUSED', 'switch s3 refused the bundle', { switch: 's3' });
      throw new Error('plain failure');
    });
    await within(c.connect());
    await assert.rejects(within(net.server.dispatchJob('dc2', { id: 'a', type: 'xsite', body: {} })), (e) => {
      assert.ok(isXsiteError(e, 'LOCAL_SWITCH_REFUSED'));
      assert.equal(e.message, 'switch s3 refused the bundle');
      assert.deepEqual(e.details, { switch: 's3' });
      return true;
    });
    await assert.rejects(within(net.server.dispatchJob('dc2', { id: 'b', type: 'other', body: {} })), (e) => {
      assert.ok(isXsiteError(e, 'CHANNEL_HANDLER_FAILED'));
      assert.match(e.message, /plain failure/);
      return true;
    });
    // The failure is remembered too: the same id is not run again.
    await assert.rejects(within(net.server.dispatchJob('dc2', { id: 'a', type: 'xsite', body: {} })), (e) => isXsiteError(e, 'LOCAL_SWITCH_REFUSED'));
    assert.equal(c.jobsExecuted, 2);
  } finally {
    net.close();
  }
});

test('duplicate job id dispatched twice (concurrently and after the ack) is executed once', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc1');
    let runs = 0;
    c.onJob(async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      return runs;
    });
    await within(c.connect());
    const job = { id: 'dup', type: 'install', body: {} };
    const p1 = net.server.dispatchJob('dc1', job);
    const p2 = net.server.dispatchJob('dc1', job);
    assert.equal(p1, p2, 'a pending id returns the same promise');
    assert.equal((await within(p1)).value, 1);
    const again = await within(net.server.dispatchJob('dc1', job));
    assert.equal(again.value, 1, 'answered from the stored result');
    assert.equal(runs, 1);
    assert.equal(c.jobsExecuted, 1);
  } finally {
    net.close();
  }
});

test('reconnect: transport killed while a job is in flight -> resync, re-send, acked exactly once', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc1');
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    c.onJob(async (job) => {
      runs++;
      await gate;
      return `done ${job.id}`;
    });
    await within(c.connect());
    const resyncs: unknown[] = [];
    net.server.on('resync', (_dc, s) => resyncs.push(s));
    const p = net.server.dispatchJob('dc1', { id: 'mig-1', type: 'migrate', body: {} });
    await until(() => runs === 1);

    // The transport dies while the job runs.
    const disconnected = next(net.server, 'disconnected');
    net.cut('dc1');
    assert.equal((await disconnected)[0], 'dc1');
    release(); // finishes while disconnected: the ack cannot be sent now
    await tick();
    await until(() => c.isConnected && resyncs.length === 1, 3000, 'reconnect + resync');
    assert.deepEqual(resyncs[0], { completed: ['mig-1'], inProgress: [] });
    const r = await within(p);
    assert.deepEqual(r, { jobId: 'mig-1', dc: 'dc1', value: 'done mig-1' });
    assert.equal(runs, 1, 'the handler ran once');
    assert.equal(net.streams.get('dc1')!.length, 2);
  } finally {
    net.close();
  }
});

test('reconnect while the job is still running: it is reported in progress, not re-sent, acked when done', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc1');
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    c.onJob(async () => {
      runs++;
      await gate;
      return 'ok';
    });
    await within(c.connect());
    const p = net.server.dispatchJob('dc1', { id: 'long', type: 'migrate', body: {} });
    await until(() => runs === 1);
    const resync = next(net.server, 'resync');
    net.cut('dc1');
    const [, state] = await resync;
    assert.deepEqual(state, { completed: [], inProgress: ['long'] });
    release();
    assert.equal((await within(p)).value, 'ok');
    assert.equal(runs, 1);
  } finally {
    net.close();
  }
});

test('the ack is lost: the re-sent job is answered from the stored result', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc3');
    let runs = 0;
    c.onJob(async () => ++runs);
    await within(c.connect());
    // Cut the stream right after the handler finished, before its ack is written.
    const conn = c.connection!;
    const origAck = conn.sendOutcome.bind(conn);
    conn.sendOutcome = (kind, id, outcome) => {
      if (kind === 'job_ack') {
        net.cut('dc3');
        return false;
      }
      return origAck(kind, id, outcome);
    };
    const r = await within(net.server.dispatchJob('dc3', { id: 'lost-ack', type: 't', body: {} }));
    assert.equal(r.value, 1);
    assert.equal(runs, 1);
  } finally {
    net.close();
  }
});

test('dispatch to a DC that is not connected yet waits for it, then runs', async () => {
  const net = new MemNet();
  try {
    const p = net.server.dispatchJob('dc2', { id: 'early', type: 't', body: 5 });
    assert.deepEqual(net.server.pendingJobIds('dc2'), ['early']);
    const c = net.client('dc2');
    c.onJob(async (job) => (job.body as number) * 2);
    await within(c.connect());
    assert.equal((await within(p)).value, 10);
  } finally {
    net.close();
  }
});

test('dispatch to an unknown DC rejects with CHANNEL_UNKNOWN_DC; send/request to a DC offline -> CHANNEL_CLOSED', async () => {
  const net = new MemNet();
  try {
    await assert.rejects(net.server.dispatchJob('dc-x', { id: '1', type: 't', body: null }), (e) => isXsiteError(e, 'CHANNEL_UNKNOWN_DC'));
    await assert.rejects(net.server.dispatchJob('dc1', { id: '', type: 't', body: null }), (e) => isXsiteError(e, 'CHANNEL_BAD_FRAME'));
    assert.throws(() => net.server.send('dc1', {}), (e) => isXsiteError(e, 'CHANNEL_CLOSED'));
    assert.throws(() => net.server.send('dc-x', {}), (e) => isXsiteError(e, 'CHANNEL_UNKNOWN_DC'));
    await assert.rejects(net.server.request('dc1', {}), (e) => isXsiteError(e, 'CHANNEL_CLOSED'));
  } finally {
    net.close();
  }
});

test('job timeout rejects with CHANNEL_TIMEOUT; server close rejects pending jobs with CHANNEL_CLOSED', async () => {
  const net = new MemNet();
  try {
    await assert.rejects(within(net.server.dispatchJob('dc1', { id: 't1', type: 't', body: null }, { timeoutMs: 30 })), (e) =>
      isXsiteError(e, 'CHANNEL_TIMEOUT'),
    );
    assert.deepEqual(net.server.pendingJobIds('dc1'), []);
    const p = net.server.dispatchJob('dc1', { id: 't2', type: 't', body: null });
    net.server.close();
    await assert.rejects(within(p), (e) => isXsiteError(e, 'CHANNEL_CLOSED'));
  } finally {
    net.close();
  }
});

test('a job arriving with no handler registered is acked CHANNEL_NO_HANDLER and not remembered', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc1');
    await within(c.connect());
    await assert.rejects(within(net.server.dispatchJob('dc1', { id: 'n', type: 't', body: null })), (e) => isXsiteError(e, 'CHANNEL_NO_HANDLER'));
    c.onJob(async () => 'now');
    assert.equal((await within(net.server.dispatchJob('dc1', { id: 'n', type: 't', body: null }))).value, 'now');
  } finally {
    net.close();
  }
});

test('the result memory is bounded: the oldest ids are forgotten', async () => {
  const net = new MemNet();
  try {
    const c = net.client('dc1', { jobResultCapacity: 3 });
    c.onJob(async (j) => j.id);
    await within(c.connect());
    for (const id of ['1', '2', '3', '4']) await within(net.server.dispatchJob('dc1', { id, type: 't', body: null }));
    assert.deepEqual(c.results.ids(), ['2', '3', '4']);
    await within(net.server.dispatchJob('dc1', { id: '1', type: 't', body: null }));
    assert.equal(c.jobsExecuted, 5, 'a forgotten id runs again');
    await within(net.server.dispatchJob('dc1', { id: '4', type: 't', body: null }));
    assert.equal(c.jobsExecuted, 5);
  } finally {
    net.close();
  }
});
