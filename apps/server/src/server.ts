import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Keyplane } from '@keyplane/core';
import { openEmbeddedStore } from '@keyplane/store';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { log } from './log.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** The root key generated on a fresh store; null when configured or generated earlier. */
  readonly generatedRootKey: string | null;
  close(): Promise<void>;
}

/** Opens the store, sets up the root credential and listens. */
export async function startServer(config: Config): Promise<RunningServer> {
  const store = await openEmbeddedStore({ dataDir: config.dataDir });
  const keyplane = new Keyplane(store);
  const { generatedSecret } = await keyplane.initializeRoot(config.rootKey);
  const app = createApp({
    keyplane,
    onUnexpectedError: (error, c) =>
      log('error', 'unexpected error', {
        requestId: c.var.requestId,
        method: c.req.method,
        path: c.req.path,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listening = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(listening));
    listening.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    generatedRootKey: generatedSecret,
    close: async () => {
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      await store.close();
    },
  };
}
