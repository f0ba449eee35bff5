/**
 * `GET /v1/hosts` (filter `dc`), `GET /v1/hosts/:name`. The operator gets the records (detail: with the VMs on the
 * host); a tenant gets name and DC (detail: only its own VMs on the host).
 */
import type { FastifyInstance } from 'fastify';
import { XsiteError } from '../../core/errors';
import { isOperator, principalOf } from '../auth';
import type { ApiContext } from '../context';
import { bearer, errorResponses, hostDetailSchema, hostQuery, hostSchema, listOf, nameParams } from '../schemas';

/** Registers the host routes. */
export function hostRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: { dc?: string } }>(
    '/hosts',
    {
      schema: {
        tags: ['infrastructure'],
        summary: 'List hypervisor hosts (tenants: name and DC only)',
        security: bearer,
        querystring: hostQuery,
        response: { 200: listOf(hostSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const hosts = await ctx.store.listHosts(request.query.dc);
      return isOperator(p) ? hosts : hosts.map((h) => ({ name: h.name, dc: h.dc }));
    },
  );

  app.get<{ Params: { name: string } }>(
    '/hosts/:name',
    {
      schema: {
        tags: ['infrastructure'],
        summary: 'One host and the VMs on it (tenants: their own VMs only)',
        security: bearer,
        params: nameParams,
        response: { 200: hostDetailSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { name } = request.params;
      const host = await ctx.store.getHost(name);
      if (!host) throw new XsiteError('HOST_NOT_FOUND', `no host ${name}`, { host: name });
      if (isOperator(p)) {
        const vms = (await ctx.store.listVms({ host: name })).map((v) => v.name);
        return { ...host, vms };
      }
      const vms = (await ctx.store.listVms({ host: name, tenant: p.tenant })).map((v) => v.name);
      return { name: host.name, dc: host.dc, vms };
    },
  );
}
