/**
 * `xsite serve`: a sandbox to drive live migrations by hand. Three DCs on the emulator with the `sim` hypervisor (or
 * on Open vSwitch with `netns` or `qemu`), the controllers of seed 000 in this process, and central's REST API with
 * the migration routes, so that `xsite migrate VM --to HOST --api URL --token TOKEN` (or curl) moves VMs while it
 * runs. The VMs are the topology's: the API's routes that would add, change or delete VMs answer
 * DIRECTORY_READ_ONLY (the data plane could not follow them).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/server';
import { JobQueue } from '../central/jobs';
import { XsiteError } from '../core/errors';
import { type MigrationDemoOptions, startMigrationTestbed } from './migration-demo';
import type { MigrationTestbed } from './migration-testbed';

export interface ServeOptions extends Pick<MigrationDemoOptions, 'topologyFile' | 'dataplane' | 'hypervisor' | 'memoryMB' | 'log'> {
  /** Address and port of the API (default 127.0.0.1, a free port). */
  host?: string;
  port?: number;
  /** The operator's bearer token (default a random one). */
  token?: string;
  /** With `qemu`: the VM that runs as a QEMU guest (default acme-web1); the others stay namespaces. */
  guest?: string;
}

export interface Serving {
  /** Base URL of the API, e.g. `http://127.0.0.1:8080`. */
  url: string;
  token: string;
  testbed: MigrationTestbed;
  api: FastifyInstance;
  /** Closes the API, then the testbed (controllers, emulator or lab). */
  close(): Promise<void>;
}

/** Starts the testbed and the API; resolves once the API listens. */
export async function startServe(o: ServeOptions = {}): Promise<Serving> {
  const tb = await startMigrationTestbed(o, o.guest ?? 'acme-web1', o.log ?? (() => undefined));
  let api: FastifyInstance | undefined;
  try {
    const token = o.token ?? randomBytes(16).toString('hex');
    const ctl = tb.ctl;
    api = buildApi({ store: ctl.store, directory: ctl.directory, allocator: ctl.directory.allocator, jobs: new JobQueue(ctl.store), tokens: { [token]: { role: 'operator' } }, migrations: ctl.migrations });
    api.addHook('preHandler', async (request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD' && request.url.startsWith('/v1/vms')) {
        throw new XsiteError('DIRECTORY_READ_ONLY', "xsite serve: the VMs are the topology's; the data plane cannot follow changes to them");
      }
    });
    await api.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0 });
    const addr = api.server.address() as { address: string; port: number };
    const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
    const served = api;
    return {
      url: `http://${host}:${addr.port}`,
      token,
      testbed: tb,
      api: served,
      close: async () => {
        await served.close();
        await tb.close();
      },
    };
  } catch (e) {
    await api?.close().catch(() => undefined);
    await tb.close();
    throw e;
  }
}
