/** Public API of the software OpenFlow 1.3 switch. */
export { SoftSwitch, SwitchPort, type SoftSwitchOptions, type TraceCollector, type TracedOutput } from './soft-switch';
export { OfAgent, type OfAgentOptions } from './of-agent';
export { trace, formatTrace, keyFields, type TraceResult, type TraceTableStep, type TraceNoteStep } from './trace';
export { FlowKey, K, KEY_WORDS, extractKey } from './flow-key';
export { compileMatch, CompiledMatch, CATCH_ALL, FIELDS, type FieldDesc, type PrereqState } from './match';
export { FlowEntry, FlowTable, FlowTables, type FlowCriteria } from './flow-table';
export { FlowProgram, compileInstructions, runPipeline, type PipelineHost, type InstructionEnv } from './pipeline';
export { CompiledAction, compileActions, execActions, OP, type ActionEnv, type ActionHost } from './actions';
export { Group, GroupTable, flowHash } from './groups';
export { Meter, MeterTable } from './meters';
export { PacketCtx, ActionSet } from './context';
export { OfpRequestError } from './errors';
