import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { XsiteError } from '../core/errors';
import type { MessageOf } from '../codec/openflow/types';
import { type ConnectionOptions, SwitchConnection } from './connection';

/**
 * What an application attached to a controller implements. Every hook is optional; hooks may send on the
 * connection they are given. (Applications that want pure logic keep it in a separate module and call it here.)
 */
export interface ControllerApp {
  onSwitchReady?(conn: SwitchConnection): void | Promise<void>;
  onPacketIn?(conn: SwitchConnection, msg: MessageOf<'packet_in'>): void;
  onPortStatus?(conn: SwitchConnection, msg: MessageOf<'port_status'>): void;
  onFlowRemoved?(conn: SwitchConnection, msg: MessageOf<'flow_removed'>): void;
  onSwitchGone?(conn: SwitchConnection): void;
}

/**
 * Accepts OpenFlow connections from many switches (TCP listener or any duplex handed to `accept`) and knows each
 * switch by datapath id. A switch that reconnects replaces its old connection, whose pending requests are rejected.
 *
 * Events: `switch` (a connection reached MAIN), `switch_ready` (every app's `onSwitchReady` for it settled),
 * `switch_gone` (a MAIN connection closed), `app_error`.
 */
export class OpenFlowController extends EventEmitter {
  /** Connections in MAIN, by datapath id. */
  readonly switches = new Map<bigint, SwitchConnection>();
  private readonly apps: ControllerApp[] = [];
  private server: net.Server | undefined;
  private socketPath: string | undefined;
  private readonly connecting = new Set<SwitchConnection>();
  /** Connections in MAIN whose apps' ready hooks all settled (what `waitForSwitches` counts). */
  private readonly ready = new Set<SwitchConnection>();

  constructor(private readonly connOptions: ConnectionOptions = {}) {
    super();
  }

  /** Registers an application; it sees switches that become ready from now on. */
  use(app: ControllerApp): this {
    this.apps.push(app);
    return this;
  }

  /**
   * Listens on TCP, or on TLS when `tlsOptions` (key, cert, and ca/requestCert for mutual authentication) are given;
   * resolves with the bound port (pass 0 for an ephemeral port).
   */
  listen(port: number, host = '127.0.0.1', tlsOptions?: tls.TlsOptions): Promise<number> {
    if (this.server) return Promise.reject(new XsiteError('CONTROLLER_ALREADY_LISTENING', 'already listening'));
    const onSocket = (sock: net.Socket) => {
      sock.setNoDelay(true);
      this.accept(sock);
    };
    const server = tlsOptions ? tls.createServer(tlsOptions, onSocket) : net.createServer(onSocket);
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new XsiteError('CONTROLLER_LISTEN_FAILED', `cannot listen on ${host}:${port}: ${e.code ?? e.message}`)),
      );
      server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
    });
  }

  /**
   * Listens on a Unix socket at `socketPath` (a stale socket file there is replaced); switches connect with the target
   * `unix:PATH` (Open vSwitch's `set-controller`). Unlike loopback TCP it reaches across network namespaces, so a
   * vswitchd in its own namespace needs no relay. The file is removed on close.
   */
  listenUnix(socketPath: string): Promise<void> {
    if (this.server) return Promise.reject(new XsiteError('CONTROLLER_ALREADY_LISTENING', 'already listening'));
    try {
      if (fs.statSync(socketPath).isSocket()) fs.unlinkSync(socketPath);
    } catch {
      /* nothing there */
    }
    const server = net.createServer((sock) => this.accept(sock));
    this.server = server;
    this.socketPath = socketPath;
    return new Promise((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new XsiteError('CONTROLLER_LISTEN_FAILED', `cannot listen on ${socketPath}: ${e.code ?? e.message}`)));
      server.listen(socketPath, () => resolve());
    });
  }

  /** Runs the OpenFlow handshake on a stream and manages the resulting switch. */
  accept(stream: Duplex): SwitchConnection {
    const conn = new SwitchConnection(stream, this.connOptions);
    this.connecting.add(conn);
    conn.once('ready', () => {
      this.connecting.delete(conn);
      const old = this.switches.get(conn.datapathId);
      this.switches.set(conn.datapathId, conn);
      if (old !== undefined && old !== conn) old.close('replaced');
      this.bind(conn);
      this.emit('switch', conn);
    });
    conn.once('close', () => {
      this.connecting.delete(conn);
      this.ready.delete(conn);
      if (this.switches.get(conn.datapathId) === conn) {
        this.switches.delete(conn.datapathId);
        for (const app of this.apps) this.guard(() => app.onSwitchGone?.(conn));
        this.emit('switch_gone', conn);
      }
    });
    return conn;
  }

  /**
   * Resolves when `count` switches are in MAIN and every app finished its `onSwitchReady` for them (so the flows an
   * app installs on connect are there before the caller sends traffic), or rejects after timeoutMs.
   */
  waitForSwitches(count: number, timeoutMs = 10000): Promise<void> {
    if (this.ready.size >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('switch_ready', check);
        reject(new XsiteError('CONTROLLER_WAIT_TIMEOUT', `${this.ready.size}/${count} switches connected and ready after ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (this.ready.size >= count) {
          clearTimeout(timer);
          this.off('switch_ready', check);
          resolve();
        }
      };
      this.on('switch_ready', check);
    });
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    for (const c of [...this.switches.values(), ...this.connecting]) c.close('local_close');
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.socketPath !== undefined) {
      fs.rmSync(this.socketPath, { force: true });
      this.socketPath = undefined;
    }
  }

  private bind(conn: SwitchConnection): void {
    conn.on('packet_in', (m: MessageOf<'packet_in'>) => {
      for (const app of this.apps) this.guard(() => app.onPacketIn?.(conn, m));
    });
    conn.on('port_status', (m: MessageOf<'port_status'>) => {
      for (const app of this.apps) this.guard(() => app.onPortStatus?.(conn, m));
    });
    conn.on('flow_removed', (m: MessageOf<'flow_removed'>) => {
      for (const app of this.apps) this.guard(() => app.onFlowRemoved?.(conn, m));
    });
    const hooks = this.apps.map((app) => this.guard(() => app.onSwitchReady?.(conn)));
    void Promise.all(hooks).then(() => {
      if (this.switches.get(conn.datapathId) !== conn || conn.state === 'closed') return;
      this.ready.add(conn);
      this.emit('switch_ready', conn);
    });
  }

  /** An application's failure is reported, never allowed to take the controller down; resolves when it settled. */
  private guard(fn: () => void | Promise<void>): Promise<void> {
    try {
      const r = fn();
      if (r instanceof Promise) return r.then(() => undefined, (e: unknown) => void this.emit('app_error', e));
    } catch (e) {
      this.emit('app_error', e);
    }
    return Promise.resolve();
  }
}
