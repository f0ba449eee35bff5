/**
 * VMs: list (filters `tenant`, `vn`, `dc`, `host`), read one with its location, create (201), delete (204).
 *
 * - A tenant lists only its own VMs; another tenant's VM reads as `VM_NOT_FOUND` (404), exactly like a missing one.
 * - Creating or deleting a VM of another tenant is `FORBIDDEN` (403).
 * - Create: the address must parse (IPv4 or IPv6; stored in canonical form) and lie in the VN's subnet when it has
 *   one (else `BAD_REQUEST`); a MAC left out is the lowest free derived VM MAC (`02:00:..`, as in topology files);
 *   memory defaults to {@link DEFAULT_VM_MEMORY_MB}. `VN_NOT_FOUND` / `HOST_NOT_FOUND` (404), `DUPLICATE_VM` (409:
 *   the name, or the address in the VN, is taken). The Directory adds the VM in one transaction: a refused create
 *   changes nothing.
 */
import type { FastifyInstance } from 'fastify';
import { macFromNumber, macToNumber } from '../../core/addr';
import { XsiteError } from '../../core/errors';
import { cidrContains, parseCidr, parseIp, parseUnicastMac } from '../../emulator/topology/cidr';
import { DEFAULT_VM_MEMORY_MB } from '../../emulator/topology/model';
import type { VmRecord } from '../../model/intent';
import type { VmFilter } from '../../ports/store';
import { canSeeTenant, principalOf, tenantScope, type Principal } from '../auth';
import type { ApiContext } from '../context';
import { apiError } from '../errors';
import { bearer, errorResponses, listOf, nameParams, vmCreateBody, vmQuery, vmSchema } from '../schemas';

/** A VM as the API shows it: the record plus the DC of its host. */
export type VmView = VmRecord & { dc: string };

/** `POST /v1/vms` body. */
export interface VmCreateRequest {
  name: string;
  tenant: string;
  vn: string;
  host: string;
  ip: string;
  mac?: string;
  vlan?: number;
  memoryMB?: number;
}

const FIRST_VM_MAC = 0x02_00_0000_0001;

const vmNotFound = (name: string) => new XsiteError('VM_NOT_FOUND', `no VM ${name}`, { vm: name });

/** Registers the VM routes. */
export function vmRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: VmFilter }>(
    '/vms',
    {
      schema: {
        tags: ['tenants'],
        summary: 'List VMs with their location (tenants: their own)',
        security: bearer,
        querystring: vmQuery,
        response: { 200: listOf(vmSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const tenant = tenantScope(principalOf(request), q.tenant);
      if (tenant === null) return [];
      const filter: VmFilter = { ...q };
      if (tenant !== undefined) filter.tenant = tenant;
      return ctx.store.transaction(async (tx) => {
        const hostDc = new Map((await tx.listHosts()).map((h) => [h.name, h.dc]));
        return (await tx.listVms(filter)).map((v) => ({ ...v, dc: hostDc.get(v.host) ?? '' }));
      });
    },
  );

  app.get<{ Params: { name: string } }>(
    '/vms/:name',
    {
      schema: {
        tags: ['tenants'],
        summary: 'One VM and where it is (host, DC)',
        security: bearer,
        params: nameParams,
        response: { 200: vmSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { name } = request.params;
      const loc = await ctx.directory.vmByName(name);
      if (!canSeeTenant(p, loc.vm.tenant)) throw vmNotFound(name);
      return { ...loc.vm, dc: loc.dc };
    },
  );

  app.post<{ Body: VmCreateRequest }>(
    '/vms',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Create a VM (tenants: in their own VNs)',
        security: bearer,
        body: vmCreateBody,
        response: { 201: vmSchema, ...errorResponses(403, 404, 409) },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const body = request.body;
      forbidOtherTenant(p, body.tenant, 'create');
      const rec = await vmRecordFrom(ctx, body);
      const loc = await ctx.directory.addVm(rec);
      reply.code(201).header('location', `/v1/vms/${encodeURIComponent(rec.name)}`);
      return { ...loc.vm, dc: loc.dc };
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/vms/:name',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Delete a VM (tenants: their own); its flows are kept',
        security: bearer,
        params: nameParams,
        response: { 204: { type: 'null', description: 'deleted' }, ...errorResponses(403, 404) },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const { name } = request.params;
      await ctx.store.transaction(async (tx) => {
        const vm = await tx.getVm(name);
        if (!vm) throw vmNotFound(name);
        forbidOtherTenant(p, vm.tenant, 'delete');
        await tx.deleteVm(name);
      });
      return reply.code(204).send();
    },
  );
}

function forbidOtherTenant(p: Principal, tenant: string, verb: string): void {
  if (!canSeeTenant(p, tenant)) throw apiError.forbidden(`a token of tenant ${p.role === 'tenant' ? p.tenant : ''} may not ${verb} VMs of another tenant`);
}

/** Checks and completes a create request into a VM record. */
async function vmRecordFrom(ctx: ApiContext, body: VmCreateRequest): Promise<VmRecord> {
  const ip = parseIp(body.ip);
  if (typeof ip === 'string') throw apiError.badRequest(`invalid ip ${JSON.stringify(body.ip)}: ${ip}`, { field: 'ip' });
  const vn = await ctx.store.getVn(body.tenant, body.vn);
  if (!vn) throw new XsiteError('VN_NOT_FOUND', `no VN ${body.tenant}/${body.vn}`, { tenant: body.tenant, vn: body.vn });
  if (vn.subnet !== undefined) {
    const subnet = parseCidr(vn.subnet);
    if (typeof subnet === 'object' && !cidrContains(subnet, ip)) {
      throw apiError.badRequest(`ip ${ip.text} is outside the subnet ${vn.subnet} of ${vn.tenant}/${vn.name}`, { field: 'ip', subnet: vn.subnet });
    }
  }
  let mac: string;
  if (body.mac !== undefined) {
    const m = parseUnicastMac(body.mac);
    if (typeof m === 'string') throw apiError.badRequest(`invalid mac: ${m}`, { field: 'mac' });
    mac = m.text;
  } else {
    mac = await freeVmMac(ctx);
  }
  const rec: VmRecord = { name: body.name, tenant: body.tenant, vn: body.vn, ip: ip.text, mac, host: body.host, memoryMB: body.memoryMB ?? DEFAULT_VM_MEMORY_MB };
  if (body.vlan !== undefined) rec.vlan = body.vlan;
  return rec;
}

/** The lowest derived VM MAC (`02:00:xx:xx:xx:xx` from 1) no VM uses. */
async function freeVmMac(ctx: ApiContext): Promise<string> {
  const used = new Set((await ctx.store.listVms()).map((v) => macToNumber(v.mac)));
  let n = FIRST_VM_MAC;
  while (used.has(n)) n++;
  return macFromNumber(n);
}
