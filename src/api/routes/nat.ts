/** `GET /v1/nat/tuples` (filter `pool`): the NAT tuples in use. Operator only (a tenant gets 403 `FORBIDDEN`). */
import type { FastifyInstance } from 'fastify';
import { principalOf, requireOperator } from '../auth';
import type { ApiContext } from '../context';
import { bearer, errorResponses, listOf, natTupleQuery, natTupleRecordSchema } from '../schemas';

/** Registers the NAT route. */
export function natRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: { pool?: string } }>(
    '/nat/tuples',
    {
      schema: {
        tags: ['flows'],
        summary: 'List the NAT tuples in use (operator only)',
        security: bearer,
        querystring: natTupleQuery,
        response: { 200: listOf(natTupleRecordSchema), ...errorResponses(403) },
      },
    },
    async (request) => {
      requireOperator(principalOf(request), 'list NAT tuples');
      return ctx.store.listNatTuples(request.query.pool);
    },
  );
}
