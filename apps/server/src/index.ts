export { type AppOptions, createApp } from './app.js';
export type { AppEnv } from './http/env.js';
