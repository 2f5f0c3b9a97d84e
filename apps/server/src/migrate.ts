/**
 * `pnpm migrate`: brings the configured store's schema up to date and exits. The server
 * does the same at start-up; this is for deployments that migrate before rolling out.
 */
import { StoreUnavailableError } from '@keyplane/store';
import { ConfigError, readConfig } from './config.js';
import { flushLogs, log } from './log.js';
import { openConfiguredStore } from './server.js';

try {
  const config = readConfig();
  const store = await openConfiguredStore(config);
  await store.close();
  log('info', 'the store schema is up to date', { store: config.database ? 'postgres' : 'embedded' });
} catch (error) {
  const expected = error instanceof ConfigError || error instanceof StoreUnavailableError;
  log('error', 'migration failed', { error: expected ? (error as Error).message : String(error) });
  await flushLogs();
  process.exit(1);
}
