/**
 * A fake of central's MigrationService for the API and CLI tests: in-memory VMs, hosts and records, an EventEmitter.
 * `request` checks like the real one (VM_NOT_FOUND, FORBIDDEN, HOST_NOT_FOUND, MIGRATION_SAME_HOST,
 * MIGRATION_NO_CAPACITY, MIGRATION_NO_PORT, MIGRATION_IN_PROGRESS), emits `state` requested, then runs a script on a
 * timer: progress and state events, ending in the VM's outcome (completed by default).
 */
import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../src/api';
import type { Principal } from '../../../src/api/auth';
import type { MigrationApi } from '../../../src/api/routes/migrations';
import { Directory, JobQueue } from '../../../src/central';
import { XsiteError } from '../../../src/core/errors';
import { SqliteStore } from '../../../src/drivers/store/sqlite';
import { loadExampleTopology } from '../../../src/emulator/topology';
import type { MigrationFilter, MigrationProgressRecord, MigrationRecord, MigrationState } from '../../../src/model/migration';
import { isActiveMigration } from '../../../src/model/migration';
import type { Store } from '../../../src/ports/store';

/** completed, rolled-back, failed, or `hang`: stays in state migration until {@link FakeMigrationService.release}. */
export type FakeOutcome = 'completed' | 'rolled-back' | 'failed' | 'hang';

export interface FakeVm {
  tenant: string;
  host: string;
  outcome?: FakeOutcome;
}

export interface FakeHost {
  dc: string;
  full?: boolean;
  noPort?: boolean;
}

export const FAKE_VMS: Record<string, FakeVm> = {
  web1: { tenant: 'acme', host: 'h1' },
  web2: { tenant: 'acme', host: 'h1', outcome: 'rolled-back' },
  web3: { tenant: 'acme', host: 'h2', outcome: 'failed' },
  slow: { tenant: 'acme', host: 'h2', outcome: 'hang' },
  db1: { tenant: 'globex', host: 'h2' },
  db2: { tenant: 'globex', host: 'h3', outcome: 'hang' },
};

export const FAKE_HOSTS: Record<string, FakeHost> = {
  h1: { dc: 'dc1' },
  h2: { dc: 'dc1' },
  h3: { dc: 'dc2' },
  full: { dc: 'dc2', full: true },
  noport: { dc: 'dc3', noPort: true },
};

const GiB = 1024 ** 3;

export class FakeMigrationService extends EventEmitter implements MigrationApi {
  readonly records = new Map<string, MigrationRecord>();
  private readonly vms: Record<string, FakeVm>;
  private readonly hosts: Record<string, FakeHost>;
  private readonly hanging = new Map<string, () => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;
  private clock = 1_000_000;
  /** Delay between two scripted events (ms). */
  stepMs: number;

  constructor(o: { stepMs?: number; vms?: Record<string, FakeVm>; hosts?: Record<string, FakeHost> } = {}) {
    super();
    this.stepMs = o.stepMs ?? 2;
    this.vms = structuredClone(o.vms ?? FAKE_VMS);
    this.hosts = structuredClone(o.hosts ?? FAKE_HOSTS);
  }

  async request(req: { vm: string; destinationHost: string }, principal: Principal = { role: 'operator' }): Promise<MigrationRecord> {
    const vm = this.vms[req.vm];
    if (vm === undefined) throw new XsiteError('VM_NOT_FOUND', `no VM ${req.vm}`, { vm: req.vm });
    if (principal.role === 'tenant' && principal.tenant !== vm.tenant) {
      throw new XsiteError('FORBIDDEN', `VM ${req.vm} is not a VM of tenant ${principal.tenant}`, { vm: req.vm });
    }
    const to = this.hosts[req.destinationHost];
    if (to === undefined) throw new XsiteError('HOST_NOT_FOUND', `no host ${req.destinationHost}`, { host: req.destinationHost });
    if (req.destinationHost === vm.host) throw new XsiteError('MIGRATION_SAME_HOST', `${req.vm} already runs on ${vm.host}`, { vm: req.vm, host: vm.host });
    if (to.full) throw new XsiteError('MIGRATION_NO_CAPACITY', `${req.destinationHost} has no room`, { host: req.destinationHost });
    if (to.noPort) throw new XsiteError('MIGRATION_NO_PORT', `no port for ${req.vm}`, { vm: req.vm });
    if ([...this.records.values()].some((r) => r.vm === req.vm && isActiveMigration(r.state))) {
      throw new XsiteError('MIGRATION_IN_PROGRESS', `${req.vm} is already migrating`, { vm: req.vm });
    }
    const at = this.tick();
    const rec: MigrationRecord = {
      id: `m${++this.seq}`,
      vm: req.vm,
      tenant: vm.tenant,
      fromHost: vm.host,
      toHost: req.destinationHost,
      fromDc: this.hosts[vm.host]!.dc,
      toDc: to.dc,
      toSwitch: `${req.destinationHost}-vs`,
      toPort: 7,
      state: 'requested',
      createdAt: at,
      updatedAt: at,
      phases: {},
    };
    this.records.set(rec.id, rec);
    this.emit('state', structuredClone(rec));
    this.script(rec, vm.outcome ?? 'completed');
    return structuredClone(rec);
  }

  async get(id: string): Promise<MigrationRecord> {
    const r = this.records.get(id);
    if (r === undefined) throw new XsiteError('MIGRATION_NOT_FOUND', `no migration ${id}`, { id });
    return structuredClone(r);
  }

  async list(filter: MigrationFilter = {}): Promise<MigrationRecord[]> {
    return [...this.records.values()]
      .filter((r) => (filter.vm === undefined || r.vm === filter.vm) && (filter.active === undefined || isActiveMigration(r.state) === filter.active))
      .map((r) => structuredClone(r));
  }

  /** Resolves with the final record. */
  wait(id: string): Promise<MigrationRecord> {
    const r = this.records.get(id);
    if (r !== undefined && !isActiveMigration(r.state)) return Promise.resolve(structuredClone(r));
    return new Promise((resolve) => {
      const on = (x: MigrationRecord) => {
        if (x.id !== id || isActiveMigration(x.state)) return;
        this.off('state', on);
        resolve(x);
      };
      this.on('state', on);
    });
  }

  /** True while a `hang` migration waits for {@link release}. */
  isHanging(id: string): boolean {
    return this.hanging.has(id);
  }

  /** Lets a `hang` migration go on (to completed). */
  release(id: string): void {
    const go = this.hanging.get(id);
    this.hanging.delete(id);
    go?.();
  }

  /** Stops every timer (records stay as they are). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private tick(): number {
    this.clock += 10;
    return this.clock;
  }

  private script(rec: MigrationRecord, outcome: FakeOutcome): void {
    const steps: Array<() => void> = [];
    const state = (s: MigrationState, change?: (r: MigrationRecord) => void) => () => this.transition(rec, s, change);
    const progress = (p: Partial<MigrationProgressRecord>) => () => {
      rec.progress = {
        phase: 'precopy',
        round: 1,
        bytesCopied: 0,
        bytesTotal: 4 * GiB,
        remainingBytes: 4 * GiB,
        dirtyBytesPerSec: 50 * 1024 ** 2,
        copyBytesPerSec: GiB,
        elapsedMs: 0,
        ...p,
      };
      this.emit('progress', structuredClone(rec));
    };
    steps.push(state('pre-migration', (r) => (r.phases.preMigration = { startedAt: this.clock })));
    steps.push(state('migration', (r) => {
      r.phases.preMigration!.endedAt = this.clock;
      r.phases.migration = { startedAt: this.clock };
    }));
    steps.push(progress({ round: 1, bytesCopied: 1 * GiB, remainingBytes: 3 * GiB, elapsedMs: 1000, estimatedRemainingMs: 3000 }));
    steps.push(progress({ round: 2, bytesCopied: 3 * GiB, remainingBytes: GiB, elapsedMs: 3000, estimatedRemainingMs: 1000 }));
    if (outcome === 'hang') {
      steps.push(() => {
        this.hanging.set(rec.id, () => this.runSteps(this.finishSteps(rec)));
      });
    } else if (outcome === 'completed') {
      steps.push(...this.finishSteps(rec));
    } else {
      steps.push(state('rolling-back', (r) => (r.error = { code: 'MIGRATION_COPY_FAILED', message: 'the copy stream broke' })));
      steps.push(state(outcome, (r) => {
        r.phases.migration!.endedAt = this.clock;
        if (outcome === 'failed') r.error = { code: 'CHANNEL_TIMEOUT', message: 'dc2 did not answer the abort' };
        r.nat = { allocated: 1, released: outcome === 'failed' ? 0 : 1 };
      }));
    }
    this.runSteps(steps);
  }

  private finishSteps(rec: MigrationRecord): Array<() => void> {
    return [
      () => {
        rec.progress = { ...rec.progress!, phase: 'paused', round: 3, bytesCopied: 4 * GiB + 10 * 1024 ** 2, remainingBytes: 0, elapsedMs: 4000, estimatedRemainingMs: 0 };
        this.emit('progress', structuredClone(rec));
      },
      () => this.transition(rec, 'switchover'),
      () =>
        this.transition(rec, 'post-migration', (r) => {
          r.phases.migration!.endedAt = this.clock;
          r.phases.postMigration = { startedAt: this.clock };
        }),
      () =>
        this.transition(rec, 'completed', (r) => {
          r.phases.postMigration!.endedAt = this.clock;
          r.nat = { allocated: 2, released: 2 };
          r.result = { totalMs: 4200.5, hypervisorDowntimeMs: 12.25, switchoverMs: 3.5, bytesCopied: 4 * GiB + 10 * 1024 ** 2, rounds: 3, flowMods: 14, framesHeld: 2 };
          this.vms[rec.vm]!.host = rec.toHost;
        }),
    ];
  }

  private runSteps(steps: Array<() => void>): void {
    const next = (i: number) => {
      if (i >= steps.length) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        steps[i]!();
        next(i + 1);
      }, this.stepMs);
      this.timers.add(t);
    };
    next(0);
  }

  private transition(rec: MigrationRecord, state: MigrationState, change?: (r: MigrationRecord) => void): void {
    rec.state = state;
    rec.updatedAt = this.tick();
    change?.(rec);
    this.emit('state', structuredClone(rec));
  }
}

export const OP = 'op-token';
export const ACME_T = 'acme-token';
export const GLOBEX_T = 'globex-token';

export interface MigrationHarness {
  app: FastifyInstance;
  store: Store;
  fake: FakeMigrationService;
  close(): Promise<void>;
}

/** An API on a fresh `:memory:` store (three-dcs) with the fake migration service (or none). */
export async function setupMigrations(o: { withService?: boolean; stepMs?: number } = {}): Promise<MigrationHarness> {
  const store = await SqliteStore.open(':memory:');
  const directory = new Directory(store, { now: () => 1000 });
  await directory.loadIntent(loadExampleTopology('three-dcs'));
  const jobs = new JobQueue(store, { now: () => 2000 });
  const fake = new FakeMigrationService(o.stepMs !== undefined ? { stepMs: o.stepMs } : {});
  const app = buildApi({
    store,
    directory,
    allocator: directory.allocator,
    jobs,
    tokens: { [OP]: { role: 'operator' }, [ACME_T]: { role: 'tenant', tenant: 'acme' }, [GLOBEX_T]: { role: 'tenant', tenant: 'globex' } },
    ...(o.withService === false ? {} : { migrations: fake }),
  });
  await app.ready();
  return {
    app,
    store,
    fake,
    async close() {
      fake.close();
      await app.close();
      await store.close();
    },
  };
}
