/** The emulated network's wiring: the Endpoint contract, links and their presets, virtual-time driving. */
export type { Endpoint, Transmitter } from './endpoint';
export * from './link';
export * from './wan';
export * from './settle';
