import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';

/**
 * How many new connections the kernel holds until they are accepted. Node's default (511)
 * overflows under a burst of new connections to a busy process; the kernel caps this at
 * `net.core.somaxconn`.
 */
const LISTEN_BACKLOG = 4_096;

/**
 * How long an idle connection is kept for the client's next request. Longer than the idle timeout
 * of the proxies and load balancers usually in front (60 s is common): the side that closes an
 * idle connection must be the client, or a request it sends as the server closes is reset.
 */
const KEEP_ALIVE_MS = 65_000;

type Fetch = Parameters<typeof createAdaptorServer>[0]['fetch'];

/** Serves `fetch` over HTTP on `port` (0: any free one) of `host` (all addresses when absent). */
export function listen(fetch: Fetch, port: number, host?: string): Promise<Server> {
  // Made with no options of node:http2 or node:https: an HTTP/1.1 server.
  const server = createAdaptorServer({ fetch }) as Server;
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // Headers of a request on a kept connection get their own time, after the wait for it.
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, ...(host ? { host } : {}), backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
