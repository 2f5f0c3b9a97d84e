export * from './client.js';
export { aerospike, diga, discue, kadosei } from './dialects.js';
