export * from './intent';
export * from './flow';
export * from './job';
