/** `GET /v1/vns`: virtual networks with their id, subnet and the DCs where they have VMs (tenants: their own). */
import type { FastifyInstance } from 'fastify';
import { principalOf, tenantScope } from '../auth';
import type { ApiContext } from '../context';
import { bearer, errorResponses, listOf, vnQuery, vnSchema } from '../schemas';

/** Registers the VN route. */
export function vnRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: { tenant?: string } }>(
    '/vns',
    {
      schema: {
        tags: ['tenants'],
        summary: 'List virtual networks and the DCs where they have VMs',
        security: bearer,
        querystring: vnQuery,
        response: { 200: listOf(vnSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const tenant = tenantScope(principalOf(request), request.query.tenant);
      if (tenant === null) return [];
      // One consistent read of VNs, hosts and VMs.
      return ctx.store.transaction(async (tx) => {
        const vns = await tx.listVns(tenant);
        const hostDc = new Map((await tx.listHosts()).map((h) => [h.name, h.dc]));
        const dcs = new Map<string, Set<string>>();
        for (const v of await tx.listVms(tenant !== undefined ? { tenant } : {})) {
          const key = JSON.stringify([v.tenant, v.vn]);
          let s = dcs.get(key);
          if (!s) dcs.set(key, (s = new Set()));
          const dc = hostDc.get(v.host);
          if (dc !== undefined) s.add(dc);
        }
        return vns
          .map((vn) => ({ ...vn, dcs: [...(dcs.get(JSON.stringify([vn.tenant, vn.name])) ?? [])].sort() }))
          .sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      });
    },
  );
}
