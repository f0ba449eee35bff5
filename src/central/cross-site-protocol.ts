/**
 * The control-channel messages of cross-site flows (seed 000 section 4.2), between a local controller and central:
 *
 * - request `flow.open` (local -> central): the first packet of a flow between a VM of the local's DC and a VM of
 *   another DC reached the local's gateway; central records the flow, allocates its NAT tuple, has both DCs install
 *   the gateway flows (jobs `nat.install`) and replies `{ flow }` once both confirmed.
 * - event `flow.idle` (local -> central): the NAT flows of `flowId` on the local's gateway timed out; when every DC
 *   of the flow said so, central closes the flow, releases its tuple and sends `nat.remove` jobs.
 * - jobs `nat.install { flow }` and `nat.remove { flowId }` (central -> local), done when the gateway switch
 *   confirmed (bundle commit).
 * The cross-site flows of a DC also travel in the `directory.vms` reply (src/central/local-sync.ts), so a local
 * that (re)connects or restarts gets them back.
 */
import { type CrossSiteFlow, isCrossSiteFlow } from '../model/cross-site-flow';
import type { NatProtocol } from '../model/flow';

export const CROSS_SITE_VERSION = 1;

/** `flow.open`: VM names as the local's directory knows them; ports absent for ICMP. */
export interface FlowOpenRequest {
  type: 'flow.open';
  v: number;
  protocol: NatProtocol;
  srcVm: string;
  dstVm: string;
  srcPort?: number;
  dstPort?: number;
}

/**
 * `flow.reopen`: a packet arrived at a gateway from another DC's gateway and found no NAT flow (its half of the flow
 * timed out a moment before the other's): the tuple it carries (public IPs, protocol, and the candidate ports: for
 * TCP/UDP the tuple port is either of the two, for ICMP it is the VLAN id). Central sets the flow up again on both
 * gateways and replies `{ flow }` like `flow.open`.
 */
export interface FlowReopenRequest {
  type: 'flow.reopen';
  v: number;
  protocol: NatProtocol;
  srcPublicIp: string;
  dstPublicIp: string;
  ports: number[];
}

export function isFlowReopenRequest(x: unknown): x is FlowReopenRequest {
  return (
    isObject(x) &&
    x['type'] === 'flow.reopen' &&
    (x['protocol'] === 'tcp' || x['protocol'] === 'udp' || x['protocol'] === 'icmp') &&
    typeof x['srcPublicIp'] === 'string' &&
    typeof x['dstPublicIp'] === 'string' &&
    Array.isArray(x['ports']) &&
    (x['ports'] as unknown[]).length <= 2 &&
    (x['ports'] as unknown[]).every((p) => Number.isInteger(p))
  );
}

export interface FlowOpenReply {
  v: number;
  flow: CrossSiteFlow;
}

export interface FlowIdleEvent {
  type: 'flow.idle';
  v: number;
  flowId: string;
  /** The set-up ({@link CrossSiteFlow.gen}) whose NAT flows went idle. */
  gen?: string;
}

export interface NatInstallJob {
  flow: CrossSiteFlow;
}

export interface NatRemoveJob {
  flowId: string;
}

export const NAT_INSTALL_JOB = 'nat.install';
export const NAT_REMOVE_JOB = 'nat.remove';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const optPort = (x: unknown) => x === undefined || (Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 65535);

export function isFlowOpenRequest(x: unknown): x is FlowOpenRequest {
  return (
    isObject(x) &&
    x['type'] === 'flow.open' &&
    (x['protocol'] === 'tcp' || x['protocol'] === 'udp' || x['protocol'] === 'icmp') &&
    typeof x['srcVm'] === 'string' &&
    typeof x['dstVm'] === 'string' &&
    optPort(x['srcPort']) &&
    optPort(x['dstPort'])
  );
}

export function isFlowOpenReply(x: unknown): x is FlowOpenReply {
  return isObject(x) && isCrossSiteFlow(x['flow']);
}

export function isFlowIdleEvent(x: unknown): x is FlowIdleEvent {
  return isObject(x) && x['type'] === 'flow.idle' && typeof x['flowId'] === 'string' && (x['gen'] === undefined || typeof x['gen'] === 'string');
}

export function isNatInstallJob(x: unknown): x is NatInstallJob {
  return isObject(x) && isCrossSiteFlow(x['flow']);
}

export function isNatRemoveJob(x: unknown): x is NatRemoveJob {
  return isObject(x) && typeof x['flowId'] === 'string';
}
