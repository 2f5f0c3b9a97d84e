import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

const HTTP = { transport: 'http', store: 'embedded', name: 'http, embedded store' } as const;

/** A client of its own on one connection, sending bytes when the test says and reading every answer. */
async function openConnection(baseUrl: string) {
  const { port } = new URL(baseUrl);
  const socket: Socket = connect({ port: Number(port), host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  let ended: string | undefined;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    ended = error.code ?? error.message;
  });
  socket.on('close', () => {
    ended ??= 'closed';
  });
  /** The status lines of the answers whole so far. */
  const answers = () =>
    [...received.matchAll(/HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/g)]
      .filter((match) => {
        const length = /content-length: *(\d+)/i.exec(match[2] ?? '');
        const start = (match.index ?? 0) + match[0].length;
        return received.length >= start + Number(length?.[1] ?? 0);
      })
      .map((match) => Number(match[1]));
  return {
    write: (text: string) =>
      new Promise<void>((resolve, reject) => socket.write(text, (error) => (error ? reject(error) : resolve()))),
    /** Waits until `count` answers are whole, or the connection ends; returns the statuses, and how it ended. */
    async read(count: number) {
      while (answers().length < count && ended === undefined) await sleep(10);
      return { statuses: answers(), ended };
    },
    close: () => socket.destroy(),
  };
}

describe('connections kept alive', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(HTTP);
  });
  afterAll(() => harness.close());

  const request = (path: string, headers: Record<string, string>, body: string) =>
    [
      `POST ${path} HTTP/1.1`,
      'Host: keyplane.test',
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n');
  const health = 'GET /healthz HTTP/1.1\r\nHost: keyplane.test\r\n\r\n';

  // An answer that needs no body (a wrong key, no such route) must not cost the client its
  // connection when the body is still on its way: the body is read, and the connection serves on.
  it.each([
    ['a wrong key', '/v1/keys/verify', { Authorization: 'Bearer kp_wrong-key' }, 401],
    ['no credential', '/v1/keys', {}, 401],
    ['a route that does not exist', '/v1/no-such-thing', {}, 404],
  ] as const)(
    'answers %s whose body arrives late, and serves the next request on that connection',
    async (_, path, headers, status) => {
      const connection = await openConnection(harness.baseUrl);
      try {
        const body = JSON.stringify({ key: 'kp_whatever', name: 'late' });
        await connection.write(request(path, headers, body));
        // Longer than any grace a server might give a body it did not wait for.
        await sleep(1_500);
        await connection.write(body);
        await connection.write(health);
        expect(await connection.read(2)).toEqual({ statuses: [status, 200], ended: undefined });
      } finally {
        connection.close();
      }
    },
  );

  it('answers a body sent in pieces, and serves the next request on that connection', async () => {
    const connection = await openConnection(harness.baseUrl);
    try {
      const body = JSON.stringify({ key: 'kp_whatever' });
      await connection.write(request('/v1/keys/verify', { Authorization: 'Bearer kp_wrong-key' }, body));
      for (const piece of [body.slice(0, 5), body.slice(5, 10), body.slice(10)]) {
        await sleep(600);
        await connection.write(piece);
      }
      await connection.write(health);
      expect(await connection.read(2)).toEqual({ statuses: [401, 200], ended: undefined });
    } finally {
      connection.close();
    }
  });

  it('answers a body over the limit at once, without waiting for it', async () => {
    const connection = await openConnection(harness.baseUrl);
    try {
      await connection.write(request('/v1/keys', { Authorization: `Bearer ${harness.rootKey}` }, 'x'.repeat(100_000)));
      expect((await connection.read(1)).statuses).toEqual([413]);
    } finally {
      connection.close();
    }
  });

  it('lets a client go that leaves in the middle of its body, and serves on', async () => {
    const connection = await openConnection(harness.baseUrl);
    const body = JSON.stringify({ key: 'kp_whatever' });
    await connection.write(request('/v1/keys/verify', { Authorization: 'Bearer kp_wrong-key' }, body));
    await connection.write(body.slice(0, 4));
    await sleep(100);
    connection.close();
    expect((await harness.fetch('/healthz')).status).toBe(200);
    expect(harness.unexpectedErrors).toEqual([]);
  });

  // Node closes a connection idle for 5 s by default; a proxy in front keeps its own for 60 s
  // and sends on it, and a request sent as the server closes would be reset.
  it('keeps an idle connection longer than the proxies in front do theirs', async () => {
    expect(harness.transport).toBe('http');
    const connection = await openConnection(harness.baseUrl);
    try {
      await connection.write(health);
      expect((await connection.read(1)).statuses).toEqual([200]);
      await sleep(6_000);
      await connection.write(health);
      expect(await connection.read(2)).toEqual({ statuses: [200, 200], ended: undefined });
    } finally {
      connection.close();
    }
  });

  it('answers a client that declares a body and never sends it, within seconds', async () => {
    const connection = await openConnection(harness.baseUrl);
    try {
      await connection.write(request('/v1/keys/verify', { Authorization: 'Bearer kp_wrong-key' }, 'x'.repeat(64)));
      const started = Date.now();
      const { statuses } = await connection.read(1);
      expect(statuses).toEqual([401]);
      // Not Node's five minutes for a request: the ten seconds an unneeded body is waited for.
      expect(Date.now() - started).toBeLessThan(120_000);
    } finally {
      connection.close();
    }
  });
});
