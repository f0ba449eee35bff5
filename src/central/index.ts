export * from './directory';
export * from './jobs';
export * from './nat-allocator';
