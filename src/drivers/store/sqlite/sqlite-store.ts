/**
 * SqliteStore: the {@link Store} on better-sqlite3 (synchronous SQLite in this process).
 *
 * - Opened on a file path or `':memory:'`; pragmas `journal_mode=WAL` (files), `synchronous=FULL`,
 *   `foreign_keys=ON`. The schema is created and migrated on open (see `schema.ts`, table `schema_version`).
 * - Calls on one SqliteStore are serialised by an async mutex, so a transaction whose `fn` awaits never sees (nor is
 *   seen by) other calls on the same connection half-way.
 * - Transactions are `BEGIN IMMEDIATE`: the write lock is taken at once, so two connections (two SqliteStores on one
 *   file, or two processes) are serialised. The SQLite busy handler is off (it would block the event loop, and so
 *   the other connection of the same process that holds the lock): a busy `BEGIN` is retried asynchronously with
 *   backoff until `busyTimeoutMs`, then `STORE_BUSY`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3';
import { XsiteError } from '../../../core/errors';
import type { Store, StoreOps, StoreTx } from '../../../ports/store';
import { SqliteOps } from './sqlite-ops';
import { MIGRATIONS, SCHEMA_VERSION } from './schema';

/** Options of {@link SqliteStore.open}. */
export interface SqliteStoreOptions {
  /** How long a transaction waits for another connection's write lock; default 5000 ms. */
  busyTimeoutMs?: number;
}

const inTransaction = new AsyncLocalStorage<SqliteStore>();

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED');
}

/** Methods that only read: run without an explicit transaction. */
const READS = [
  'getDatacenter', 'listDatacenters', 'getHost', 'listHosts', 'getGateway', 'listGateways', 'listTenants', 'getVn',
  'listVns', 'getVm', 'findVmByIp', 'listVms', 'getFlow', 'listFlows', 'getNatTuple', 'listNatTuples', 'getNatPool',
  'listNatPools', 'freeRangeFloor', 'freeRangeCeil', 'listFreeRanges', 'getJob', 'listJobs', 'getMigration', 'listMigrations',
] as const satisfies readonly (keyof StoreOps)[];

/** Methods that write: each runs in its own transaction. */
const WRITES = [
  'putDatacenter', 'putHost', 'putGateway', 'putTenant', 'putVn', 'putVm', 'setVmHost', 'deleteVm', 'putFlow',
  'deleteFlow', 'insertNatTuple', 'deleteNatTuple', 'putNatPool', 'putFreeRange', 'deleteFreeRange',
  'deleteFreeRanges', 'insertJob', 'updateJob', 'insertMigration', 'updateMigration',
] as const satisfies readonly (keyof StoreOps)[];

// Every StoreOps method is listed exactly once (checked at compile time).
type Listed = (typeof READS)[number] | (typeof WRITES)[number];
const _allListed: Exclude<keyof StoreOps, Listed> extends never ? true : never = true;
void _allListed;

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface SqliteStore extends StoreOps {}

/** The SQLite store. Create with {@link SqliteStore.open}. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class SqliteStore implements Store {
  /** The file path or `':memory:'`. */
  readonly path: string;
  private readonly db: Database.Database;
  private readonly ops: SqliteOps;
  private readonly busyTimeoutMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(path: string, options: SqliteStoreOptions) {
    this.path = path;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    try {
      this.db = new Database(path, { timeout: 0 });
    } catch (e) {
      throw new XsiteError('STORE_OPEN_FAILED', `cannot open SQLite store ${path}: ${(e as Error).message}`, { path });
    }
    this.ops = new SqliteOps(this.db);
  }

  /** Opens (creating or migrating the schema when needed) the store at `path` (a file, or `':memory:'`). */
  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const s = new SqliteStore(path, options);
    try {
      await s.init();
    } catch (e) {
      s.db.close();
      throw e;
    }
    return s;
  }

  private async init(): Promise<void> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (;;) {
      try {
        if (this.path !== ':memory:') this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
        this.db.pragma('foreign_keys = ON');
        break;
      } catch (e) {
        if (!isBusy(e) || Date.now() > deadline) throw e;
        await sleep(5);
      }
    }
    await this.locked(async () => {
      await this.begin();
      try {
        this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
        const row = this.db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
        let version = row?.version ?? 0;
        if (row === undefined) this.db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
        if (version > SCHEMA_VERSION) {
          throw new XsiteError('STORE_SCHEMA_TOO_NEW', `store ${this.path} has schema version ${version}, this xsite knows ${SCHEMA_VERSION}`, {
            path: this.path,
            version,
            known: SCHEMA_VERSION,
          });
        }
        for (; version < SCHEMA_VERSION; version++) this.db.exec(MIGRATIONS[version]!);
        this.db.prepare('UPDATE schema_version SET version = ?').run(version);
        this.db.exec('COMMIT');
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    });
    this.ops.prepare();
  }

  /** The schema version of the open database. */
  schemaVersion(): number {
    return (this.db.prepare('SELECT version FROM schema_version').get() as { version: number }).version;
  }

  /** Reads a pragma's current value (e.g. `journal_mode`, `synchronous`, `foreign_keys`). */
  pragma(name: string): unknown {
    return this.db.pragma(name, { simple: true });
  }

  /** Runs `fn` under this connection's mutex. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new XsiteError('STORE_CLOSED', `store ${this.path} is closed`));
    if (inTransaction.getStore() === this) {
      return Promise.reject(
        new XsiteError('STORE_NESTED_TRANSACTION', 'the store was called from inside its own transaction; use the tx'),
      );
    }
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** BEGIN IMMEDIATE, retried asynchronously while another connection holds the write lock. */
  private async begin(): Promise<void> {
    const deadline = Date.now() + this.busyTimeoutMs;
    let wait = 1;
    for (;;) {
      try {
        this.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (e) {
        if (!isBusy(e)) throw e;
        if (Date.now() >= deadline) {
          throw new XsiteError('STORE_BUSY', `store ${this.path} stayed locked for ${this.busyTimeoutMs} ms`, { path: this.path });
        }
        await sleep(wait);
        wait = Math.min(wait * 2, 20);
      }
    }
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      await this.begin();
      const tx = this.ops.txView();
      try {
        const result = await inTransaction.run(this, () => fn(tx));
        this.db.exec('COMMIT');
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      } finally {
        tx.closeView();
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.locked(async () => undefined).catch(() => undefined);
    this.closed = true;
    this.db.close();
  }
}

for (const name of READS) {
  (SqliteStore.prototype as unknown as Record<string, unknown>)[name] = function (this: SqliteStore, ...args: unknown[]) {
    const self = this as unknown as { locked: (fn: () => Promise<unknown>) => Promise<unknown>; ops: SqliteOps };
    return self.locked(() => (self.ops[name] as (...a: unknown[]) => Promise<unknown>)(...args));
  };
}
for (const name of WRITES) {
  (SqliteStore.prototype as unknown as Record<string, unknown>)[name] = function (this: SqliteStore, ...args: unknown[]) {
    return this.transaction((tx) => (tx[name] as (...a: unknown[]) => Promise<unknown>)(...args));
  };
}
