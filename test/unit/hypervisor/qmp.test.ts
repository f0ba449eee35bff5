import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { isXsiteError } from '../../../src/core/errors';
import { QmpClient, QmpProtocol, type QmpEvent } from '../../../src/drivers/hypervisor/qemu/qmp';

const GREETING = { QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 }, package: '' }, capabilities: ['oob'] } };

/** A fake QEMU end: records what the client writes (one JSON object per line) and lets the test push lines. */
class FakeQemu extends Duplex {
  readonly written: Record<string, unknown>[] = [];
  private partial = '';
  private readonly waiters: (() => void)[] = [];
  /** Replies automatically to these commands. */
  autoReply: Record<string, unknown> = { qmp_capabilities: {} };

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.partial += chunk.toString('utf8');
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const msg = JSON.parse(this.partial.slice(0, nl)) as Record<string, unknown>;
      this.partial = this.partial.slice(nl + 1);
      this.written.push(msg);
      const cmd = msg.execute as string;
      if (cmd in this.autoReply) this.send({ return: this.autoReply[cmd], id: msg.id });
      for (const w of this.waiters.splice(0)) w();
    }
    cb();
  }

  send(obj: unknown): void {
    this.push(`${JSON.stringify(obj)}\r\n`);
  }

  /** Resolves once the client has written `n` messages. */
  async waitWritten(n: number): Promise<void> {
    while (this.written.length < n) await new Promise<void>((r) => this.waiters.push(r));
  }
}

async function openClient(): Promise<{ fake: FakeQemu; client: QmpClient }> {
  const fake = new FakeQemu();
  const p = QmpClient.open(fake, { timeoutMs: 1000 });
  fake.send(GREETING);
  const client = await p;
  return { fake, client };
}

describe('QmpProtocol', () => {
  it('handles split lines, a greeting, replies by id and events', async () => {
    const lines: string[] = [];
    const p = new QmpProtocol((l) => lines.push(l));
    const events: QmpEvent[] = [];
    p.on('event', (e: QmpEvent) => events.push(e));
    const g = p.greeting();
    const text = `${JSON.stringify(GREETING)}\r\n`;
    p.feed(text.slice(0, 10));
    p.feed(text.slice(10));
    assert.equal((await g).version.qemu.major, 7);

    const a = p.execute('query-status');
    const b = p.execute('query-migrate', { x: 1 });
    const sentA = JSON.parse(lines[0]!) as { id: string; execute: string; arguments?: unknown };
    const sentB = JSON.parse(lines[1]!) as { id: string; execute: string; arguments?: unknown };
    assert.equal(sentA.execute, 'query-status');
    assert.equal(sentA.arguments, undefined);
    assert.deepEqual(sentB.arguments, { x: 1 });
    assert.notEqual(sentA.id, sentB.id);
    // Replies out of order, an event in between, two objects in one chunk.
    p.feed(
      `${JSON.stringify({ return: { status: 'active' }, id: sentB.id })}\n` +
        `${JSON.stringify({ event: 'MIGRATION', data: { status: 'active' }, timestamp: { seconds: 10, microseconds: 500000 } })}\n`,
    );
    p.feed(`${JSON.stringify({ return: { running: true }, id: sentA.id })}\n`);
    assert.deepEqual(await b, { status: 'active' });
    assert.deepEqual(await a, { running: true });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.event, 'MIGRATION');
    assert.deepEqual(events[0]!.data, { status: 'active' });
    assert.equal(events[0]!.timestampMs, 10500);
    assert.equal(p.pendingCount, 0);
  });

  it('reports garbage and unknown ids as protocol errors without failing pending commands', async () => {
    const lines: string[] = [];
    const p = new QmpProtocol((l) => lines.push(l));
    const errors: Error[] = [];
    p.on('protocolError', (e: Error) => errors.push(e));
    const a = p.execute('query-status');
    p.feed('not json\n{"return": {}, "id": "nope"}\n');
    assert.equal(errors.length, 2);
    assert.ok(errors.every((e) => isXsiteError(e, 'QMP_PROTOCOL')));
    const id = (JSON.parse(lines[0]!) as { id: string }).id;
    p.feed(`{"return": {}, "id": "${id}"}\n`);
    assert.deepEqual(await a, {});
  });
});

describe('QmpClient over a fake stream', () => {
  it('waits for the greeting, then negotiates capabilities before anything else', async () => {
    const fake = new FakeQemu();
    const p = QmpClient.open(fake, { timeoutMs: 1000 });
    await new Promise((r) => setImmediate(r));
    assert.equal(fake.written.length, 0, 'nothing sent before the greeting');
    fake.send(GREETING);
    const client = await p;
    assert.equal(fake.written[0]!.execute, 'qmp_capabilities');
    assert.equal(client.greeting?.version.qemu.minor, 2);
    client.close();
  });

  it('times out the handshake when no greeting comes', async () => {
    const fake = new FakeQemu();
    await assert.rejects(QmpClient.open(fake, { timeoutMs: 50 }), (e: unknown) => isXsiteError(e, 'QMP_TIMEOUT'));
    assert.ok(fake.destroyed, 'stream destroyed');
  });

  it('gives each command its own id and resolves by id', async () => {
    const { fake, client } = await openClient();
    const r1 = client.execute('query-status');
    const r2 = client.execute('query-migrate');
    await fake.waitWritten(3);
    const [, c1, c2] = fake.written as { id: string; execute: string }[];
    assert.equal(c1!.execute, 'query-status');
    assert.equal(c2!.execute, 'query-migrate');
    assert.notEqual(c1!.id, c2!.id);
    fake.send({ return: { status: 'completed' }, id: c2!.id });
    fake.send({ return: { status: 'running', running: true }, id: c1!.id });
    assert.deepEqual(await r1, { status: 'running', running: true });
    assert.deepEqual(await r2, { status: 'completed' });
    client.close();
  });

  it('turns error replies into QMP_ERROR with class and desc', async () => {
    const { fake, client } = await openClient();
    const r = client.execute('migrate', { uri: 'tcp:127.0.0.1:1' });
    await fake.waitWritten(2);
    const id = fake.written[1]!.id;
    fake.send({ error: { class: 'GenericError', desc: 'Failed to connect' }, id });
    await assert.rejects(r, (e: unknown) => {
      assert.ok(isXsiteError(e, 'QMP_ERROR'));
      assert.equal(e.details?.class, 'GenericError');
      assert.equal(e.details?.desc, 'Failed to connect');
      assert.equal(e.details?.command, 'migrate');
      assert.match(e.message, /Failed to connect/);
      return true;
    });
    // The connection is still usable.
    const r2 = client.execute('query-status');
    await fake.waitWritten(3);
    fake.send({ return: { running: true }, id: fake.written[2]!.id });
    assert.deepEqual(await r2, { running: true });
    client.close();
  });

  it('emits events and waitEvent resolves on the first matching one', async () => {
    const { fake, client } = await openClient();
    const seen: string[] = [];
    client.on('event', (e: QmpEvent) => seen.push(`${e.event}:${String(e.data.status)}`));
    const w = client.waitEvent('MIGRATION', (e) => e.data.status === 'pre-switchover', 1000);
    fake.send({ event: 'STOP', data: {}, timestamp: { seconds: 1, microseconds: 0 } });
    fake.send({ event: 'MIGRATION', data: { status: 'active' }, timestamp: { seconds: 1, microseconds: 0 } });
    fake.send({ event: 'MIGRATION', data: { status: 'pre-switchover' }, timestamp: { seconds: 2, microseconds: 0 } });
    const e = await w;
    assert.equal(e.data.status, 'pre-switchover');
    assert.equal(e.timestampMs, 2000);
    assert.deepEqual(seen, ['STOP:undefined', 'MIGRATION:active', 'MIGRATION:pre-switchover']);
    assert.equal(client.protocol.listenerCount('event'), 1, 'waitEvent removed its listener');
    client.close();
  });

  it('waitEvent times out with QMP_TIMEOUT', async () => {
    const { fake, client } = await openClient();
    const t0 = Date.now();
    const w = client.waitEvent('MIGRATION', () => true, 60);
    fake.send({ event: 'RESUME', data: {}, timestamp: { seconds: 1, microseconds: 0 } });
    await assert.rejects(w, (e: unknown) => isXsiteError(e, 'QMP_TIMEOUT'));
    assert.ok(Date.now() - t0 >= 50);
    client.close();
  });

  it('closing rejects pending commands and waiters, and later commands', async () => {
    const { fake, client } = await openClient();
    const r = client.execute('query-status');
    const w = client.waitEvent('MIGRATION', () => true, 5000);
    await fake.waitWritten(2);
    let closeErr: Error | undefined;
    client.on('close', (e: Error) => (closeErr = e));
    client.close();
    await assert.rejects(r, (e: unknown) => isXsiteError(e, 'QMP_CLOSED'));
    await assert.rejects(w, (e: unknown) => isXsiteError(e, 'QMP_CLOSED'));
    await assert.rejects(client.execute('query-status'), (e: unknown) => isXsiteError(e, 'QMP_CLOSED'));
    assert.ok(closeErr && isXsiteError(closeErr, 'QMP_CLOSED'));
    assert.ok(client.closed);
  });

  it('the server going away rejects pending commands', async () => {
    const { fake, client } = await openClient();
    const r = client.execute('query-status');
    await fake.waitWritten(2);
    fake.push(null);
    await assert.rejects(r, (e: unknown) => isXsiteError(e, 'QMP_CLOSED'));
    assert.ok(client.closed);
    client.close();
  });
});
