/**
 * JSON schemas of the API: request validation (Fastify/Ajv, with `removeAdditional` off so unknown body or query
 * fields are refused, not dropped), response serialisation (fields not in a schema never leave the server) and the
 * OpenAPI document (`/docs/json`). Every error response a route can give is declared with {@link errorResponses}.
 */

/** A name: 1-64 characters of `[A-Za-z0-9_.-]`, starting with a letter or digit (as in topology files). */
export const nameSchema = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' } as const;

/** `{ error: { code, message, details? } }`. */
export const errorSchema = {
  type: 'object',
  description: 'An error. Match on `code` (stable), never on `message`.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', examples: ['VM_NOT_FOUND'] },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

const ERROR_TEXT: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST: the request does not match the schema or has a bad value',
  401: 'UNAUTHORIZED: missing or invalid bearer token',
  403: 'FORBIDDEN: the token may not do this',
  404: 'NOT_FOUND or a *_NOT_FOUND code',
  409: 'DUPLICATE_*, *_CONFLICT, NAT_POOL_EXHAUSTED: refused, nothing changed',
  500: 'INTERNAL',
  503: 'UNAVAILABLE: the store is busy or closed',
};

/** The error responses of a route: 400, 401, 500 and 503 always, plus the given statuses. */
export function errorResponses(...extra: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const s of [400, 401, ...extra, 500, 503].sort((a, b) => a - b)) out[s] = { ...errorSchema, description: ERROR_TEXT[s] ?? 'error' };
  return out;
}

/** Security requirement of routes that need a token. */
export const bearer = [{ bearerAuth: [] }];

/** `:name` path parameter. */
export const nameParams = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

// ---- infrastructure

/** A datacenter (a tenant gets `name` only). */
export const datacenterSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string' },
    subnet: { type: 'string', description: 'operator only' },
    virtualisation: { type: 'string', enum: ['vlan', 'mac'], description: 'operator only' },
    gatewayIp: { type: 'string', description: 'operator only' },
  },
} as const;

/** A gateway as shown inside its datacenter. */
export const gatewaySchema = {
  type: 'object',
  required: ['name', 'publicIps', 'portRange'],
  properties: {
    name: { type: 'string' },
    switch: { type: 'string' },
    publicIps: { type: 'array', items: { type: 'string' } },
    portRange: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2 },
    mac: { type: 'string' },
  },
} as const;

/** A datacenter with its hosts and gateways (a tenant gets `name` and `hosts`). */
export const datacenterDetailSchema = {
  type: 'object',
  required: ['name', 'hosts'],
  properties: {
    ...datacenterSchema.properties,
    hosts: { type: 'array', items: { type: 'string' }, description: 'host names' },
    gateways: { type: 'array', items: gatewaySchema, description: 'operator only' },
  },
} as const;

/** A host (a tenant gets `name` and `dc`). */
export const hostSchema = {
  type: 'object',
  required: ['name', 'dc'],
  properties: {
    name: { type: 'string' },
    dc: { type: 'string' },
    switch: { type: 'string', description: 'operator only' },
    address: { type: 'string', description: 'operator only' },
    mac: { type: 'string', description: 'operator only' },
  },
} as const;

/** A host with the VMs on it (a tenant sees only its own VMs). */
export const hostDetailSchema = {
  type: 'object',
  required: ['name', 'dc', 'vms'],
  properties: { ...hostSchema.properties, vms: { type: 'array', items: { type: 'string' } } },
} as const;

/** `GET /v1/hosts` query. */
export const hostQuery = { type: 'object', additionalProperties: false, properties: { dc: nameSchema } } as const;

// ---- tenants' objects

/** A VN with the DCs where it has VMs. */
export const vnSchema = {
  type: 'object',
  required: ['tenant', 'name', 'id', 'dcs'],
  properties: {
    tenant: { type: 'string' },
    name: { type: 'string' },
    id: { type: 'integer' },
    subnet: { type: 'string' },
    dcs: { type: 'array', items: { type: 'string' }, description: 'DCs where the VN has VMs, sorted' },
  },
} as const;

/** `GET /v1/vns` query. */
export const vnQuery = { type: 'object', additionalProperties: false, properties: { tenant: nameSchema } } as const;

/** A VM and where it is (`host`, `dc`). */
export const vmSchema = {
  type: 'object',
  required: ['name', 'tenant', 'vn', 'ip', 'mac', 'host', 'dc', 'memoryMB'],
  properties: {
    name: { type: 'string' },
    tenant: { type: 'string' },
    vn: { type: 'string' },
    ip: { type: 'string' },
    mac: { type: 'string' },
    host: { type: 'string' },
    dc: { type: 'string' },
    vlan: { type: 'integer' },
    memoryMB: { type: 'integer' },
  },
} as const;

/** `GET /v1/vms` query (all given filters must match). */
export const vmQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { tenant: nameSchema, vn: nameSchema, dc: nameSchema, host: nameSchema },
} as const;

/** `POST /v1/vms` body. */
export const vmCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'tenant', 'vn', 'host', 'ip'],
  properties: {
    name: nameSchema,
    tenant: nameSchema,
    vn: nameSchema,
    host: nameSchema,
    ip: { type: 'string', minLength: 2, maxLength: 45, description: 'IPv4 or IPv6, inside the VN subnet when it has one' },
    mac: { type: 'string', pattern: '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$', description: 'unicast; derived when left out' },
    vlan: { type: 'integer', minimum: 1, maximum: 4094 },
    memoryMB: { type: 'integer', minimum: 1, maximum: 16777216 },
  },
} as const;

// ---- flows and NAT

/** A NAT tuple (the flow's identifier between gateways). */
export const natTupleSchema = {
  type: 'object',
  required: ['srcPublicIp', 'dstPublicIp', 'port', 'protocol'],
  properties: {
    srcPublicIp: { type: 'string' },
    dstPublicIp: { type: 'string' },
    port: { type: 'integer' },
    protocol: { type: 'string', enum: ['tcp', 'udp', 'icmp'] },
  },
} as const;

/** A NAT tuple in use, as stored. */
export const natTupleRecordSchema = {
  type: 'object',
  required: [...natTupleSchema.required, 'flowId', 'srcGateway', 'dstGateway', 'pool', 'allocatedAt'],
  properties: {
    ...natTupleSchema.properties,
    flowId: { type: 'string' },
    srcGateway: { type: 'string' },
    dstGateway: { type: 'string' },
    pool: { type: 'string' },
    allocatedAt: { type: 'integer', description: 'ms since the epoch' },
  },
} as const;

/** `GET /v1/nat/tuples` query. */
export const natTupleQuery = { type: 'object', additionalProperties: false, properties: { pool: { type: 'string', minLength: 1 } } } as const;

/** A flow between two VMs of one VN, with where its ends are now and (operator only) its NAT tuple. */
export const flowSchema = {
  type: 'object',
  required: ['id', 'tenant', 'vn', 'protocol', 'srcVm', 'dstVm', 'state', 'createdAt', 'lastSeenAt', 'crossSite'],
  properties: {
    id: { type: 'string' },
    tenant: { type: 'string' },
    vn: { type: 'string' },
    protocol: { type: 'string', enum: ['tcp', 'udp', 'icmp'] },
    srcVm: { type: 'string' },
    dstVm: { type: 'string' },
    srcPort: { type: 'integer' },
    dstPort: { type: 'integer' },
    state: { type: 'string', enum: ['open', 'closed'] },
    createdAt: { type: 'integer' },
    lastSeenAt: { type: 'integer' },
    srcDc: { type: 'string', description: 'DC of the source VM now (absent if the VM was removed)' },
    dstDc: { type: 'string', description: 'DC of the destination VM now (absent if the VM was removed)' },
    crossSite: { type: 'boolean', description: 'the ends are in different DCs, or the flow holds a NAT tuple' },
    tuple: { ...natTupleSchema, description: 'operator only' },
  },
} as const;

/** `GET /v1/flows` query. */
export const flowQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { type: 'string', enum: ['open', 'closed'] },
    tenant: nameSchema,
    vm: nameSchema,
    scope: { type: 'string', enum: ['cross-site', 'all'], default: 'cross-site', description: '`all` includes flows within one DC' },
  },
} as const;

// ---- jobs, health

/** A job for a local controller. */
export const jobSchema = {
  type: 'object',
  required: ['id', 'dc', 'kind', 'status', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    dc: { type: 'string' },
    kind: { type: 'string' },
    payload: {},
    status: { type: 'string', enum: ['pending', 'done', 'failed'] },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
    error: { type: 'string' },
  },
} as const;

/** `GET /v1/jobs` query. */
export const jobQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { dc: nameSchema, status: { type: 'string', enum: ['pending', 'done', 'failed'] } },
} as const;

/** `GET /v1/health` answer. */
export const healthSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok'] } },
} as const;

/** An array of `items`. */
export const listOf = <T>(items: T) => ({ type: 'array', items }) as const;
