/** The emulated host network stack: NIC, ARP, IPv4, ICMP, UDP (and probes), TCP (and the stream check), the host. */
export * from './nic';
export * from './arp';
export * from './ip';
export * from './icmp';
export * from './udp';
export * from './probe';
export * from './tcp';
export * from './stream';
export * from './host';
