import { Duplex } from 'node:stream';

/**
 * Two connected in-memory Duplex streams: what one side writes, the other reads. Used to run an OpenFlow connection
 * without a socket (tests, in-process emulated switches). Backpressure follows the ordinary stream rules.
 */
export function memoryDuplexPair(): [Duplex, Duplex] {
  let a: Duplex;
  let b: Duplex;
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      read() {
        /* data is pushed by the peer's write */
      },
      write(chunk: Buffer, _enc, cb) {
        const p = peer();
        if (p.destroyed || p.readableEnded) {
          cb();
          return;
        }
        p.push(Buffer.from(chunk));
        cb();
      },
      final(cb) {
        const p = peer();
        if (!p.destroyed) p.push(null);
        cb();
      },
      destroy(err, cb) {
        const p = peer();
        if (!p.destroyed) {
          p.push(null);
          p.destroy();
        }
        cb(err);
      },
    });
  a = make(() => b);
  b = make(() => a);
  return [a, b];
}
