/** What the routes work on: the central controller's parts and the token table. */
import type { Directory, JobQueue, NatAllocator } from '../central';
import type { Store } from '../ports/store';
import type { Principal } from './auth';

/** Shared by every route module. */
export interface ApiContext {
  store: Store;
  directory: Directory;
  allocator: NatAllocator;
  jobs: JobQueue;
  tokens: ReadonlyMap<string, Principal>;
}
