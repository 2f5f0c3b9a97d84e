import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyplaneClient, diga, keyplane } from '@keyplane/client';
import { createTestSchema, databaseUrl, STORE_KINDS } from '@keyplane/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startServerProcess } from './support/process.js';
import { until } from './support/wait.js';

const ROOT_KEY = `crash-root-${randomUUID()}`;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The settings of one server's store: an embedded folder, or a schema of its own on PostgreSQL. */
async function storeSettings(kind: 'embedded' | 'postgres'): Promise<Record<string, string>> {
  if (kind === 'embedded') {
    const dataDir = await mkdtemp(join(tmpdir(), 'keyplane-crash-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    return { KEYPLANE_DATA_DIR: dataDir, KEYPLANE_ROOT_KEY: ROOT_KEY };
  }
  const { schema, drop } = await createTestSchema();
  cleanups.push(drop);
  const url = new URL(databaseUrl());
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { DATABASE_URL: url.toString(), KEYPLANE_ROOT_KEY: ROOT_KEY };
}

const rootClient = (url: string) => createKeyplaneClient({ baseUrl: url, credential: { bearer: ROOT_KEY } });

/** Creates keys as fast as `workers` clients can until `stop()`; returns the ids acknowledged. */
function writeLoad(url: string, workers = 8) {
  const acknowledged: string[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    const client = rootClient(url);
    while (running) {
      try {
        const { data, response } = await client.POST('/v1/api_key/', {
          body: { name: 'under load', restricted: false },
        });
        if (response.status === 200 && data) acknowledged.push(data.id);
      } catch {
        // The server went away mid-request: that request was never acknowledged.
      }
    }
  });
  return {
    acknowledged,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function expectAllStored(url: string, ids: readonly string[]) {
  const root = rootClient(url);
  for (const id of ids) {
    expect((await root.GET('/v1/api_key/{id}', { params: { path: { id } } })).response.status, id).toBe(200);
  }
}

describe.each(STORE_KINDS)('crash safety on the %s store', (kind) => {
  it('loses no acknowledged write and leaves no half-made key when killed with SIGKILL', async () => {
    const settings = await storeSettings(kind);
    const first = await startServerProcess(settings);
    const load = writeLoad(first.url);
    await until(() => load.acknowledged.length > 10);
    first.child.kill('SIGKILL');
    await load.stop();
    expect(load.acknowledged.length).toBeGreaterThan(10);

    const second = await startServerProcess(settings);
    cleanups.push(async () => void (await second.stop()));
    const root = rootClient(second.url);
    await expectAllStored(second.url, load.acknowledged);
    // Every stored key came with its audit event, in one transaction: no key is half made.
    const keys = (await diga.listKeys(root, { limit: 1000 })).data.map((key) => key.id);
    const created = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await keyplane.listAuditEvents(root, { limit: 100, ...(cursor ? { cursor } : {}) });
      for (const event of page.data) if (event.action === 'api_key.created') created.add(event.targetId);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(keys.filter((id) => !created.has(id))).toEqual([]);
    expect(keys.length).toBeGreaterThanOrEqual(load.acknowledged.length);
  });

  it('stops cleanly on SIGTERM under load, answering what it accepted and keeping all it acknowledged', async () => {
    const settings = await storeSettings(kind);
    const server = await startServerProcess(settings);
    const load = writeLoad(server.url, 8);
    await until(() => load.acknowledged.length > 10);
    const settled = Promise.allSettled(
      Array.from({ length: 10 }, () =>
        rootClient(server.url).POST('/v1/api_key/', { body: { name: 'in flight', restricted: false } }),
      ),
    );
    expect(await server.stop('SIGTERM')).toBe(0);
    const answers = await settled;
    await load.stop();
    // A request is either answered in full or never taken: no answer is cut off or failed.
    for (const answer of answers) {
      if (answer.status === 'fulfilled') expect(answer.value.response.status).toBe(200);
    }
    expect(load.acknowledged.length).toBeGreaterThan(10);

    const restarted = await startServerProcess(settings);
    cleanups.push(async () => void (await restarted.stop()));
    await expectAllStored(restarted.url, load.acknowledged);
  });
});
