/** Helpers for the control channel tests (not a test file itself). */
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { memoryDuplexPair } from '../../../src/openflow/memory-duplex';
import { ControlChannelClient, type ChannelClientOptions } from '../../../src/drivers/channel/client';
import { ControlChannelServer, type ChannelServerOptions } from '../../../src/drivers/channel/server';
import { FrameDecoder } from '../../../src/drivers/channel/framing';
import { decodeEnvelope, encodeEnvelope } from '../../../src/drivers/channel/envelope';
import { channelMac } from '../../../src/drivers/channel/auth';
import type { ChannelEnvelope, ChannelKind } from '../../../src/ports/control-channel';

export const SECRETS: Record<string, string> = { dc1: 'secret-one', dc2: 'secret-two', dc3: 'secret-three' };

/** Fast timings for tests (real clock). */
export const FAST = { pingIntervalMs: 200, deadAfterMs: 1000, handshakeTimeoutMs: 1000, requestTimeoutMs: 1000 };

/** Rejects after `ms` so no test can hang. */
export function within<T>(p: Promise<T>, ms = 3000, what = 'operation'): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** Resolves with the arguments of the next `event`. */
export function next(em: EventEmitter, event: string, ms = 3000): Promise<unknown[]> {
  return within(
    new Promise<unknown[]>((resolve) => em.once(event, (...args: unknown[]) => resolve(args))),
    ms,
    `event ${event}`,
  );
}

/** Polls `cond` until true. */
export async function until(cond: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A server plus an in-memory "network": every connector call makes a fresh pair and hands one end to the server. */
export class MemNet {
  readonly server: ControlChannelServer;
  readonly clients: ControlChannelClient[] = [];
  /** Client ends of every stream made, per DC, newest last. */
  readonly streams = new Map<string, Duplex[]>();
  /** When false, connect attempts fail (central unreachable). */
  reachable = true;

  constructor(opts: Partial<ChannelServerOptions> = {}) {
    this.server = new ControlChannelServer({ secrets: SECRETS, ...FAST, ...opts });
  }

  connector(dc: string): () => Duplex {
    return () => {
      if (!this.reachable) throw new Error('unreachable');
      const [a, b] = memoryDuplexPair();
      this.server.accept(a);
      const list = this.streams.get(dc) ?? [];
      list.push(b);
      this.streams.set(dc, list);
      return b;
    };
  }

  client(dc: string, opts: Partial<ChannelClientOptions> = {}): ControlChannelClient {
    const c = new ControlChannelClient({
      dc,
      secret: SECRETS[dc] ?? 'nope',
      connect: this.connector(dc),
      initialBackoffMs: 10,
      maxBackoffMs: 50,
      ...FAST,
      ...opts,
    });
    this.clients.push(c);
    return c;
  }

  /** Cuts the newest stream of `dc` (the transport dies under both sides). */
  cut(dc: string): void {
    const list = this.streams.get(dc);
    list?.[list.length - 1]?.destroy();
  }

  close(): void {
    for (const c of this.clients) c.close();
    this.server.close();
  }
}

/** A hand-driven peer speaking raw frames (to send malformed data or stay silent). */
export class RawPeer {
  readonly received: ChannelEnvelope[] = [];
  readonly badFrames: Error[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder();
  private waiters: Array<() => void> = [];

  constructor(readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.decoder.push(chunk)) this.received.push(decodeEnvelope(f));
      } catch (e) {
        this.badFrames.push(e as Error);
      }
      this.wake();
    });
    stream.on('close', () => {
      this.closed = true;
      this.wake();
    });
    stream.on('end', () => {
      this.closed = true;
      this.wake();
    });
    stream.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(kind: ChannelKind, id: string, body: unknown, v = 1, dc?: string): void {
    const env: ChannelEnvelope = { v, kind, id, body };
    if (dc !== undefined) env.dc = dc;
    this.stream.write(encodeEnvelope(env));
  }

  writeRaw(buf: Buffer): void {
    this.stream.write(buf);
  }

  /** Waits for (and removes) the first received envelope of `kind`. */
  async expect(kind: ChannelKind, ms = 2000): Promise<ChannelEnvelope> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.received.findIndex((e) => e.kind === kind);
      if (i >= 0) return this.received.splice(i, 1)[0]!;
      if (Date.now() > end) throw new Error(`no ${kind} received in ${ms} ms (got ${this.received.map((e) => e.kind).join(',')})`);
      await within(new Promise<void>((r) => this.waiters.push(r)), Math.max(1, end - Date.now())).catch(() => undefined);
    }
  }

  async waitClosed(ms = 2000): Promise<void> {
    await until(() => this.closed, ms, 'raw peer closed');
  }

  /** Plays the client side of the handshake against a server. */
  async authenticate(dc: string, secret: string, versions = [1]): Promise<ChannelEnvelope> {
    const hello = await this.expect('hello');
    const nonce = (hello.body as { nonce: string }).nonce;
    this.send('hello', 'h1', { dc, versions, mac: channelMac(secret, nonce, dc) }, 1, dc);
    return this.expect('hello_ok');
  }
}
