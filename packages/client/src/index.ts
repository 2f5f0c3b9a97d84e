export type { DialectName } from '@keyplane/contract';
export * from './client.js';
export { aerospike, dialects, diga, discue, kadosei, keyplane } from './dialects.js';
