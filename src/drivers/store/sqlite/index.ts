export { SqliteStore, type SqliteStoreOptions } from './sqlite-store';
export { MIGRATIONS, SCHEMA_VERSION } from './schema';
