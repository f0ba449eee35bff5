/**
 * The emulator's topology description: the model (`model.ts`), YAML loading with line-accurate validation
 * (`load.ts`, `validate.ts`), the TypeScript builder (`builder.ts`), defaults (`defaults.ts`) and examples.
 */
export * from './model';
export { TOPOLOGY_INVALID, formatIssue, formatPath, type PathSegment, type TopologyIssue, type TopologyRule } from './issues';
export { checkTopology, normalizeDpid, validateTopology, type CheckResult, type ValidateOptions } from './validate';
export { MAC_KIND, resolveTopology } from './defaults';
export { loadTopologyFile, parseTopology, parseTopologySpec } from './load';
export { parseYamlSource, type Locator, type ParsedSource, type SourcePos } from './source';
export { TopologyBuilder } from './builder';
export {
  exampleTopologyPath,
  generateLargeTopology,
  loadExampleTopology,
  threeDcsBuilder,
  tinyBuilder,
  type ExampleTopologyName,
  type LargeTopologyOptions,
} from './examples';
