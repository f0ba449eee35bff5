/** The {@link StoreOps} as prepared SQLite statements (synchronous work behind async signatures). */
import type Database from 'better-sqlite3';
import { XsiteError } from '../../../core/errors';
import type { DatacenterRecord, GatewayRecord, HostRecord, TenantRecord, VmRecord, VnRecord } from '../../../model/intent';
import type { FlowFilter, FlowRecord, NatFreeRange, NatPoolRecord, NatProtocol, NatTupleRecord } from '../../../model/flow';
import type { JobFilter, JobRecord, JobStatus } from '../../../model/job';
import { isActiveMigration, type MigrationFilter, type MigrationRecord } from '../../../model/migration';
import type { StoreOps, VmFilter } from '../../../ports/store';

type Row = Record<string, unknown>;
type Stmt = Database.Statement<unknown[], Row>;

/** Maps SQLite constraint errors to `STORE_CONSTRAINT` with a stable `details.constraint`. */
function mapError(e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_CONSTRAINT')) return e;
  const msg = (e as Error).message;
  let constraint = 'unknown';
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') constraint = 'ref';
  else if (msg.includes('vms.tenant, vms.vn, vms.ip')) constraint = 'vm_ip';
  else if (msg.includes('vns.id')) constraint = 'vn_id';
  else if (msg.includes('nat_tuples.protocol')) constraint = 'nat_tuple';
  else if (msg.includes('nat_tuples.flow_id')) constraint = 'nat_tuple_flow';
  else if (msg.includes('migrations.vm')) constraint = 'migration_active_vm';
  else {
    const m = /constraint failed: (\w+)\./.exec(msg);
    if (m) constraint = `${m[1]}_key`;
  }
  return new XsiteError('STORE_CONSTRAINT', `store constraint ${constraint} violated: ${msg}`, { constraint, sqlite: msg });
}

const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));

function dcFrom(r: Row): DatacenterRecord {
  const d: DatacenterRecord = { name: r.name as string, subnet: r.subnet as string, virtualisation: r.virtualisation as DatacenterRecord['virtualisation'] };
  const g = opt<string>(r.gateway_ip);
  if (g !== undefined) d.gatewayIp = g;
  return d;
}
function hostFrom(r: Row): HostRecord {
  return { name: r.name as string, dc: r.dc as string, switch: r.switch as string, address: r.address as string, mac: r.mac as string };
}
function gwFrom(r: Row): GatewayRecord {
  return {
    name: r.name as string,
    dc: r.dc as string,
    switch: r.switch as string,
    publicIps: JSON.parse(r.public_ips as string) as string[],
    portRange: [r.port_lo as number, r.port_hi as number],
    mac: r.mac as string,
  };
}
function vnFrom(r: Row): VnRecord {
  const v: VnRecord = { tenant: r.tenant as string, name: r.name as string, id: r.id as number };
  const s = opt<string>(r.subnet);
  if (s !== undefined) v.subnet = s;
  return v;
}
function vmFrom(r: Row): VmRecord {
  const v: VmRecord = {
    name: r.name as string,
    tenant: r.tenant as string,
    vn: r.vn as string,
    ip: r.ip as string,
    mac: r.mac as string,
    host: r.host as string,
    memoryMB: r.memory_mb as number,
  };
  const vlan = opt<number>(r.vlan);
  if (vlan !== undefined) v.vlan = vlan;
  const port = opt<number>(r.port);
  if (port !== undefined) v.port = port;
  return v;
}
function flowFrom(r: Row): FlowRecord {
  const f: FlowRecord = {
    id: r.id as string,
    tenant: r.tenant as string,
    vn: r.vn as string,
    protocol: r.protocol as NatProtocol,
    srcVm: r.src_vm as string,
    dstVm: r.dst_vm as string,
    state: r.state as FlowRecord['state'],
    createdAt: r.created_at as number,
    lastSeenAt: r.last_seen_at as number,
  };
  const sp = opt<number>(r.src_port);
  const dp = opt<number>(r.dst_port);
  if (sp !== undefined) f.srcPort = sp;
  if (dp !== undefined) f.dstPort = dp;
  if (r.t_port !== null && r.t_port !== undefined) {
    f.tuple = { srcPublicIp: r.t_src_ip as string, dstPublicIp: r.t_dst_ip as string, port: r.t_port as number, protocol: r.t_protocol as NatProtocol };
  }
  return f;
}
function tupleFrom(r: Row): NatTupleRecord {
  return {
    flowId: r.flow_id as string,
    protocol: r.protocol as NatProtocol,
    srcPublicIp: r.src_ip as string,
    dstPublicIp: r.dst_ip as string,
    port: r.port as number,
    srcGateway: r.src_gateway as string,
    dstGateway: r.dst_gateway as string,
    pool: r.pool as string,
    allocatedAt: r.allocated_at as number,
  };
}
function poolFrom(r: Row): NatPoolRecord {
  return {
    key: r.key as string,
    protocol: r.protocol as NatProtocol,
    ipLo: r.ip_lo as string,
    ipHi: r.ip_hi as string,
    lo: r.lo as number,
    hi: r.hi as number,
    inUse: r.in_use as number,
  };
}
function freeFrom(r: Row): NatFreeRange {
  return { pool: r.pool as string, lo: r.lo as number, hi: r.hi as number };
}
function jobFrom(r: Row): JobRecord {
  const j: JobRecord = {
    id: r.id as string,
    dc: r.dc as string,
    kind: r.kind as string,
    payload: JSON.parse(r.payload as string) as unknown,
    status: r.status as JobStatus,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
  const err = opt<string>(r.error);
  if (err !== undefined) j.error = err;
  return j;
}

const FLOW_SELECT = `SELECT f.*, t.port AS t_port, t.src_ip AS t_src_ip, t.dst_ip AS t_dst_ip, t.protocol AS t_protocol
  FROM flows f LEFT JOIN nat_tuples t ON t.flow_id = f.id`;

const SQL = {
  putDc: `INSERT INTO datacenters (name, subnet, virtualisation, gateway_ip) VALUES (@name, @subnet, @virtualisation, @gatewayIp)
    ON CONFLICT(name) DO UPDATE SET subnet = excluded.subnet, virtualisation = excluded.virtualisation, gateway_ip = excluded.gateway_ip`,
  getDc: 'SELECT * FROM datacenters WHERE name = ?',
  listDcs: 'SELECT * FROM datacenters ORDER BY name',
  putHost: `INSERT INTO hosts (name, dc, switch, address, mac) VALUES (@name, @dc, @switch, @address, @mac)
    ON CONFLICT(name) DO UPDATE SET dc = excluded.dc, switch = excluded.switch, address = excluded.address, mac = excluded.mac`,
  getHost: 'SELECT * FROM hosts WHERE name = ?',
  listHosts: 'SELECT * FROM hosts ORDER BY name',
  listHostsDc: 'SELECT * FROM hosts WHERE dc = ? ORDER BY name',
  putGw: `INSERT INTO gateways (name, dc, switch, public_ips, port_lo, port_hi, mac) VALUES (@name, @dc, @switch, @publicIps, @lo, @hi, @mac)
    ON CONFLICT(name) DO UPDATE SET dc = excluded.dc, switch = excluded.switch, public_ips = excluded.public_ips,
      port_lo = excluded.port_lo, port_hi = excluded.port_hi, mac = excluded.mac`,
  getGw: 'SELECT * FROM gateways WHERE name = ?',
  listGws: 'SELECT * FROM gateways ORDER BY name',
  listGwsDc: 'SELECT * FROM gateways WHERE dc = ? ORDER BY name',
  putTenant: 'INSERT INTO tenants (name) VALUES (?) ON CONFLICT(name) DO NOTHING',
  listTenants: 'SELECT * FROM tenants ORDER BY name',
  putVn: `INSERT INTO vns (tenant, name, id, subnet) VALUES (@tenant, @name, @id, @subnet)
    ON CONFLICT(tenant, name) DO UPDATE SET id = excluded.id, subnet = excluded.subnet`,
  getVn: 'SELECT * FROM vns WHERE tenant = ? AND name = ?',
  listVns: 'SELECT * FROM vns ORDER BY tenant, name',
  listVnsT: 'SELECT * FROM vns WHERE tenant = ? ORDER BY name',
  putVm: `INSERT INTO vms (name, tenant, vn, ip, mac, host, vlan, memory_mb, port) VALUES (@name, @tenant, @vn, @ip, @mac, @host, @vlan, @memoryMB, @port)
    ON CONFLICT(name) DO UPDATE SET tenant = excluded.tenant, vn = excluded.vn, ip = excluded.ip, mac = excluded.mac,
      host = excluded.host, vlan = excluded.vlan, memory_mb = excluded.memory_mb, port = excluded.port`,
  getVm: 'SELECT * FROM vms WHERE name = ?',
  findVm: 'SELECT * FROM vms WHERE tenant = ? AND vn = ? AND ip = ?',
  listVms: `SELECT v.* FROM vms v JOIN hosts h ON h.name = v.host
    WHERE (@tenant IS NULL OR v.tenant = @tenant) AND (@vn IS NULL OR v.vn = @vn) AND (@host IS NULL OR v.host = @host)
      AND (@dc IS NULL OR h.dc = @dc) ORDER BY v.name`,
  setVmHost: 'UPDATE vms SET host = ?, port = ? WHERE name = ?',
  delVm: 'DELETE FROM vms WHERE name = ?',
  putFlow: `INSERT INTO flows (id, tenant, vn, protocol, src_vm, dst_vm, src_port, dst_port, state, created_at, last_seen_at)
    VALUES (@id, @tenant, @vn, @protocol, @srcVm, @dstVm, @srcPort, @dstPort, @state, @createdAt, @lastSeenAt)
    ON CONFLICT(id) DO UPDATE SET tenant = excluded.tenant, vn = excluded.vn, protocol = excluded.protocol,
      src_vm = excluded.src_vm, dst_vm = excluded.dst_vm, src_port = excluded.src_port, dst_port = excluded.dst_port,
      state = excluded.state, created_at = excluded.created_at, last_seen_at = excluded.last_seen_at`,
  getFlow: `${FLOW_SELECT} WHERE f.id = ?`,
  listFlows: `${FLOW_SELECT} WHERE (@state IS NULL OR f.state = @state) AND (@tenant IS NULL OR f.tenant = @tenant)
    AND (@vm IS NULL OR f.src_vm = @vm OR f.dst_vm = @vm) ORDER BY f.id`,
  delFlow: 'DELETE FROM flows WHERE id = ?',
  insTuple: `INSERT INTO nat_tuples (flow_id, protocol, src_ip, dst_ip, ip_lo, ip_hi, port, src_gateway, dst_gateway, pool, allocated_at)
    VALUES (@flowId, @protocol, @srcPublicIp, @dstPublicIp, @ipLo, @ipHi, @port, @srcGateway, @dstGateway, @pool, @allocatedAt)`,
  getTuple: 'SELECT * FROM nat_tuples WHERE flow_id = ?',
  delTuple: 'DELETE FROM nat_tuples WHERE flow_id = ?',
  listTuples: 'SELECT * FROM nat_tuples ORDER BY pool, port',
  listTuplesPool: 'SELECT * FROM nat_tuples WHERE pool = ? ORDER BY port',
  putPool: `INSERT INTO nat_pools (key, protocol, ip_lo, ip_hi, lo, hi, in_use) VALUES (@key, @protocol, @ipLo, @ipHi, @lo, @hi, @inUse)
    ON CONFLICT(key) DO UPDATE SET protocol = excluded.protocol, ip_lo = excluded.ip_lo, ip_hi = excluded.ip_hi,
      lo = excluded.lo, hi = excluded.hi, in_use = excluded.in_use`,
  getPool: 'SELECT * FROM nat_pools WHERE key = ?',
  listPools: 'SELECT * FROM nat_pools ORDER BY key',
  putFree: 'INSERT INTO nat_free (pool, lo, hi) VALUES (@pool, @lo, @hi) ON CONFLICT(pool, lo) DO UPDATE SET hi = excluded.hi',
  delFree: 'DELETE FROM nat_free WHERE pool = ? AND lo = ?',
  floorFree: 'SELECT * FROM nat_free WHERE pool = ? AND lo <= ? ORDER BY lo DESC LIMIT 1',
  ceilFree: 'SELECT * FROM nat_free WHERE pool = ? AND lo >= ? ORDER BY lo ASC LIMIT 1',
  listFree: 'SELECT * FROM nat_free WHERE pool = ? ORDER BY lo',
  delFrees: 'DELETE FROM nat_free WHERE pool = ?',
  insJob: `INSERT INTO jobs (id, dc, kind, payload, status, created_at, updated_at, error)
    VALUES (@id, @dc, @kind, @payload, @status, @createdAt, @updatedAt, @error) ON CONFLICT(id) DO NOTHING`,
  getJob: 'SELECT * FROM jobs WHERE id = ?',
  insMigration: `INSERT INTO migrations (id, vm, state, active, record, created_at, updated_at)
    VALUES (@id, @vm, @state, @active, @record, @createdAt, @updatedAt)`,
  updMigration: 'UPDATE migrations SET state = @state, active = @active, record = @record, updated_at = @updatedAt WHERE id = @id',
  getMigration: 'SELECT record FROM migrations WHERE id = ?',
  listMigrations: `SELECT record FROM migrations WHERE (@vm IS NULL OR vm = @vm) AND (@active IS NULL OR active = @active)
    ORDER BY created_at, id`,
  updJob: 'UPDATE jobs SET status = ?, updated_at = ?, error = ? WHERE id = ?',
  listJobs: `SELECT * FROM jobs WHERE (@dc IS NULL OR dc = @dc) AND (@status IS NULL OR status = @status)
    ORDER BY created_at, id`,
} as const;

type StmtName = keyof typeof SQL;

/**
 * The operations on one connection. `txView()` gives a view that refuses to work once its transaction ended.
 */
export class SqliteOps implements StoreOps {
  private stmts: Record<StmtName, Stmt> | undefined;
  private active = true;

  constructor(private readonly db: Database.Database) {}

  /** Prepares every statement (after the schema exists). */
  prepare(): void {
    const s = {} as Record<StmtName, Stmt>;
    for (const k of Object.keys(SQL) as StmtName[]) s[k] = this.db.prepare(SQL[k]);
    this.stmts = s;
  }

  /** A view for one transaction. */
  txView(): SqliteOps & { closeView(): void } {
    const view = Object.create(this) as SqliteOps & { closeView(): void };
    (view as unknown as { active: boolean }).active = true;
    view.closeView = () => {
      (view as unknown as { active: boolean }).active = false;
    };
    return view;
  }

  private s(name: StmtName): Stmt {
    if (!this.active) throw new XsiteError('STORE_TX_CLOSED', 'transaction already ended');
    return this.stmts![name];
  }

  private run(name: StmtName, ...params: unknown[]): Database.RunResult {
    const st = this.s(name);
    try {
      return st.run(...params);
    } catch (e) {
      throw mapError(e);
    }
  }
  private get(name: StmtName, ...params: unknown[]): Row | undefined {
    return this.s(name).get(...params);
  }
  private all(name: StmtName, ...params: unknown[]): Row[] {
    return this.s(name).all(...params);
  }

  // ---- intent
  async putDatacenter(r: DatacenterRecord): Promise<void> {
    this.run('putDc', { name: r.name, subnet: r.subnet, virtualisation: r.virtualisation, gatewayIp: r.gatewayIp ?? null });
  }
  async getDatacenter(name: string): Promise<DatacenterRecord | undefined> {
    const r = this.get('getDc', name);
    return r && dcFrom(r);
  }
  async listDatacenters(): Promise<DatacenterRecord[]> {
    return this.all('listDcs').map(dcFrom);
  }
  async putHost(r: HostRecord): Promise<void> {
    this.run('putHost', { name: r.name, dc: r.dc, switch: r.switch, address: r.address, mac: r.mac });
  }
  async getHost(name: string): Promise<HostRecord | undefined> {
    const r = this.get('getHost', name);
    return r && hostFrom(r);
  }
  async listHosts(dc?: string): Promise<HostRecord[]> {
    return (dc === undefined ? this.all('listHosts') : this.all('listHostsDc', dc)).map(hostFrom);
  }
  async putGateway(r: GatewayRecord): Promise<void> {
    this.run('putGw', {
      name: r.name,
      dc: r.dc,
      switch: r.switch,
      publicIps: JSON.stringify(r.publicIps),
      lo: r.portRange[0],
      hi: r.portRange[1],
      mac: r.mac,
    });
  }
  async getGateway(name: string): Promise<GatewayRecord | undefined> {
    const r = this.get('getGw', name);
    return r && gwFrom(r);
  }
  async listGateways(dc?: string): Promise<GatewayRecord[]> {
    return (dc === undefined ? this.all('listGws') : this.all('listGwsDc', dc)).map(gwFrom);
  }
  async putTenant(r: TenantRecord): Promise<void> {
    this.run('putTenant', r.name);
  }
  async listTenants(): Promise<TenantRecord[]> {
    return this.all('listTenants').map((r) => ({ name: r.name as string }));
  }
  async putVn(r: VnRecord): Promise<void> {
    this.run('putVn', { tenant: r.tenant, name: r.name, id: r.id, subnet: r.subnet ?? null });
  }
  async getVn(tenant: string, name: string): Promise<VnRecord | undefined> {
    const r = this.get('getVn', tenant, name);
    return r && vnFrom(r);
  }
  async listVns(tenant?: string): Promise<VnRecord[]> {
    return (tenant === undefined ? this.all('listVns') : this.all('listVnsT', tenant)).map(vnFrom);
  }
  async putVm(r: VmRecord): Promise<void> {
    this.run('putVm', {
      name: r.name,
      tenant: r.tenant,
      vn: r.vn,
      ip: r.ip,
      mac: r.mac,
      host: r.host,
      vlan: r.vlan ?? null,
      memoryMB: r.memoryMB,
      port: r.port ?? null,
    });
  }
  async getVm(name: string): Promise<VmRecord | undefined> {
    const r = this.get('getVm', name);
    return r && vmFrom(r);
  }
  async findVmByIp(tenant: string, vn: string, ip: string): Promise<VmRecord | undefined> {
    const r = this.get('findVm', tenant, vn, ip);
    return r && vmFrom(r);
  }
  async listVms(filter: VmFilter = {}): Promise<VmRecord[]> {
    return this.all('listVms', {
      tenant: filter.tenant ?? null,
      vn: filter.vn ?? null,
      host: filter.host ?? null,
      dc: filter.dc ?? null,
    }).map(vmFrom);
  }
  async setVmHost(name: string, host: string, port?: number): Promise<boolean> {
    return this.run('setVmHost', host, port ?? null, name).changes > 0;
  }
  async deleteVm(name: string): Promise<boolean> {
    return this.run('delVm', name).changes > 0;
  }

  // ---- flows
  async putFlow(r: FlowRecord): Promise<void> {
    this.run('putFlow', {
      id: r.id,
      tenant: r.tenant,
      vn: r.vn,
      protocol: r.protocol,
      srcVm: r.srcVm,
      dstVm: r.dstVm,
      srcPort: r.srcPort ?? null,
      dstPort: r.dstPort ?? null,
      state: r.state,
      createdAt: r.createdAt,
      lastSeenAt: r.lastSeenAt,
    });
  }
  async getFlow(id: string): Promise<FlowRecord | undefined> {
    const r = this.get('getFlow', id);
    return r && flowFrom(r);
  }
  async listFlows(filter: FlowFilter = {}): Promise<FlowRecord[]> {
    return this.all('listFlows', { state: filter.state ?? null, tenant: filter.tenant ?? null, vm: filter.vm ?? null }).map(flowFrom);
  }
  async deleteFlow(id: string): Promise<boolean> {
    return this.run('delFlow', id).changes > 0;
  }

  // ---- NAT
  async insertNatTuple(r: NatTupleRecord): Promise<void> {
    const [ipLo, ipHi] = r.srcPublicIp <= r.dstPublicIp ? [r.srcPublicIp, r.dstPublicIp] : [r.dstPublicIp, r.srcPublicIp];
    this.run('insTuple', {
      flowId: r.flowId,
      protocol: r.protocol,
      srcPublicIp: r.srcPublicIp,
      dstPublicIp: r.dstPublicIp,
      ipLo,
      ipHi,
      port: r.port,
      srcGateway: r.srcGateway,
      dstGateway: r.dstGateway,
      pool: r.pool,
      allocatedAt: r.allocatedAt,
    });
  }
  async getNatTuple(flowId: string): Promise<NatTupleRecord | undefined> {
    const r = this.get('getTuple', flowId);
    return r && tupleFrom(r);
  }
  async deleteNatTuple(flowId: string): Promise<boolean> {
    return this.run('delTuple', flowId).changes > 0;
  }
  async listNatTuples(pool?: string): Promise<NatTupleRecord[]> {
    return (pool === undefined ? this.all('listTuples') : this.all('listTuplesPool', pool)).map(tupleFrom);
  }
  async putNatPool(r: NatPoolRecord): Promise<void> {
    this.run('putPool', { key: r.key, protocol: r.protocol, ipLo: r.ipLo, ipHi: r.ipHi, lo: r.lo, hi: r.hi, inUse: r.inUse });
  }
  async getNatPool(key: string): Promise<NatPoolRecord | undefined> {
    const r = this.get('getPool', key);
    return r && poolFrom(r);
  }
  async listNatPools(): Promise<NatPoolRecord[]> {
    return this.all('listPools').map(poolFrom);
  }
  async putFreeRange(r: NatFreeRange): Promise<void> {
    this.run('putFree', { pool: r.pool, lo: r.lo, hi: r.hi });
  }
  async deleteFreeRange(pool: string, lo: number): Promise<boolean> {
    return this.run('delFree', pool, lo).changes > 0;
  }
  async freeRangeFloor(pool: string, port: number): Promise<NatFreeRange | undefined> {
    const r = this.get('floorFree', pool, port);
    return r && freeFrom(r);
  }
  async freeRangeCeil(pool: string, port: number): Promise<NatFreeRange | undefined> {
    const r = this.get('ceilFree', pool, port);
    return r && freeFrom(r);
  }
  async listFreeRanges(pool: string): Promise<NatFreeRange[]> {
    return this.all('listFree', pool).map(freeFrom);
  }
  async deleteFreeRanges(pool: string): Promise<void> {
    this.run('delFrees', pool);
  }

  // ---- jobs
  async insertJob(r: JobRecord): Promise<boolean> {
    return (
      this.run('insJob', {
        id: r.id,
        dc: r.dc,
        kind: r.kind,
        payload: JSON.stringify(r.payload ?? null),
        status: r.status,
        createdAt: r.createdAt,
        updatedAt: r.updatedAt,
        error: r.error ?? null,
      }).changes > 0
    );
  }
  async getJob(id: string): Promise<JobRecord | undefined> {
    const r = this.get('getJob', id);
    return r && jobFrom(r);
  }
  async updateJob(id: string, status: JobStatus, updatedAt: number, error?: string): Promise<boolean> {
    return this.run('updJob', status, updatedAt, error ?? null, id).changes > 0;
  }
  async listJobs(filter: JobFilter = {}): Promise<JobRecord[]> {
    return this.all('listJobs', { dc: filter.dc ?? null, status: filter.status ?? null }).map(jobFrom);
  }

  // ---- migration journal
  private migrationParams(r: MigrationRecord) {
    return { id: r.id, vm: r.vm, state: r.state, active: isActiveMigration(r.state) ? 1 : 0, record: JSON.stringify(r), createdAt: r.createdAt, updatedAt: r.updatedAt };
  }
  async insertMigration(r: MigrationRecord): Promise<void> {
    this.run('insMigration', this.migrationParams(r));
  }
  async updateMigration(r: MigrationRecord): Promise<boolean> {
    const p = this.migrationParams(r);
    return this.run('updMigration', { id: p.id, state: p.state, active: p.active, record: p.record, updatedAt: p.updatedAt }).changes > 0;
  }
  async getMigration(id: string): Promise<MigrationRecord | undefined> {
    const r = this.get('getMigration', id);
    return r && (JSON.parse(r.record as string) as MigrationRecord);
  }
  async listMigrations(filter: MigrationFilter = {}): Promise<MigrationRecord[]> {
    const active = filter.active === undefined ? null : filter.active ? 1 : 0;
    return this.all('listMigrations', { vm: filter.vm ?? null, active }).map((r) => JSON.parse(r.record as string) as MigrationRecord);
  }
}
