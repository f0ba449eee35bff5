/**
 * `GET /v1/datacenters`, `GET /v1/datacenters/:name`. The operator gets the records (detail: with host names and
 * gateways); a tenant gets names only (detail: name and host names).
 */
import type { FastifyInstance } from 'fastify';
import { XsiteError } from '../../core/errors';
import type { DatacenterRecord } from '../../model/intent';
import { isOperator, principalOf } from '../auth';
import type { ApiContext } from '../context';
import { bearer, datacenterDetailSchema, datacenterSchema, errorResponses, listOf, nameParams } from '../schemas';

/** Registers the datacenter routes. */
export function datacenterRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/datacenters',
    {
      schema: {
        tags: ['infrastructure'],
        summary: 'List datacenters (tenants: names only)',
        security: bearer,
        response: { 200: listOf(datacenterSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const dcs = await ctx.store.listDatacenters();
      return isOperator(p) ? dcs : dcs.map((d: DatacenterRecord) => ({ name: d.name }));
    },
  );

  app.get<{ Params: { name: string } }>(
    '/datacenters/:name',
    {
      schema: {
        tags: ['infrastructure'],
        summary: 'One datacenter with its hosts (and, for the operator, gateways)',
        security: bearer,
        params: nameParams,
        response: { 200: datacenterDetailSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { name } = request.params;
      const dc = await ctx.store.getDatacenter(name);
      if (!dc) throw new XsiteError('DATACENTER_NOT_FOUND', `no datacenter ${name}`, { dc: name });
      const hosts = (await ctx.store.listHosts(name)).map((h) => h.name);
      if (!isOperator(p)) return { name: dc.name, hosts };
      const gateways = await ctx.store.listGateways(name);
      return { ...dc, hosts, gateways };
    },
  );
}
