import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { XsiteError } from '../../core/errors';

/** A TCP (or TLS) listener feeding accepted streams to a channel server. */
export interface TcpListener {
  /** The bound port (useful with port 0). */
  readonly port: number;
  readonly host: string;
  /** Stops accepting and resolves once the listener is closed (sessions are closed by the channel server). */
  close(): Promise<void>;
}

/**
 * Listens on host:port (TLS when `tlsOptions` is given) and hands every accepted socket to `server.accept`. Port 0
 * picks a free port.
 */
export function listenTcp(
  server: { accept(stream: Duplex): void },
  port: number,
  host = '127.0.0.1',
  tlsOptions?: tls.TlsOptions,
): Promise<TcpListener> {
  const sockets = new Set<net.Socket>();
  const onSocket = (s: net.Socket): void => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    server.accept(s);
  };
  const srv: net.Server = tlsOptions ? tls.createServer(tlsOptions, onSocket) : net.createServer(onSocket);
  if (tlsOptions) srv.on('tlsClientError', () => undefined); // a failed TLS handshake is the peer's problem
  return new Promise<TcpListener>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => {
      srv.off('error', reject);
      srv.on('error', () => undefined);
      const addr = srv.address() as net.AddressInfo;
      resolve({
        port: addr.port,
        host,
        close: () =>
          new Promise<void>((res) => {
            srv.close(() => res());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}

/**
 * Connects to host:port (TLS when `tlsOptions` is given) and resolves with the socket once it is connected (and the
 * TLS handshake is done). Rejects with CHANNEL_CLOSED on failure or after `timeoutMs` (default 10000 ms).
 */
export function connectTcp(host: string, port: number, tlsOptions?: tls.ConnectionOptions, timeoutMs = 10_000): Promise<Duplex> {
  return new Promise<Duplex>((resolve, reject) => {
    const sock: net.Socket = tlsOptions
      ? tls.connect({ ...tlsOptions, host, port, servername: tlsOptions.servername ?? (net.isIP(host) ? undefined : host) })
      : net.connect({ host, port });
    const ready = tlsOptions ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      reject(new XsiteError('CHANNEL_CLOSED', `cannot connect to ${host}:${port}: ${e.message}`, { host, port }));
    };
    sock.once('error', fail);
    sock.once(ready, () => {
      clearTimeout(timer);
      sock.off('error', fail);
      sock.setNoDelay(true);
      resolve(sock);
    });
  });
}
