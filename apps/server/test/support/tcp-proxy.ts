import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a service (Redis), to make it slow or unreachable on demand:
 * `stall` holds every byte sent to it until `pass`, `cut` drops every connection and
 * refuses new ones until `pass`.
 */
export interface TcpProxy {
  readonly port: number;
  stall(): void;
  cut(): void;
  pass(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: 'pass' | 'stall' | 'cut' = 'pass';
  /** Each client's connection to the service. */
  const clients = new Map<Socket, Socket>();
  const upstreams = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    clients.set(client, upstream);
    upstreams.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      clients.delete(client);
      upstreams.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    if (mode === 'pass') client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    port: address.port,
    stall() {
      mode = 'stall';
      // What the clients send waits, unread, until the proxy passes it on again.
      for (const client of clients.keys()) {
        client.unpipe();
        client.pause();
      }
    },
    cut() {
      mode = 'cut';
      for (const socket of [...clients.keys(), ...upstreams]) socket.destroy();
    },
    pass() {
      if (mode === 'stall') for (const [client, upstream] of clients) client.pipe(upstream);
      mode = 'pass';
    },
    async close() {
      for (const socket of [...clients.keys(), ...upstreams]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
