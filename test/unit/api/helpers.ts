/** Shared set-up of the API tests: a fresh in-memory store with the three-dcs intent, and an API on it. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApi } from '../../../src/api';
import { Directory, JobQueue } from '../../../src/central';
import { SqliteStore } from '../../../src/drivers/store/sqlite';
import { loadExampleTopology } from '../../../src/emulator/topology';
import type { Store } from '../../../src/ports/store';

export const OPERATOR = 'op-secret';
export const ACME = 'acme-secret';
export const GLOBEX = 'globex-secret';
/** A tenant with no VNs at all. */
export const INITECH = 'initech-secret';

export interface Harness {
  app: FastifyInstance;
  store: Store;
  directory: Directory;
  jobs: JobQueue;
  close(): Promise<void>;
}

/** A fresh API on a fresh `:memory:` store loaded with three-dcs. */
export async function setup(): Promise<Harness> {
  const store = await SqliteStore.open(':memory:');
  const directory = new Directory(store, { now: () => 1000 });
  await directory.loadIntent(loadExampleTopology('three-dcs'));
  const jobs = new JobQueue(store, { now: () => 2000 });
  const app = buildApi({
    store,
    directory,
    allocator: directory.allocator,
    jobs,
    tokens: {
      [OPERATOR]: { role: 'operator' },
      [ACME]: { role: 'tenant', tenant: 'acme' },
      [GLOBEX]: { role: 'tenant', tenant: 'globex' },
      [INITECH]: { role: 'tenant', tenant: 'initech' },
    },
  });
  await app.ready();
  return {
    app,
    store,
    directory,
    jobs,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

/** Sends a request with an optional bearer token and JSON body. */
export function call(app: FastifyInstance, method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, body?: unknown): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return app.inject({ method, url, headers, ...(body !== undefined ? { payload: body as object } : {}) });
}

/** The error code of an error response. */
export function codeOf(res: LightMyRequestResponse): string | undefined {
  return (res.json() as { error?: { code?: string } }).error?.code;
}

/** Everything a VM write may change. */
export async function snapshot(store: Store): Promise<unknown> {
  return { vms: await store.listVms(), vns: await store.listVns(), flows: await store.listFlows(), tuples: await store.listNatTuples() };
}
