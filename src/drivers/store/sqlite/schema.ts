/**
 * SQLite schema of the central store, as numbered migrations. `schema_version` holds one row: the number of
 * migrations applied. Migrations are append-only: never edit one that shipped, add the next.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: intent, flows, NAT tuples and pools, jobs
  `
  CREATE TABLE datacenters (
    name TEXT PRIMARY KEY,
    subnet TEXT NOT NULL,
    virtualisation TEXT NOT NULL,
    gateway_ip TEXT
  );
  CREATE TABLE hosts (
    name TEXT PRIMARY KEY,
    dc TEXT NOT NULL REFERENCES datacenters(name),
    switch TEXT NOT NULL,
    address TEXT NOT NULL,
    mac TEXT NOT NULL
  );
  CREATE INDEX hosts_dc ON hosts(dc);
  CREATE TABLE gateways (
    name TEXT PRIMARY KEY,
    dc TEXT NOT NULL REFERENCES datacenters(name),
    switch TEXT NOT NULL,
    public_ips TEXT NOT NULL,
    port_lo INTEGER NOT NULL,
    port_hi INTEGER NOT NULL,
    mac TEXT NOT NULL
  );
  CREATE INDEX gateways_dc ON gateways(dc);
  CREATE TABLE tenants (name TEXT PRIMARY KEY);
  CREATE TABLE vns (
    tenant TEXT NOT NULL REFERENCES tenants(name),
    name TEXT NOT NULL,
    id INTEGER NOT NULL,
    subnet TEXT,
    PRIMARY KEY (tenant, name),
    CONSTRAINT vn_id UNIQUE (id)
  );
  CREATE TABLE vms (
    name TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    vn TEXT NOT NULL,
    ip TEXT NOT NULL,
    mac TEXT NOT NULL,
    host TEXT NOT NULL REFERENCES hosts(name),
    vlan INTEGER,
    memory_mb INTEGER NOT NULL,
    FOREIGN KEY (tenant, vn) REFERENCES vns(tenant, name),
    CONSTRAINT vm_ip UNIQUE (tenant, vn, ip)
  );
  CREATE INDEX vms_host ON vms(host);
  CREATE TABLE flows (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    vn TEXT NOT NULL,
    protocol TEXT NOT NULL,
    src_vm TEXT NOT NULL,
    dst_vm TEXT NOT NULL,
    src_port INTEGER,
    dst_port INTEGER,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
  );
  CREATE INDEX flows_src ON flows(src_vm);
  CREATE INDEX flows_dst ON flows(dst_vm);
  CREATE TABLE nat_tuples (
    flow_id TEXT PRIMARY KEY,
    protocol TEXT NOT NULL,
    src_ip TEXT NOT NULL,
    dst_ip TEXT NOT NULL,
    ip_lo TEXT NOT NULL,
    ip_hi TEXT NOT NULL,
    port INTEGER NOT NULL,
    src_gateway TEXT NOT NULL,
    dst_gateway TEXT NOT NULL,
    pool TEXT NOT NULL,
    allocated_at INTEGER NOT NULL,
    CONSTRAINT nat_tuple UNIQUE (protocol, ip_lo, ip_hi, port)
  );
  CREATE INDEX nat_tuples_pool ON nat_tuples(pool, port);
  CREATE TABLE nat_pools (
    key TEXT PRIMARY KEY,
    protocol TEXT NOT NULL,
    ip_lo TEXT NOT NULL,
    ip_hi TEXT NOT NULL,
    lo INTEGER NOT NULL,
    hi INTEGER NOT NULL,
    in_use INTEGER NOT NULL
  );
  CREATE TABLE nat_free (
    pool TEXT NOT NULL,
    lo INTEGER NOT NULL,
    hi INTEGER NOT NULL,
    PRIMARY KEY (pool, lo)
  ) WITHOUT ROWID;
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    dc TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    error TEXT
  );
  CREATE INDEX jobs_dc_status ON jobs(dc, status, created_at, id);
  `,
  // 2: the migration journal; a VM has at most one active migration
  `
  CREATE TABLE migrations (
    id TEXT PRIMARY KEY,
    vm TEXT NOT NULL,
    state TEXT NOT NULL,
    active INTEGER NOT NULL,
    record TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX migrations_active_vm ON migrations(vm) WHERE active = 1;
  CREATE INDEX migrations_vm ON migrations(vm, created_at);
  `,
  // 3: a VM's port on its host's virtual switch (set by migrations)
  `
  ALTER TABLE vms ADD COLUMN port INTEGER;
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
