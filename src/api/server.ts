/**
 * The central controller's REST API (seed 000 section 4.1: the directory of VMs, cross-site flows, NAT tuples).
 *
 * {@link buildApi} returns a Fastify instance that is not listening: the caller listens, tests use `inject()`.
 * Routes live under `/v1` (see `routes/`), each with JSON schemas for params, query, body and every response; the
 * OpenAPI 3 document generated from them is served with swagger-ui at `/docs` and as JSON at `/docs/json` (both
 * public, as is `/v1/health`; everything else needs `Authorization: Bearer <token>`, see `auth.ts`). Errors are
 * mapped to statuses in one place (`errors.ts`).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Directory, JobQueue, NatAllocator } from '../central';
import type { AuditReport } from '../central/audit';
import type { Store } from '../ports/store';
import { authenticate, setPrincipal, tokenMap, type TokenTable } from './auth';
import type { ApiContext } from './context';
import { installErrorHandlers } from './errors';
import { auditRoutes } from './routes/audit';
import { datacenterRoutes } from './routes/datacenters';
import { flowRoutes } from './routes/flows';
import { healthRoutes } from './routes/health';
import { hostRoutes } from './routes/hosts';
import { jobRoutes } from './routes/jobs';
import { migrationRoutes, type MigrationApi } from './routes/migrations';
import { natRoutes } from './routes/nat';
import { vmRoutes } from './routes/vms';
import { vnRoutes } from './routes/vns';

/** What {@link buildApi} needs. */
export interface ApiOptions {
  store: Store;
  directory: Directory;
  allocator: NatAllocator;
  jobs: JobQueue;
  /** Token -> principal (see `auth.ts`). */
  tokens: TokenTable;
  /** A pino-compatible logger; none (silent) by default. */
  logger?: FastifyBaseLogger;
  /** Largest accepted body in bytes (default 64 KiB). */
  bodyLimit?: number;
  /** Runs an audit (central, over the control channel); `GET /v1/audit` exists only when given. */
  audit?: () => Promise<AuditReport>;
  /** Live migrations (central's MigrationService); the `/v1/migrations` routes exist only when given. */
  migrations?: MigrationApi;
}

/** The API version this module serves, also the OpenAPI `info.version`. */
export const API_VERSION = '1.0.0';

/** Builds the API (routes, auth, error mapping, OpenAPI document). Does not listen. */
export function buildApi(options: ApiOptions): FastifyInstance {
  const ctx: ApiContext = {
    store: options.store,
    directory: options.directory,
    allocator: options.allocator,
    jobs: options.jobs,
    tokens: tokenMap(options.tokens),
  };
  const app: FastifyInstance = Fastify({
    ...(options.logger !== undefined ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // Unknown body/query fields are refused (400), not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  }) as unknown as FastifyInstance;

  installErrorHandlers(app);

  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'xsite central controller',
        version: API_VERSION,
        description: 'Directory of VMs (where each VM is), cross-site flows and NAT tuples. Errors: `{ error: { code, message, details? } }`.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
      tags: [
        { name: 'infrastructure', description: 'Datacenters and hosts' },
        { name: 'tenants', description: 'Virtual networks and VMs' },
        { name: 'flows', description: 'Cross-site flows and NAT tuples' },
        { name: 'jobs', description: 'Jobs for local controllers' },
        { name: 'health', description: 'Liveness' },
        ...(options.audit !== undefined ? [{ name: 'audit', description: 'Switches, flows and NAT tuples against the directory' }] : []),
        ...(options.migrations !== undefined ? [{ name: 'migrations', description: 'Live migration of VMs between hosts and DCs' }] : []),
      ],
    },
  });
  void app.register(swaggerUi, { routePrefix: '/docs' });

  void app.register(
    async (v1) => {
      v1.addHook('onRequest', async (request: FastifyRequest) => {
        if ((request.routeOptions.config as { public?: boolean }).public === true) return;
        setPrincipal(request, authenticate(request.headers.authorization, ctx.tokens));
      });
      healthRoutes(v1, ctx);
      datacenterRoutes(v1, ctx);
      hostRoutes(v1, ctx);
      vnRoutes(v1, ctx);
      vmRoutes(v1, ctx);
      flowRoutes(v1, ctx);
      natRoutes(v1, ctx);
      jobRoutes(v1, ctx);
      if (options.audit !== undefined) auditRoutes(v1, options.audit);
      if (options.migrations !== undefined) migrationRoutes(v1, options.migrations);
    },
    { prefix: '/v1' },
  );
  return app;
}
