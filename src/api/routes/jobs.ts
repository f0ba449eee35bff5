/** `GET /v1/jobs` (filters `dc`, `status`): jobs sent to local controllers. Operator only (tenants: 403). */
import type { FastifyInstance } from 'fastify';
import type { JobStatus } from '../../model/job';
import { principalOf, requireOperator } from '../auth';
import type { ApiContext } from '../context';
import { bearer, errorResponses, jobQuery, jobSchema, listOf } from '../schemas';

/** Registers the job route. */
export function jobRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: { dc?: string; status?: JobStatus } }>(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'List jobs for local controllers (operator only)',
        security: bearer,
        querystring: jobQuery,
        response: { 200: listOf(jobSchema), ...errorResponses(403) },
      },
    },
    async (request) => {
      requireOperator(principalOf(request), 'list jobs');
      return ctx.jobs.list(request.query);
    },
  );
}
