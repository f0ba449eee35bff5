/** Small intent fixtures shared by the store and central tests. */
import type { Store } from '../../../src/ports/store';

/** Two DCs, a host and a gateway in each (gateway ports `lo..hi`), tenant t1 with VN v1 (id 1), two VMs. */
export async function seedTwoDcs(store: Store, range: [number, number] = [1000, 1999], dc2Ips = ['198.51.100.2']): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.putDatacenter({ name: 'dc1', subnet: '10.1.0.0/16', virtualisation: 'mac' });
    await tx.putDatacenter({ name: 'dc2', subnet: '10.2.0.0/16', virtualisation: 'vlan', gatewayIp: '192.168.1.254' });
    await tx.putHost({ name: 'h1', dc: 'dc1', switch: 'h1-vs', address: '10.1.0.11', mac: '02:00:00:00:01:11' });
    await tx.putHost({ name: 'h2', dc: 'dc2', switch: 'h2-vs', address: '10.2.0.11', mac: '02:00:00:00:02:11' });
    await tx.putGateway({ name: 'g1', dc: 'dc1', switch: 'g1-sw', publicIps: ['198.51.100.1'], portRange: range, mac: '02:00:00:00:01:01' });
    await tx.putGateway({ name: 'g2', dc: 'dc2', switch: 'g2-sw', publicIps: dc2Ips, portRange: range, mac: '02:00:00:00:02:01' });
    await tx.putTenant({ name: 't1' });
    await tx.putVn({ tenant: 't1', name: 'v1', id: 1, subnet: '192.168.1.0/24' });
    await tx.putVm({ name: 'a', tenant: 't1', vn: 'v1', ip: '192.168.1.1', mac: '02:00:00:00:00:0a', host: 'h1', memoryMB: 1024 });
    await tx.putVm({ name: 'b', tenant: 't1', vn: 'v1', ip: '192.168.1.2', mac: '02:00:00:00:00:0b', host: 'h2', memoryMB: 512, vlan: 7 });
  });
}

/** Every row the store holds that the NAT allocator and flows touch, for before/after comparisons. */
export async function natSnapshot(store: Store): Promise<unknown> {
  const pools = await store.listNatPools();
  const free: Record<string, unknown> = {};
  for (const p of pools) free[p.key] = await store.listFreeRanges(p.key);
  return { tuples: await store.listNatTuples(), pools, free, flows: await store.listFlows() };
}
