import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyplaneStore } from '@keyplane/core';
import { openEmbeddedStore, openPostgresStore } from '@keyplane/store';
import { Redis } from 'ioredis';
import { type Composition, composeKeyplane } from './compose.js';
import type { Config } from './config.js';
import { listen } from './http/listen.js';
import { log, requestLogger } from './log.js';
import { Metrics, type PoolUse } from './metrics.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** The port serving `/metrics` alone, when `KEYPLANE_METRICS_PORT` is set. */
  readonly metricsPort: number | undefined;
  /** The root key generated on a fresh store; null when configured or generated earlier. */
  readonly generatedRootKey: string | null;
  close(graceMs?: number): Promise<void>;
}

/** The PostgreSQL server when one is configured, else the embedded store; migrated either way. */
export function openConfiguredStore(config: Config, metrics?: Metrics): Promise<KeyplaneStore> {
  return config.database
    ? openPostgresStore({
        connectionString: config.database.url,
        poolSize: config.database.poolSize,
        keyCache: { leaseMs: config.database.cacheLeaseMs },
        onCacheError: (error) =>
          log(
            'warn',
            'the key cache stopped hearing of changes; keys are read from the database until it listens again',
            {
              error: String(error),
            },
          ),
        ...(metrics
          ? {
              onPool: (use: () => PoolUse) => metrics.samplePoolWith(use),
              cacheHooks: {
                ...metrics.keyCacheHooks,
                onFanOut: (seconds: number) => metrics.invalidationFanOut.observe(seconds),
              },
            }
          : {}),
      })
    : openEmbeddedStore({
        ...(metrics ? { cacheHooks: metrics.keyCacheHooks } : {}),
        dataDir: config.dataDir,
        onFolderTightened: (dataDir, paths) =>
          log('warn', 'the data folder was open to other users and has been made private (0700, files 0600)', {
            dataDir,
            tightened: paths.length,
          }),
      });
}

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/** A Redis connection for shared rate limits; fails at once when Redis cannot be reached. */
async function connectRedis(url: string): Promise<Redis> {
  // Commands fail at once while the connection is down rather than queue: the limits are then
  // counted by this instance alone until Redis answers again (see SharedCounters).
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    const target = new URL(url);
    throw new RedisUnavailableError(`cannot use Redis at ${target.hostname}:${target.port || 6379}: ${String(error)}`);
  }
}

/** Opens the store, sets up the root credential and listens. */
export async function startServer(config: Config): Promise<RunningServer> {
  const metrics = new Metrics();
  metrics.collectProcessMetrics();
  const store = await openConfiguredStore(config, metrics);
  let redis: Redis | undefined;
  let composed: Composition;
  let draining = false;
  try {
    redis = config.rateLimits.redisUrl ? await connectRedis(config.rateLimits.redisUrl) : undefined;
    const shared = redis;
    composed = await composeKeyplane({
      store,
      config,
      metrics,
      rateLimits: {
        ...config.rateLimits,
        ...(shared ? { redis: shared } : {}),
        onSharingChange: (isShared, error) =>
          isShared
            ? log('info', 'Redis answers again: the limits are shared by every instance')
            : log('warn', 'Redis is slow or unreachable: this instance counts the limits alone until it answers', {
                error: error instanceof Error ? error.message : String(error),
              }),
      },
      app: {
        isDraining: () => draining,
        // The schema was migrated to this version before the server listened; an instance whose
        // migration failed never listens. Without Redis the instance still serves, counting the
        // limits alone: it is degraded, not unready.
        readinessChecks: {
          migrations: async () => 'ok',
          ...(shared ? { redis: async () => ((await composed.rateLimits.checkSharing()) ? 'ok' : 'degraded') } : {}),
        },
        onRequest: (entry) => requestLogger.info(entry, 'request'),
        onUnexpectedError: (error, c) =>
          log('error', 'unexpected error', {
            requestId: c.get('requestId'),
            ...c.get('trace'),
            method: c.req.method,
            route: c.req.routePath,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      },
    });
  } catch (error) {
    await store.close();
    redis?.disconnect();
    throw error;
  }
  const { app, rateLimits } = composed;
  if (redis) metrics.sampleSharingWith(() => rateLimits.shared);

  const server = await listen(app.fetch, config.port, config.host);
  const { port } = server.address() as AddressInfo;
  const metricsServer = config.metricsPort === undefined ? undefined : await serveMetrics(metrics, config);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    metricsPort: metricsServer ? (metricsServer.address() as AddressInfo).port : undefined,
    generatedRootKey: composed.generatedRootKey,
    /**
     * Stops taking connections, lets the requests in flight finish (closing connections
     * as they fall idle, and all of them after `graceMs`), then closes the store.
     */
    close: async (graceMs = 10_000) => {
      draining = true;
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
      try {
        await closed;
      } finally {
        clearInterval(idle);
        clearTimeout(deadline);
        await composed.close();
        await store.close();
        await redis?.quit().catch(() => redis.disconnect());
      }
    },
  };
}

/** `KEYPLANE_METRICS_PORT`: a listener of its own answering `GET /metrics`, and 404 to anything else. */
function serveMetrics(metrics: Metrics, config: Config): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
      () => response.writeHead(500, { 'Content-Type': 'text/plain' }).end('Internal Server Error\n'),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: config.metricsPort, ...(config.host ? { host: config.host } : {}) }, () => resolve(server));
  });
}
