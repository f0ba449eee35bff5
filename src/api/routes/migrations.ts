/**
 * Live migrations (src/central/migration.ts): request one (202), list, read one, follow one as Server-Sent Events.
 * Registered when the API is built with a `migrations` service (the central controller).
 *
 * - `POST /v1/migrations` `{ vm, destinationHost }` -> 202 with the journaled record (state `requested`; the
 *   migration runs on). The service checks the request: `VM_NOT_FOUND` / `HOST_NOT_FOUND` (404),
 *   `MIGRATION_SAME_HOST`, `MIGRATION_IN_PROGRESS`, `MIGRATION_NO_CAPACITY`, `MIGRATION_NO_PORT`, `MIGRATION_ENDPOINT`
 *   (409: a host's migration endpoint does not migrate), and
 *   `FORBIDDEN` (403) when a tenant token asks for another tenant's VM.
 * - `GET /v1/migrations` (filters `vm`, `active`): a tenant lists only its own migrations.
 * - `GET /v1/migrations/:id`: `MIGRATION_NOT_FOUND` (404); another tenant's migration reads as not found.
 * - `GET /v1/migrations/:id/events`: `text/event-stream`. First an event `state` with the current record, then every
 *   `state` and `progress` event of the migration (`event: state|progress`, `data: <record as JSON>`); the stream
 *   ends after a terminal state (completed, rolled-back, failed), at once when the migration already is terminal.
 *   A comment line (`: keep-alive`) goes out every 15 s while nothing happens.
 */
import type { FastifyInstance } from 'fastify';
import { XsiteError } from '../../core/errors';
import type { MigrationFilter, MigrationRecord, MigrationState } from '../../model/migration';
import { isActiveMigration } from '../../model/migration';
import { canSeeTenant, principalOf, type Principal } from '../auth';
import { bearer, errorResponses, listOf, nameSchema, natTupleSchema } from '../schemas';

/** What the routes need of the migration service (src/central/migration.ts `MigrationService` satisfies it). */
export interface MigrationApi {
  request(req: { vm: string; destinationHost: string }, principal: Principal): Promise<MigrationRecord>;
  /** MIGRATION_NOT_FOUND when there is no such migration. */
  get(id: string): Promise<MigrationRecord>;
  list(filter: MigrationFilter): Promise<MigrationRecord[]>;
  /** Events `state` (every state change) and `progress` (copy progress), each with the whole record. */
  on(event: 'state' | 'progress', listener: (rec: MigrationRecord) => void): unknown;
  off(event: 'state' | 'progress', listener: (rec: MigrationRecord) => void): unknown;
}

/** How often a comment line keeps an idle event stream open (ms). */
export const SSE_KEEPALIVE_MS = 15_000;

const ms = (description: string) => ({ type: 'number', description }) as const;
const copyStreamEnd = {
  type: 'object',
  additionalProperties: true,
  required: ['vm', 'ip', 'port'],
  properties: { vm: { type: 'string', description: 'the migration endpoint' }, ip: { type: 'string' }, port: { type: 'integer' } },
} as const;

const phaseTimes = {
  type: 'object',
  additionalProperties: true,
  required: ['startedAt'],
  properties: { startedAt: ms('ms since the epoch'), endedAt: ms('ms since the epoch') },
} as const;

/** A migration as journaled by central. */
export const migrationSchema = {
  type: 'object',
  required: ['id', 'vm', 'tenant', 'fromHost', 'toHost', 'fromDc', 'toDc', 'toSwitch', 'toPort', 'state', 'createdAt', 'updatedAt', 'phases'],
  properties: {
    id: { type: 'string' },
    vm: { type: 'string' },
    tenant: { type: 'string' },
    fromHost: { type: 'string' },
    toHost: { type: 'string' },
    fromDc: { type: 'string' },
    toDc: { type: 'string' },
    toSwitch: { type: 'string', description: 'where the VM is plugged in at the destination' },
    toPort: { type: 'integer', description: 'port number on toSwitch' },
    state: {
      type: 'string',
      enum: ['requested', 'pre-migration', 'migration', 'switchover', 'post-migration', 'completed', 'rolling-back', 'rolled-back', 'failed'],
      description: 'completed, rolled-back and failed are terminal',
    },
    createdAt: ms('ms since the epoch'),
    updatedAt: ms('ms since the epoch'),
    phases: {
      type: 'object',
      additionalProperties: true,
      description: 'start and end of each phase reached',
      properties: { preMigration: phaseTimes, migration: phaseTimes, postMigration: phaseTimes },
    },
    copyTuple: { ...natTupleSchema, additionalProperties: true, description: "the copy stream's NAT tuple between the gateways (cross-DC)" },
    copyRoute: {
      type: 'object',
      additionalProperties: true,
      description: "the copy stream's route between the hosts' migration endpoints (flowId: its cross-site flow, cross-DC)",
      required: ['from', 'to'],
      properties: { from: copyStreamEnd, to: copyStreamEnd, flowId: { type: 'string' } },
    },
    progress: {
      type: 'object',
      additionalProperties: true,
      description: 'latest progress of the memory copy',
      required: ['phase', 'round', 'bytesCopied', 'bytesTotal', 'remainingBytes', 'dirtyBytesPerSec', 'copyBytesPerSec', 'elapsedMs'],
      properties: {
        phase: { type: 'string', enum: ['precopy', 'paused', 'resumed'] },
        round: { type: 'integer', description: 'pre-copy round, 1-based' },
        bytesCopied: { type: 'number' },
        bytesTotal: { type: 'number', description: "the VM's memory" },
        remainingBytes: { type: 'number' },
        dirtyBytesPerSec: { type: 'number' },
        copyBytesPerSec: { type: 'number' },
        elapsedMs: { type: 'number' },
        estimatedRemainingMs: { type: 'number' },
      },
    },
    result: {
      type: 'object',
      additionalProperties: true,
      description: 'figures of a completed migration',
      required: ['totalMs', 'hypervisorDowntimeMs', 'switchoverMs', 'bytesCopied', 'rounds', 'flowMods', 'framesHeld'],
      properties: {
        totalMs: ms('start of the copy to the VM running at the destination'),
        hypervisorDowntimeMs: ms('how long the VM was paused'),
        switchoverMs: ms('network switchover, inside the pause'),
        bytesCopied: { type: 'number' },
        rounds: { type: 'integer' },
        flowMods: { type: 'integer', description: 'flow mods sent to switches at the switchover' },
        framesHeld: { type: 'integer', description: 'frames held at the source during the pause and sent on' },
        precomputed: { type: 'boolean', description: 'a move to another DC: every DC of the pause committed the switchover it computed before the pause' },
      },
    },
    nat: {
      type: 'object',
      additionalProperties: true,
      description: 'NAT tuples allocated and released for the migration',
      required: ['allocated', 'released'],
      properties: { allocated: { type: 'integer' }, released: { type: 'integer' } },
    },
    error: {
      type: 'object',
      additionalProperties: true,
      description: 'why it rolled back or failed (or what was completed forward)',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

/** `POST /v1/migrations` body. */
export const migrationCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['vm', 'destinationHost'],
  properties: { vm: nameSchema, destinationHost: nameSchema },
} as const;

/** `GET /v1/migrations` query. */
export const migrationQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { vm: nameSchema, active: { type: 'boolean', description: 'true: only migrations not yet completed, rolled back or failed' } },
} as const;

const idParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

/** Order of states within one migration, to drop stale events. */
const RANK: Readonly<Record<MigrationState, number>> = {
  requested: 0,
  'pre-migration': 1,
  migration: 2,
  switchover: 3,
  'post-migration': 4,
  'rolling-back': 4,
  completed: 5,
  'rolled-back': 5,
  failed: 5,
};

const migrationNotFound = (id: string) => new XsiteError('MIGRATION_NOT_FOUND', `no migration ${id}`, { id });

/** Registers the migration routes. */
export function migrationRoutes(app: FastifyInstance, migrations: MigrationApi): void {
  /** Ends every open event stream (when the server closes). */
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  const visible = async (p: Principal, id: string): Promise<MigrationRecord> => {
    const rec = await migrations.get(id);
    if (!canSeeTenant(p, rec.tenant)) throw migrationNotFound(id);
    return rec;
  };

  app.post<{ Body: { vm: string; destinationHost: string } }>(
    '/migrations',
    {
      schema: {
        tags: ['migrations'],
        summary: 'Live-migrate a VM to another host (tenants: their own VMs)',
        description:
          'Checks the request and starts the migration; answers with the record in state `requested`. Follow it with `GET /v1/migrations/{id}/events`. ' +
          '409: MIGRATION_SAME_HOST, MIGRATION_IN_PROGRESS, MIGRATION_NO_CAPACITY, MIGRATION_NO_PORT, MIGRATION_ENDPOINT.',
        security: bearer,
        body: migrationCreateBody,
        response: { 202: migrationSchema, ...errorResponses(403, 404, 409) },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const rec = await migrations.request({ vm: request.body.vm, destinationHost: request.body.destinationHost }, p);
      reply.code(202).header('location', `/v1/migrations/${encodeURIComponent(rec.id)}`);
      return rec;
    },
  );

  app.get<{ Querystring: { vm?: string; active?: boolean } }>(
    '/migrations',
    {
      schema: {
        tags: ['migrations'],
        summary: 'List migrations (tenants: their own)',
        security: bearer,
        querystring: migrationQuery,
        response: { 200: listOf(migrationSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const filter: MigrationFilter = {};
      if (request.query.vm !== undefined) filter.vm = request.query.vm;
      if (request.query.active !== undefined) filter.active = request.query.active;
      const all = await migrations.list(filter);
      return all.filter((m) => canSeeTenant(p, m.tenant));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/migrations/:id',
    {
      schema: {
        tags: ['migrations'],
        summary: 'One migration',
        security: bearer,
        params: idParams,
        response: { 200: migrationSchema, ...errorResponses(404) },
      },
    },
    async (request) => visible(principalOf(request), request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/migrations/:id/events',
    {
      schema: {
        tags: ['migrations'],
        summary: "Follow a migration: Server-Sent Events of its state changes and copy progress",
        description:
          'text/event-stream. First `event: state` with the current record, then every `state` and `progress` event (data: the record as JSON). ' +
          'The stream ends after a terminal state (completed, rolled-back, failed); at once when the migration already is terminal.',
        security: bearer,
        params: idParams,
        produces: ['text/event-stream'],
        response: {
          200: { description: 'the event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...errorResponses(404),
        },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const { id } = request.params;
      await visible(p, id);

      // Listen first, then read the current record: nothing between the read and the subscription is lost.
      const queue: Array<[event: 'state' | 'progress', rec: MigrationRecord]> = [];
      let live: ((event: 'state' | 'progress', rec: MigrationRecord) => void) | undefined;
      const onState = (rec: MigrationRecord) => {
        if (rec.id !== id) return;
        if (live) live('state', rec);
        else queue.push(['state', rec]);
      };
      const onProgress = (rec: MigrationRecord) => {
        if (rec.id !== id) return;
        if (live) live('progress', rec);
        else queue.push(['progress', rec]);
      };
      migrations.on('state', onState);
      migrations.on('progress', onProgress);
      let keepAlive: NodeJS.Timeout | undefined;
      let ended = false;
      const res = reply.raw;
      const end = () => {
        if (ended) return;
        ended = true;
        migrations.off('state', onState);
        migrations.off('progress', onProgress);
        if (keepAlive !== undefined) clearInterval(keepAlive);
        open.delete(end);
        if (!res.writableEnded) res.end();
      };

      let current: MigrationRecord;
      try {
        current = await migrations.get(id);
      } catch (e) {
        end();
        throw e;
      }
      reply.hijack();
      open.add(end);
      res.on('close', end);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      });

      let lastState = current.state;
      const send = (event: 'state' | 'progress', rec: MigrationRecord) => {
        if (ended) return;
        if (event === 'state') {
          // Duplicates and states older than what was sent already (events queued while reading the record).
          if (rec.state === lastState || RANK[rec.state] < RANK[lastState]) return;
          lastState = rec.state;
        } else if (!isActiveMigration(lastState)) {
          return;
        }
        res.write(`event: ${event}\ndata: ${JSON.stringify(rec)}\n\n`);
        if (event === 'state' && !isActiveMigration(rec.state)) end();
      };
      res.write(`event: state\ndata: ${JSON.stringify(current)}\n\n`);
      if (!isActiveMigration(current.state)) {
        end();
        return reply;
      }
      for (const [event, rec] of queue.splice(0)) send(event, rec);
      live = send;
      if (!ended) {
        keepAlive = setInterval(() => res.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS);
        keepAlive.unref();
      }
      return reply;
    },
  );
}
