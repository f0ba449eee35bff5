/** Every conformance case, generated from the families in this directory. */
import { actionCases } from './actions';
import type { ConformanceCase } from './dsl';
import { matchCases } from './match';
import { pipelineCases } from './pipeline';

export * from './dsl';

/** All cases, in a stable order; names are unique (checked). */
export function allCases(): ConformanceCase[] {
  const cases = [...matchCases(), ...actionCases(), ...pipelineCases()];
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name)) throw new Error(`duplicate conformance case name ${c.name}`);
    seen.add(c.name);
  }
  return cases;
}

/** Number of cases per family. */
export function familyCounts(cases: readonly ConformanceCase[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const c of cases) n.set(c.family, (n.get(c.family) ?? 0) + 1);
  return n;
}
