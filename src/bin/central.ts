/**
 * `xsite central`: the central controller process. Opens the store, loads the intent, serves the REST API and
 * accepts local controllers on the control channel. This is the only place that wires the SQLite driver, the API
 * and the channel driver together.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/server';
import type { Principal } from '../api/auth';
import { runAudit, type AuditReport } from '../central/audit';
import { CrossSiteService } from '../central/cross-site';
import { Directory } from '../central/directory';
import { JobQueue } from '../central/jobs';
import { LocalSync, notifyOnVmChanges } from '../central/local-sync';
import { XsiteError } from '../core/errors';
import { ControlChannelServer } from '../drivers/channel/server';
import { listenTcp, type TcpListener } from '../drivers/channel/tcp';
import { SqliteStore } from '../drivers/store/sqlite/sqlite-store';
import { loadTopologyFile } from '../emulator/topology/load';

export interface CentralConfig {
  intent: string;
  db: string;
  api: { host: string; port: number };
  channel: { host: string; port: number };
  secrets: Record<string, string>;
  tokens: Record<string, Principal>;
}

function invalid(file: string, message: string): XsiteError {
  return new XsiteError('CONFIG_INVALID', `${file}: ${message}`);
}

/** Reads and checks a central configuration file (see examples/central/central.yaml). */
export function loadCentralConfig(file: string): CentralConfig {
  let raw: unknown;
  try {
    raw = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw invalid(file, `cannot read: ${(e as Error).message.split('\n')[0]}`);
  }
  const c = raw as Partial<CentralConfig> | null;
  if (!c || typeof c !== 'object') throw invalid(file, 'expected a mapping');
  const endpoint = (k: 'api' | 'channel') => {
    const v = c[k];
    if (!v || typeof v.host !== 'string' || !Number.isInteger(v.port) || v.port < 0 || v.port > 65535) {
      throw invalid(file, `${k}: expected { host, port }`);
    }
    return { host: v.host, port: v.port };
  };
  if (typeof c.intent !== 'string') throw invalid(file, 'intent: expected a topology file path');
  if (typeof c.db !== 'string') throw invalid(file, "db: expected a file path or ':memory:'");
  const secrets = c.secrets ?? {};
  for (const [dc, s] of Object.entries(secrets)) if (typeof s !== 'string' || s.length < 8) throw invalid(file, `secrets.${dc}: at least 8 characters`);
  const tokens = c.tokens ?? {};
  for (const [t, p] of Object.entries(tokens)) {
    const ok = p && (p.role === 'operator' || (p.role === 'tenant' && typeof (p as { tenant?: unknown }).tenant === 'string'));
    if (!ok) throw invalid(file, `tokens.${t}: expected { role: operator } or { role: tenant, tenant: NAME }`);
  }
  const base = path.dirname(path.resolve(file));
  return {
    intent: path.resolve(base, c.intent),
    db: c.db === ':memory:' ? c.db : path.resolve(base, c.db),
    api: endpoint('api'),
    channel: endpoint('channel'),
    secrets,
    tokens,
  };
}

export interface RunningCentral {
  api: FastifyInstance;
  apiPort: number;
  channel: ControlChannelServer;
  channelListener: TcpListener;
  directory: Directory;
  /** Directory sync with the local controllers (answers `directory.vms`, pushes `directory.changed`). */
  sync: LocalSync;
  /** Cross-site flows: `flow.open` requests, `flow.idle` events, NAT jobs. */
  crossSite: CrossSiteService;
  close(): Promise<void>;
}

/** Starts the central controller; every part is closed again if a later one fails to start. */
export async function startCentral(cfg: CentralConfig): Promise<RunningCentral> {
  const intent = loadTopologyFile(cfg.intent);
  for (const dc of intent.datacenters) {
    if (!(dc.name in cfg.secrets)) throw new XsiteError('CONFIG_INVALID', `no control-channel secret for data center ${dc.name}`);
  }
  const store = await SqliteStore.open(cfg.db);
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const directory = new Directory(store);
    await directory.loadIntent(intent);
    const jobs = new JobQueue(store);
    // GET /v1/audit asks the locals over the channel, which starts after the API: bound once the channel exists.
    let audit: (() => Promise<AuditReport>) | undefined;
    const api = buildApi({ store, directory, allocator: directory.allocator, jobs, tokens: cfg.tokens, audit: () => (audit !== undefined ? audit() : Promise.reject(new XsiteError('UNAVAILABLE', 'the control channel is not up yet'))) });
    // Directory sync hook: VM changes through the directory, and VM deletes through the API, push directory.changed.
    let sync: LocalSync | undefined;
    let crossSiteRef: CrossSiteService | undefined;
    // A VM created, deleted or moved: the locals re-read the directory; flows of a VM that is gone or moved close.
    const changed = () => {
      sync?.changed();
      void crossSiteRef?.revalidate().catch(() => undefined);
    };
    notifyOnVmChanges(directory, changed);
    api.addHook('onResponse', async (request, reply) => {
      if (request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400 && request.url.startsWith('/v1/vms')) changed();
    });
    await api.listen({ host: cfg.api.host, port: cfg.api.port });
    closers.push(() => api.close());
    const apiPort = (api.server.address() as { port: number }).port;
    const channel = new ControlChannelServer({ secrets: cfg.secrets });
    closers.push(async () => channel.close());
    audit = async () => runAudit({ store, channel, dcs: (await store.listDatacenters()).map((d) => d.name) });
    const crossSite = new CrossSiteService(store, directory, channel);
    crossSiteRef = crossSite;
    const localSync = new LocalSync(store, channel, (dc) => crossSite.flowsForDc(dc));
    sync = localSync;
    closers.push(async () => localSync.close());
    channel.onRequest((dc, body) => {
      const r = localSync.handle(dc, body) ?? crossSite.handle(dc, body);
      if (r === undefined) throw new XsiteError('CHANNEL_NO_HANDLER', `central does not answer ${JSON.stringify((body as { type?: unknown } | null)?.type)}`);
      return r;
    });
    channel.on('message', (dc, msg) => {
      crossSite.message(dc, msg);
    });
    const channelListener = await listenTcp(channel, cfg.channel.port, cfg.channel.host);
    closers.push(() => channelListener.close());
    return { api, apiPort, channel, channelListener, directory, sync: localSync, crossSite, close };
  } catch (e) {
    await close();
    throw e;
  }
}
