export * from './client.js';
export { aerospike, type DialectName, dialects, diga, discue, kadosei, keyplane } from './dialects.js';
