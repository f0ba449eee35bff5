/**
 * The central controller's store (a port): intent records, flows, NAT tuples in use (with their pools of free
 * ports) and jobs. Implementations: `drivers/store/sqlite` (default); an etcd backend may follow. Every
 * implementation must pass `test/unit/store/store-conformance.ts`.
 *
 * Semantics every implementation keeps:
 * - Methods are async. Each call on a {@link Store} is atomic on its own.
 * - {@link Store.transaction} runs `fn` with a {@link StoreTx}: everything done through the tx commits together when
 *   `fn` resolves, or not at all when it throws (the error is rethrown). Transactions are serialisable with respect
 *   to each other, also between two stores opened on the same database. Use only the tx inside `fn` (calling the
 *   Store itself from inside `fn` waits for the transaction, i.e. deadlocks); a tx used after `fn` settled throws
 *   `STORE_TX_CLOSED`.
 * - `put*` methods insert or replace by primary key. Records returned are fresh copies.
 * - Errors: `STORE_CONSTRAINT` (a uniqueness or reference rule broke; `details.constraint` names it),
 *   `STORE_BUSY` (the database stayed locked by another writer too long), `STORE_CLOSED`.
 *
 * Uniqueness rules: VM name; VM `(tenant, vn, ip)` ("vm_ip"); VN `(tenant, name)`; VN `id` ("vn_id"); NAT tuple
 * `(protocol, ipLo, ipHi, port)` ("nat_tuple"); NAT tuple per flow id. References: host -> dc, gateway -> dc,
 * VN -> tenant, VM -> VN and VM -> host ("ref").
 */
import type { DatacenterRecord, GatewayRecord, HostRecord, TenantRecord, VmRecord, VnRecord } from '../model/intent';
import type { FlowFilter, FlowRecord, NatFreeRange, NatPoolRecord, NatTupleRecord } from '../model/flow';
import type { JobFilter, JobRecord, JobStatus } from '../model/job';
import type { MigrationFilter, MigrationRecord } from '../model/migration';

/** Filter for listing VMs (all given fields must match). */
export interface VmFilter {
  tenant?: string;
  vn?: string;
  host?: string;
  /** VMs on hosts of this DC. */
  dc?: string;
}

/** The operations, usable both on the store and inside a transaction. */
export interface StoreOps {
  // ---- intent
  putDatacenter(r: DatacenterRecord): Promise<void>;
  getDatacenter(name: string): Promise<DatacenterRecord | undefined>;
  listDatacenters(): Promise<DatacenterRecord[]>;

  putHost(r: HostRecord): Promise<void>;
  getHost(name: string): Promise<HostRecord | undefined>;
  /** Sorted by name. */
  listHosts(dc?: string): Promise<HostRecord[]>;

  putGateway(r: GatewayRecord): Promise<void>;
  getGateway(name: string): Promise<GatewayRecord | undefined>;
  /** Sorted by name. */
  listGateways(dc?: string): Promise<GatewayRecord[]>;

  putTenant(r: TenantRecord): Promise<void>;
  listTenants(): Promise<TenantRecord[]>;

  putVn(r: VnRecord): Promise<void>;
  getVn(tenant: string, name: string): Promise<VnRecord | undefined>;
  listVns(tenant?: string): Promise<VnRecord[]>;

  putVm(r: VmRecord): Promise<void>;
  getVm(name: string): Promise<VmRecord | undefined>;
  findVmByIp(tenant: string, vn: string, ip: string): Promise<VmRecord | undefined>;
  /** Sorted by name. */
  listVms(filter?: VmFilter): Promise<VmRecord[]>;
  /** Sets the VM's location; false when there is no such VM. */
  /** Moves a VM to `host`, plugged into `port` of its switch (absent: the intent's port / the placement rule). */
  setVmHost(name: string, host: string, port?: number): Promise<boolean>;
  deleteVm(name: string): Promise<boolean>;

  // ---- flows
  /** Insert or replace (`tuple` is ignored: it is the NAT tuple stored for the flow id). */
  putFlow(r: FlowRecord): Promise<void>;
  getFlow(id: string): Promise<FlowRecord | undefined>;
  /** Sorted by id. */
  listFlows(filter?: FlowFilter): Promise<FlowRecord[]>;
  deleteFlow(id: string): Promise<boolean>;

  // ---- NAT tuples in use, pools, free ranges
  insertNatTuple(r: NatTupleRecord): Promise<void>;
  getNatTuple(flowId: string): Promise<NatTupleRecord | undefined>;
  deleteNatTuple(flowId: string): Promise<boolean>;
  /** Sorted by pool, then port. */
  listNatTuples(pool?: string): Promise<NatTupleRecord[]>;

  putNatPool(r: NatPoolRecord): Promise<void>;
  getNatPool(key: string): Promise<NatPoolRecord | undefined>;
  listNatPools(): Promise<NatPoolRecord[]>;

  /** Insert or replace the free range of `pool` starting at `lo`. */
  putFreeRange(r: NatFreeRange): Promise<void>;
  deleteFreeRange(pool: string, lo: number): Promise<boolean>;
  /** The free range with the greatest `lo <= port`. */
  freeRangeFloor(pool: string, port: number): Promise<NatFreeRange | undefined>;
  /** The free range with the smallest `lo >= port`. */
  freeRangeCeil(pool: string, port: number): Promise<NatFreeRange | undefined>;
  /** Sorted by lo. */
  listFreeRanges(pool: string): Promise<NatFreeRange[]>;
  deleteFreeRanges(pool: string): Promise<void>;

  // ---- jobs
  /** Inserts; false (and nothing changed) when a job with this id exists. */
  insertJob(r: JobRecord): Promise<boolean>;
  getJob(id: string): Promise<JobRecord | undefined>;
  /** Sets status (and error, cleared when undefined) and updatedAt; false when there is no such job. */
  updateJob(id: string, status: JobStatus, updatedAt: number, error?: string): Promise<boolean>;
  /** Sorted by createdAt, then id. */
  listJobs(filter?: JobFilter): Promise<JobRecord[]>;

  // ---- migration journal
  /** Inserts a new migration; STORE_CONSTRAINT `migration_active_vm` when the VM already has an active one. */
  insertMigration(r: MigrationRecord): Promise<void>;
  /** Replaces a migration record (same id); false when there is none. */
  updateMigration(r: MigrationRecord): Promise<boolean>;
  getMigration(id: string): Promise<MigrationRecord | undefined>;
  /** Sorted by creation time, then id. */
  listMigrations(filter?: MigrationFilter): Promise<MigrationRecord[]>;
}

/** Operations inside one transaction. */
export type StoreTx = StoreOps;

/** The store. */
export interface Store extends StoreOps {
  /** Runs `fn` atomically (see the module comment). */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Waits for running work, then releases the database. Further calls throw `STORE_CLOSED`. Idempotent. */
  close(): Promise<void>;
}
