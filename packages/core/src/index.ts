export * from './cursors.js';
export * from './key-format.js';
export * from './keyplane.js';
export * from './model.js';
export * from './permissions.js';
export type * from './ports.js';
export * from './result.js';
export * from './tokens.js';
