export * from './client.js';
export { aerospike, diga, discue, kadosei, keyplane } from './dialects.js';
