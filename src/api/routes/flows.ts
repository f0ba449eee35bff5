/**
 * `GET /v1/flows`: flows between VMs of one VN with where their ends are now and their NAT tuples. By default only
 * cross-site flows (ends in different DCs, or holding a tuple); `scope=all` adds flows within one DC. Filters `state`,
 * `tenant`, `vm`. A tenant sees its own flows, without tuples (NAT tuples are operator-only).
 */
import type { FastifyInstance } from 'fastify';
import type { FlowFilter, FlowState } from '../../model/flow';
import { isOperator, principalOf, tenantScope } from '../auth';
import type { ApiContext } from '../context';
import { bearer, errorResponses, flowQuery, flowSchema, listOf } from '../schemas';

/** `GET /v1/flows` query. */
export interface FlowQuery {
  state?: FlowState;
  tenant?: string;
  vm?: string;
  scope?: 'cross-site' | 'all';
}

/** Registers the flow route. */
export function flowRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: FlowQuery }>(
    '/flows',
    {
      schema: {
        tags: ['flows'],
        summary: 'List cross-site flows with their NAT tuples (tenants: their own, without tuples)',
        security: bearer,
        querystring: flowQuery,
        response: { 200: listOf(flowSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const q = request.query;
      const tenant = tenantScope(p, q.tenant);
      if (tenant === null) return [];
      const filter: FlowFilter = {};
      if (q.state !== undefined) filter.state = q.state;
      if (q.vm !== undefined) filter.vm = q.vm;
      if (tenant !== undefined) filter.tenant = tenant;
      const all = q.scope === 'all';
      return ctx.store.transaction(async (tx) => {
        const hostDc = new Map((await tx.listHosts()).map((h) => [h.name, h.dc]));
        const vmDc = new Map((await tx.listVms(tenant !== undefined ? { tenant } : {})).map((v) => [v.name, hostDc.get(v.host)]));
        const out = [];
        for (const f of await tx.listFlows(filter)) {
          const srcDc = vmDc.get(f.srcVm);
          const dstDc = vmDc.get(f.dstVm);
          const crossSite = f.tuple !== undefined || (srcDc !== undefined && dstDc !== undefined && srcDc !== dstDc);
          if (!crossSite && !all) continue;
          const view = { ...f, crossSite, ...(srcDc !== undefined ? { srcDc } : {}), ...(dstDc !== undefined ? { dstDc } : {}) };
          if (!isOperator(p)) delete view.tuple;
          out.push(view);
        }
        return out;
      });
    },
  );
}
