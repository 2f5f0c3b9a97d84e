import { createAdaptorServer, type ServerType } from '@hono/node-server';

/**
 * How many new connections the kernel holds until they are accepted. Node's default (511)
 * overflows under a burst of new connections to a busy process; the kernel caps this at
 * `net.core.somaxconn`.
 */
const LISTEN_BACKLOG = 4_096;

type Fetch = Parameters<typeof createAdaptorServer>[0]['fetch'];

/** Serves `fetch` over HTTP on `port` (0: any free one) of `host` (all addresses when absent). */
export function listen(fetch: Fetch, port: number, host?: string): Promise<ServerType> {
  const server = createAdaptorServer({ fetch });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, ...(host ? { host } : {}), backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
