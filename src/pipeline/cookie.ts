/**
 * Flow cookies say which manager owns a flow: the top 16 bits are the manager id, the low 48 bits are the manager's
 * own (e.g. a VN id, a tuple id). Manager id 0 is never assigned, so cookie 0 (flows added by hand, by OVS itself)
 * always reads as "not ours".
 */
import { XsiteError } from '../core/errors';

/** Mask selecting the manager id of a cookie. */
export const COOKIE_MANAGER_MASK = 0xffff_0000_0000_0000n;
/** Mask selecting the manager-defined part of a cookie. */
export const COOKIE_LOCAL_MASK = 0x0000_ffff_ffff_ffffn;
/** Cookie mask of an exact cookie match (delete_strict of one owner's flow). */
export const COOKIE_EXACT_MASK = 0xffff_ffff_ffff_ffffn;

/** Builds a cookie from a manager id (1..65535) and a 48-bit manager-defined value. */
export function makeCookie(managerId: number, local: bigint = 0n): bigint {
  if (!Number.isInteger(managerId) || managerId < 1 || managerId > 0xffff) {
    throw new XsiteError('PIPELINE_VIOLATION', `manager id ${managerId} outside 1..65535`, { managerId });
  }
  if (local < 0n || local > COOKIE_LOCAL_MASK) {
    throw new XsiteError('PIPELINE_VIOLATION', `cookie value ${local} does not fit in 48 bits`, { managerId });
  }
  return (BigInt(managerId) << 48n) | local;
}

/** The manager id of a cookie (0 = none). */
export function cookieManager(cookie: bigint): number {
  return Number((cookie & COOKIE_MANAGER_MASK) >> 48n);
}

/** The manager-defined low 48 bits of a cookie. */
export function cookieLocal(cookie: bigint): bigint {
  return cookie & COOKIE_LOCAL_MASK;
}

/** A manager known to the registry. */
export interface ManagerInfo {
  readonly id: number;
  readonly name: string;
}

/** Names <-> ids of the managers that own flows. */
export class ManagerRegistry {
  private readonly ids = new Map<number, ManagerInfo>();
  private readonly names = new Map<string, ManagerInfo>();

  constructor(managers: readonly ManagerInfo[] = []) {
    for (const m of managers) this.register(m.name, m.id);
  }

  /** Registers a manager; throws PIPELINE_BAD_MANAGER when the id or name is taken or the id is out of range. */
  register(name: string, id: number): ManagerInfo {
    if (!Number.isInteger(id) || id < 1 || id > 0xffff) {
      throw new XsiteError('PIPELINE_BAD_MANAGER', `manager id ${id} outside 1..65535`, { id, name });
    }
    if (this.ids.has(id) || this.names.has(name)) {
      throw new XsiteError('PIPELINE_BAD_MANAGER', `manager ${name} (${id}) already registered`, { id, name });
    }
    const info = Object.freeze({ id, name });
    this.ids.set(id, info);
    this.names.set(name, info);
    return info;
  }

  /** The manager with this id, or undefined. */
  byId(id: number): ManagerInfo | undefined {
    return this.ids.get(id);
  }

  /** The id of the manager `name`; throws PIPELINE_BAD_MANAGER when unknown. */
  idOf(name: string): number {
    const m = this.names.get(name);
    if (m === undefined) throw new XsiteError('PIPELINE_BAD_MANAGER', `unknown manager ${name}`, { name });
    return m.id;
  }

  /** The manager owning `cookie`, or undefined (foreign flow). */
  ownerOf(cookie: bigint): ManagerInfo | undefined {
    return this.ids.get(cookieManager(cookie));
  }

  /** Every registered manager, by id. */
  all(): ManagerInfo[] {
    return [...this.ids.values()].sort((a, b) => a.id - b.id);
  }
}

/** The managers of the local controller. */
export const XSITE_MANAGERS: ManagerRegistry = new ManagerRegistry([
  { id: 0x0001, name: 'classify' },
  { id: 0x0002, name: 'arp' },
  { id: 0x0003, name: 'l2' },
  { id: 0x0004, name: 'l3' },
  { id: 0x0005, name: 'cross-site' },
  { id: 0x0006, name: 'gateway-nat' },
  { id: 0x0007, name: 'egress' },
  { id: 0x0008, name: 'migration' },
  { id: 0x00f0, name: 'static' },
]);
