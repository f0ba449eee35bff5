/** `GET /v1/health`: public liveness probe; 200 when the store answers, 503 `UNAVAILABLE` when it does not. */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context';
import { errorResponses, healthSchema } from '../schemas';

/** Registers the health route. */
export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'Liveness: the API and its store answer (no token needed)',
        security: [],
        response: { 200: healthSchema, 500: errorResponses()[500], 503: errorResponses()[503] },
      },
    },
    async () => {
      await ctx.store.listTenants();
      return { status: 'ok' as const };
    },
  );
}
