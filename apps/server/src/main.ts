import { StoreUnavailableError } from '@keyplane/store';
import { ConfigError, readConfig } from './config.js';
import { helpText } from './configuration-docs.js';
import { flushLogs, log, setLogLevel } from './log.js';
import { RedisUnavailableError, type RunningServer, startServer } from './server.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(helpText());
  process.exit(0);
}

// Signal handlers come first: a signal that arrived before them would kill the process
// outright, without the drain.
let server: RunningServer | undefined;
let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log('info', 'shutting down', { signal });
  const exit = (code: number) => flushLogs().then(() => process.exit(code));
  if (!server) {
    void exit(0);
    return;
  }
  server.close().then(
    () => {
      log('info', 'stopped', { signal });
      return exit(0);
    },
    (error: unknown) => {
      log('error', 'shutdown failed', { error: String(error) });
      return exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

try {
  const config = readConfig();
  setLogLevel(config.logLevel);
  server = await startServer(config);
  if (server.generatedRootKey) {
    // On stderr, for the operator, apart from the JSON log lines that collectors keep.
    process.stderr.write(
      [
        '',
        'A root key was generated for the default organization. It is shown only this once:',
        '',
        `    ${server.generatedRootKey}`,
        '',
        'Send it as `X-API-KEY` or `Authorization: Bearer`. Set KEYPLANE_ROOT_KEY to choose your own.',
        '',
        '',
      ].join('\n'),
    );
  }
  log('info', 'keyplane is listening', {
    port: server.port,
    ...(server.metricsPort === undefined ? {} : { metricsPort: server.metricsPort }),
    store: config.database ? 'postgres' : 'embedded',
    ...(config.database ? {} : { dataDir: config.dataDir }),
  });
} catch (error) {
  const expected =
    error instanceof ConfigError || error instanceof StoreUnavailableError || error instanceof RedisUnavailableError;
  const message = expected ? (error as Error).message : error instanceof Error ? error.stack : String(error);
  log('error', 'keyplane could not start', { error: message });
  await flushLogs();
  process.exit(1);
}
