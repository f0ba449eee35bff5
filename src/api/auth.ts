/**
 * Bearer-token authentication and the visibility rules of the API.
 *
 * `Authorization: Bearer <token>`; the token table maps a token to a {@link Principal}. Missing, malformed or unknown
 * tokens get 401 `UNAUTHORIZED`. Roles:
 * - `operator` sees and changes everything.
 * - `tenant` sees only its own VNs, VMs and flows (lists are filtered; another tenant's VM reads as 404, so its
 *   existence does not leak); creating or deleting a VM of another tenant is 403 `FORBIDDEN`. Of the infrastructure a
 *   tenant sees names only: datacenter names, and host names with their DC (the DC and host of its own VMs are shown
 *   anyway). Subnets, underlay addresses, MACs, switches and gateways are operator-only, as are NAT tuples (403, also
 *   left out of the flows a tenant lists) and jobs.
 *
 * Routes whose `config.public` is true (health) need no token.
 */
import type { FastifyRequest } from 'fastify';
import { XsiteError } from '../core/errors';
import { apiError } from './errors';

/** Who a token speaks for. */
export type Principal = { role: 'operator' } | { role: 'tenant'; tenant: string };

/** Token -> principal, as a plain object or a Map. */
export type TokenTable = Readonly<Record<string, Principal>> | ReadonlyMap<string, Principal>;

const principals = new WeakMap<FastifyRequest, Principal>();

/** Normalises and checks a token table (a Map, so tokens such as `constructor` never hit Object's prototype). */
export function tokenMap(tokens: TokenTable): ReadonlyMap<string, Principal> {
  const entries: Array<[string, Principal]> = tokens instanceof Map ? [...tokens.entries()] : Object.entries(tokens);
  const out = new Map<string, Principal>();
  for (const [token, p] of entries) {
    const ok = token.length > 0 && p && (p.role === 'operator' || (p.role === 'tenant' && typeof p.tenant === 'string' && p.tenant.length > 0));
    if (!ok) throw new XsiteError('API_BAD_TOKENS', 'every token needs a non-empty value and role operator, or role tenant with a tenant name');
    out.set(token, p.role === 'operator' ? { role: 'operator' } : { role: 'tenant', tenant: p.tenant });
  }
  return out;
}

/** Returns the principal of `Authorization: Bearer <token>`, or throws `UNAUTHORIZED`. */
export function authenticate(header: string | undefined, tokens: ReadonlyMap<string, Principal>): Principal {
  if (header === undefined || header === '') throw apiError.unauthorized('missing bearer token');
  const m = /^Bearer +(\S+) *$/i.exec(header);
  if (!m) throw apiError.unauthorized('expected Authorization: Bearer <token>');
  const p = tokens.get(m[1]!);
  if (!p) throw apiError.unauthorized('invalid token');
  return p;
}

/** Records the request's principal (done by the auth hook). */
export function setPrincipal(request: FastifyRequest, p: Principal): void {
  principals.set(request, p);
}

/** The principal of an authenticated request (throws `UNAUTHORIZED` if the auth hook did not run). */
export function principalOf(request: FastifyRequest): Principal {
  const p = principals.get(request);
  if (!p) throw apiError.unauthorized('missing bearer token');
  return p;
}

/** True for the operator. */
export function isOperator(p: Principal): p is { role: 'operator' } {
  return p.role === 'operator';
}

/** Throws `FORBIDDEN` unless `p` is the operator. */
export function requireOperator(p: Principal, what: string): void {
  if (!isOperator(p)) throw apiError.forbidden(`only the operator may ${what}`);
}

/** True when `p` may see records of `tenant`. */
export function canSeeTenant(p: Principal, tenant: string): boolean {
  return p.role === 'operator' || p.tenant === tenant;
}

/**
 * The tenant a list must be restricted to: the query's tenant for the operator, the token's tenant for a tenant.
 * `null` when a tenant asked for another tenant (the answer is then empty).
 */
export function tenantScope(p: Principal, requested: string | undefined): string | undefined | null {
  if (p.role === 'operator') return requested;
  if (requested !== undefined && requested !== p.tenant) return null;
  return p.tenant;
}
