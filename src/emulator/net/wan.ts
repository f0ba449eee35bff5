/**
 * Link presets: typical data-center and WAN characteristics, and a helper that builds a Link from a preset.
 *
 * WAN queues default to about one bandwidth-delay product (round trip) with a floor, which is how inter-site
 * routers are usually provisioned; a LAN link gets a switch-port-sized buffer.
 */
import { Link, type LinkOptions, type LinkParams } from './link';
import type { Endpoint } from './endpoint';

export type LinkPresetName = 'lan' | 'metro' | 'wan' | 'continental' | 'intercontinental';

/** Named link characteristics (one-way latency, bandwidth). */
export const LINK_PRESETS: Readonly<Record<LinkPresetName, Readonly<Required<LinkParams>>>> = {
  /** Inside a data center: 10 Gbit/s, 5 microseconds, 512 KiB port buffer. */
  lan: { latencyMs: 0.005, bandwidthMbps: 10_000, lossRate: 0, queueBytes: 512 * 1024 },
  /** Two sites in one metro area: 2 ms, 10 Gbit/s. */
  metro: { latencyMs: 2, bandwidthMbps: 10_000, lossRate: 0, queueBytes: bdpQueue(2, 10_000) },
  /** The default inter-site WAN: 20 ms, 1 Gbit/s. */
  wan: { latencyMs: 20, bandwidthMbps: 1_000, lossRate: 0, queueBytes: bdpQueue(20, 1_000) },
  /** Across a continent: 40 ms, 1 Gbit/s. */
  continental: { latencyMs: 40, bandwidthMbps: 1_000, lossRate: 0, queueBytes: bdpQueue(40, 1_000) },
  /** Between continents: 80 ms, 1 Gbit/s, 0.01 % loss. */
  intercontinental: { latencyMs: 80, bandwidthMbps: 1_000, lossRate: 0.0001, queueBytes: bdpQueue(80, 1_000) },
};

/** Bytes of one round-trip bandwidth-delay product for a one-way `latencyMs`, at least 256 KiB. */
export function bdpQueue(latencyMs: number, bandwidthMbps: number): number {
  const bdp = Math.ceil((2 * latencyMs * bandwidthMbps * 1000) / 8);
  return Math.max(256 * 1024, bdp);
}

/** Parameters of preset `name` (default 'wan') with `overrides` applied. */
export function linkPreset(name: LinkPresetName = 'wan', overrides?: LinkParams): Required<LinkParams> {
  const p = { ...LINK_PRESETS[name] };
  if (overrides?.latencyMs !== undefined) p.latencyMs = overrides.latencyMs;
  if (overrides?.bandwidthMbps !== undefined) p.bandwidthMbps = overrides.bandwidthMbps;
  if (overrides?.lossRate !== undefined) p.lossRate = overrides.lossRate;
  if (overrides?.queueBytes !== undefined) p.queueBytes = overrides.queueBytes;
  else if (overrides?.latencyMs !== undefined || overrides?.bandwidthMbps !== undefined) {
    p.queueBytes = name === 'lan' ? p.queueBytes : bdpQueue(p.latencyMs, p.bandwidthMbps);
  }
  return p;
}

/** A WAN link between sites: preset 'wan' (20 ms, 1 Gbit/s) unless another preset or parameters are given. */
export function wanLink(
  a: Endpoint,
  b: Endpoint,
  options: Omit<LinkOptions, keyof LinkParams> & LinkParams & { preset?: LinkPresetName },
): Link {
  const { preset, latencyMs, bandwidthMbps, lossRate, queueBytes, ...rest } = options;
  return new Link(a, b, { ...rest, ...linkPreset(preset ?? 'wan', { latencyMs, bandwidthMbps, lossRate, queueBytes }) });
}

/** Round-trip time in ms of an empty path of one-way latencies (no serialisation). */
export function pathRttMs(...latenciesMs: number[]): number {
  return 2 * latenciesMs.reduce((s, x) => s + x, 0);
}
