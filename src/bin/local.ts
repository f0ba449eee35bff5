/**
 * `xsite local`: the local controller process of one data center. Listens for the OpenFlow switches of its DC
 * (a {@link LocalController} app on an {@link OpenFlowController}), keeps an authenticated control channel to central
 * and keeps the controller's directory in sync with central's (src/local/central-sync.ts).
 */
import { isAuditRequest } from '../central/audit-protocol';
import { CROSS_SITE_VERSION, NAT_INSTALL_JOB, NAT_REMOVE_JOB } from '../central/cross-site-protocol';
import { ControlChannelClient } from '../drivers/channel/client';
import { connectTcp } from '../drivers/channel/tcp';
import { XsiteError } from '../core/errors';
import { loadTopologyFile } from '../emulator/topology/load';
import type { Topology } from '../emulator/topology/model';
import { auditLocal } from '../local/audit';
import { CentralSync } from '../local/central-sync';
import { openFlowViaCentral } from '../local/flow-open';
import { runLocalJob } from '../local/jobs';
import type { DirectoryVm } from '../local/dc-model';
import { LocalController } from '../local/local-controller';
import { OpenFlowController } from '../openflow/controller';

export interface LocalConfig {
  dc: string;
  /** The intent topology file (the same one central loads). */
  topologyFile: string;
  central: { host: string; port: number };
  /** This DC's control-channel secret. */
  secret: string;
  openflow: { host: string; port: number };
  /** Progress lines (connected, switches, syncs); default: none. */
  log?: (line: string) => void;
  /** Idle timeout of gateway NAT flows, seconds (default 30). */
  natIdleTimeoutS?: number;
  /** Reconnect backoff of the channel client (ms); defaults of the client when left out. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface RunningLocal {
  topology: Topology;
  openflow: OpenFlowController;
  openflowPort: number;
  app: LocalController;
  client: ControlChannelClient;
  sync: CentralSync;
  close(): Promise<void>;
}

/**
 * Starts the local controller: OpenFlow listener first (switches may connect at once), then the channel to central
 * (retried until central answers; CHANNEL_AUTH is fatal). Resolves after the first directory sync was attempted.
 * Until then the controller knows no VMs (central's directory is the authority, not the file).
 */
export async function startLocal(cfg: LocalConfig): Promise<RunningLocal> {
  const log = cfg.log ?? (() => undefined);
  const topology = loadTopologyFile(cfg.topologyFile);
  if (!topology.datacenters.some((d) => d.name === cfg.dc)) throw new XsiteError('CONFIG_INVALID', `no data center ${cfg.dc} in ${cfg.topologyFile}`);
  // Cross-site flows: first packets ask central (flow.open); idle reports are kept until central's nat.remove for
  // them arrives and are sent again after every reconnect, so a report made while central was away is not lost.
  const idleReports = new Map<string, string | undefined>();
  let client: ControlChannelClient | undefined;
  const sendIdle = (flowId: string, gen: string | undefined) => {
    if (client?.isConnected !== true) return;
    try {
      client.send({ type: 'flow.idle', v: CROSS_SITE_VERSION, flowId, ...(gen !== undefined ? { gen } : {}) });
    } catch {
      // sent again on reconnect
    }
  };
  const app = new LocalController({
    topology,
    dc: cfg.dc,
    vms: [],
    ...(cfg.natIdleTimeoutS !== undefined ? { nat: { idleTimeoutS: cfg.natIdleTimeoutS } } : {}),
    crossSite: {
      open: async (req) => {
        if (client === undefined) throw new XsiteError('CHANNEL_CLOSED', 'not connected to central');
        return openFlowViaCentral(client, req);
      },
      reopen: async (req) => {
        if (client === undefined) throw new XsiteError('CHANNEL_CLOSED', 'not connected to central');
        return openFlowViaCentral(client, req, { deadlineMs: 5000 });
      },
      idle: (flowId, gen) => {
        idleReports.set(flowId, gen);
        sendIdle(flowId, gen);
      },
    },
  });
  const openflow = new OpenFlowController();
  openflow.use(app);
  openflow.on('app_error', (e: unknown) => log(`app error: ${(e as Error)?.message ?? String(e)}`));
  app.on('reconciled', (sw: string, r: { added: number; modified: number; deleted: number; via: string }) =>
    log(`switch ${sw} reconciled (+${r.added} ~${r.modified} -${r.deleted}, via ${r.via})`),
  );
  app.on('reconcile_error', (sw: string, e: unknown) => log(`switch ${sw} reconcile failed: ${(e as Error)?.message ?? String(e)}`));
  app.on('cross_site_opened', (f: { id: string }) => log(`cross-site flow ${f.id}: first packets sent on`));
  app.on('cross_site_error', (id: string, e: unknown) => log(`cross-site flow ${id} not set up: ${(e as { code?: string })?.code ?? ''} ${(e as Error)?.message ?? String(e)}`));
  app.on('cross_site_idle', (id: string) => log(`cross-site flow ${id} idle on the gateway`));
  app.on('arp', (sw: string, port: number, d: { answer: string; reason?: string }) => {
    if (d.answer === 'none' && d.reason !== 'announcement') log(`ARP from ${sw} port ${port} not answered (${d.reason})`);
  });
  openflow.on('switch', (c: { dpidHex: string; datapathId: bigint }) => {
    const sw = app.model.switchByDpid(c.datapathId);
    log(sw !== undefined ? `switch ${sw.name} (${c.dpidHex}) connected` : `switch ${c.dpidHex} connected (not of ${cfg.dc}, ignored)`);
  });
  openflow.on('switch_gone', (c: { dpidHex: string }) => log(`switch ${c.dpidHex} gone`));

  client = new ControlChannelClient({
    dc: cfg.dc,
    secret: cfg.secret,
    connect: () => connectTcp(cfg.central.host, cfg.central.port),
    ...(cfg.initialBackoffMs !== undefined ? { initialBackoffMs: cfg.initialBackoffMs } : {}),
    ...(cfg.maxBackoffMs !== undefined ? { maxBackoffMs: cfg.maxBackoffMs } : {}),
  });
  client.on('connected', () => {
    log(`connected to central ${cfg.central.host}:${cfg.central.port} as ${cfg.dc}`);
    for (const [id, gen] of idleReports) sendIdle(id, gen);
  });
  client.onJob(async (job) => {
    const body = job.body as { flow?: { id?: string }; flowId?: string } | null;
    const flowId = body?.flow?.id ?? body?.flowId;
    if (job.type === NAT_INSTALL_JOB || job.type === NAT_REMOVE_JOB) if (typeof flowId === 'string') idleReports.delete(flowId);
    const r = await runLocalJob(app, topology, cfg.dc, job);
    log(`job ${job.type}${typeof flowId === 'string' ? ` ${flowId}` : ''} done`);
    return r;
  });
  client.onRequest((body) => (isAuditRequest(body) ? auditLocal(app) : Promise.reject(new XsiteError('CHANNEL_NO_HANDLER', `${cfg.dc} does not answer ${JSON.stringify((body as { type?: unknown } | null)?.type)}`))));
  client.on('disconnected', (reason) => log(`disconnected from central (${reason})`));
  client.on('failed', (e) => log(`central refused: ${e.message}`));
  const sync = new CentralSync({ client, topology, dc: cfg.dc, apply: (vms) => app.setVms(vms), applyCrossSite: (flows, mark) => app.setCrossSite(flows, mark), markCrossSite: () => app.crossSiteMark() });
  sync.on('synced', (vms: DirectoryVm[]) => log(`directory synced: ${vms.length} VMs (${vms.filter((v) => v.dc === cfg.dc).length} in ${cfg.dc})`));
  sync.on('sync_error', (e: unknown) => log(`directory sync failed: ${(e as Error)?.message ?? String(e)}`));

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    sync.stop();
    client.close();
    await openflow.close();
  };
  try {
    const openflowPort = await openflow.listen(cfg.openflow.port, cfg.openflow.host);
    log(`OpenFlow 1.3 listening on ${cfg.openflow.host}:${openflowPort} for the switches of ${cfg.dc}`);
    const firstSync = new Promise<void>((resolve) => {
      sync.once('synced', () => resolve());
      sync.once('sync_error', () => resolve());
    });
    sync.start();
    await client.connect();
    await firstSync;
    return { topology, openflow, openflowPort, app, client: client!, sync, close };
  } catch (e) {
    await close();
    throw e;
  }
}
