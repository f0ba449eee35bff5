/**
 * `GET /v1/audit`: asks every DC's local controller to compare its switches with the desired state and checks the NAT
 * tuples in use (src/central/audit.ts). Operator only (tenants: 403 FORBIDDEN). Registered when the API is built with
 * an `audit` function (the central controller; it needs the control channel).
 */
import type { FastifyInstance } from 'fastify';
import type { AuditReport } from '../../central/audit';
import { principalOf, requireOperator } from '../auth';
import { bearer, errorResponses } from '../schemas';

const count = { type: 'integer', minimum: 0 } as const;

/** One finding. */
export const auditDetailSchema = {
  type: 'object',
  required: ['kind'],
  properties: {
    kind: { type: 'string', enum: ['leaked', 'missing', 'modified', 'switch-disconnected', 'dc-disconnected', 'dc-no-answer', 'leaked-tuple'] },
    dc: { type: 'string' },
    switch: { type: 'string' },
    tableId: { type: 'integer' },
    priority: { type: 'integer' },
    cookie: { type: 'string', description: 'hex, 0x...' },
    match: { type: 'string', description: 'ovs-ofctl syntax, shortened' },
    flowId: { type: 'string' },
    reason: { type: 'string' },
  },
} as const;

/** The audit report. */
export const auditReportSchema = {
  type: 'object',
  required: ['leakedFlows', 'leakedTuples', 'mismatches', 'dcs', 'details'],
  properties: {
    leakedFlows: { ...count, description: 'flows on a switch that are in no desired state' },
    leakedTuples: { ...count, description: 'NAT tuples in use with no live flow (flow not open, or NAT entries missing on a gateway)' },
    mismatches: { ...count, description: 'desired flows missing or different, switches or DCs not connected or not answering' },
    dcs: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['connected', 'answered', 'leakedFlows', 'mismatches'],
        properties: {
          connected: { type: 'boolean' },
          answered: { type: 'boolean' },
          leakedFlows: count,
          mismatches: count,
          switches: count,
          connectedSwitches: count,
        },
      },
    },
    details: { type: 'array', items: auditDetailSchema, description: 'at most 500' },
  },
} as const;

/** Registers the audit route. */
export function auditRoutes(app: FastifyInstance, audit: () => Promise<AuditReport>): void {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit switches, flows and NAT tuples against the directory (operator only)',
        description:
          'Asks every local controller to compare its switches with the desired state (5 s per DC). A DC not connected or not answering counts as one mismatch.',
        security: bearer,
        response: { 200: auditReportSchema, ...errorResponses(403) },
      },
    },
    async (request) => {
      requireOperator(principalOf(request), 'run an audit');
      return audit();
    },
  );
}
