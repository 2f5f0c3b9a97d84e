import { randomBytes } from 'node:crypto';
import { loadOpenApiDocument } from '@keyplane/contract';
import type { KeyplaneStore } from '@keyplane/core';
import { ContractValidator, openTestStore } from '@keyplane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Composition, composeKeyplane } from '../src/compose.js';
import { ConfigError, readConfig } from '../src/config.js';
import { SERVED_DIALECTS } from '../src/dialects.js';
import type { ListLimitSettings } from '../src/http/list-limits.js';
import { ListLimits } from '../src/http/list-limits.js';
import { Metrics } from '../src/metrics.js';

/** keyplane as the server composes it, on `store`, with production's settings but the list limits given. */
async function composed(store: KeyplaneStore, rootKey: string, listLimits?: ListLimitSettings): Promise<Composition> {
  const defaults = readConfig({});
  const config = { ...defaults, rootKey, listLimits: listLimits ?? defaults.listLimits };
  return composeKeyplane({ store, config, rateLimits: config.rateLimits, metrics: new Metrics() });
}

const json = (token: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });

describe('turns at listing, per organization', () => {
  it('lets a few lists in at once, queues the next in order, and refuses beyond the queue', async () => {
    const limits = new ListLimits({ inFlight: 1, queued: 2 });
    const first = await limits.take('acme');
    const started: string[] = [];
    const second = limits.take('acme')?.then((release) => started.push('second') && release);
    const third = limits.take('acme')?.then((release) => started.push('third') && release);
    expect(limits.take('acme')).toBeNull();
    expect(await limits.take('globex')).toBeTypeOf('function');
    first?.();
    const secondRelease = await second;
    expect(started).toEqual(['second']);
    (secondRelease as () => void)();
    ((await third) as () => void)();
    expect(started).toEqual(['second', 'third']);
  });

  it('forgets an organization once it lists no more, and drops a request whose client has gone', async () => {
    const limits = new ListLimits({ inFlight: 1, queued: 1 });
    const release = await limits.take('acme');
    const gone = new AbortController();
    const waiting = limits.take('acme', gone.signal);
    gone.abort();
    expect(await waiting).toBeNull();
    // The place it left is free again.
    const next = limits.take('acme');
    expect(next).not.toBeNull();
    release?.();
    ((await next) as () => void)();
    await new Promise((resolve) => setImmediate(resolve));
    expect(limits.busyOrganizations).toBe(0);
  });

  it('never queues a request whose client had gone before it asked', async () => {
    const limits = new ListLimits({ inFlight: 1, queued: 1 });
    const release = await limits.take('acme');
    const gone = new AbortController();
    gone.abort();
    expect(await limits.take('acme', gone.signal)).toBeNull();
    // It took no place in the queue.
    const next = limits.take('acme');
    expect(next).not.toBeNull();
    release?.();
    ((await next) as () => void)();
  });

  it('is taken by every operation of the contract that lists, and by no other', () => {
    const paths = loadOpenApiDocument().paths as Record<string, Record<string, { operationId: string }>>;
    for (const { operations } of Object.values(SERVED_DIALECTS)) {
      for (const { route, options } of operations) {
        const { operationId } = paths[route.path]?.[route.method] ?? { operationId: '' };
        // `discueListApiKeys`, `keyplaneListAuditEvents`; diga's FastAPI-made `list_api_keys_v1_api_key__get`.
        const lists = /^(?:[a-z]*List|list_)/.test(operationId);
        expect(options.lists ?? false, operationId).toBe(lists);
      }
    }
  });
});

/**
 * A store whose lists of one organization wait until the test lets them go: a list request
 * can be held open as long as the test needs, without timing.
 */
function holdingLists(store: KeyplaneStore) {
  let held: string | undefined;
  let release: () => void = () => {};
  let reached: () => void = () => {};
  let gate = Promise.resolve();
  let arrived = Promise.resolve();
  const listKeys = store.listKeys.bind(store);
  store.listKeys = async (organizationId, query) => {
    if (organizationId === held) {
      reached();
      await gate;
    }
    return listKeys(organizationId, query);
  };
  return {
    hold(organizationId: string) {
      held = organizationId;
      gate = new Promise((resolve) => {
        release = resolve;
      });
      arrived = new Promise((resolve) => {
        reached = resolve;
      });
    },
    /** Resolves once a held list has reached the store. */
    arrived: () => arrived,
    letGo() {
      held = undefined;
      release();
    },
  };
}

describe('one organization listing beside another', () => {
  const validator = new ContractValidator();
  let store: KeyplaneStore;
  let composition: Composition;
  let app: Composition['app'];
  let lists: ReturnType<typeof holdingLists>;
  const rootKey = `root-${randomBytes(24).toString('base64url')}`;
  const tenants: { id: string; adminKey: string; applicationId: string }[] = [];

  beforeAll(async () => {
    store = await openTestStore('embedded');
    lists = holdingLists(store);
    composition = await composed(store, rootKey, { inFlight: 1, queued: 1 });
    app = composition.app;
    for (const name of ['noisy', 'quiet']) {
      const response = await app.request('/v1/organizations', {
        method: 'POST',
        headers: json(rootKey),
        body: JSON.stringify({ name }),
      });
      const created = (await response.json()) as {
        id: string;
        defaultApplicationId: string;
        adminKey: { key: string };
      };
      tenants.push({ id: created.id, adminKey: created.adminKey.key, applicationId: created.defaultApplicationId });
    }
  });
  afterAll(async () => {
    await composition.close();
    await store.close();
  });

  it('queues its second list and refuses its third, while the other is answered', async () => {
    const [noisy, quiet] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    lists.hold(noisy.id);
    const listOf = async (tenant: typeof noisy, path = '/v1/api_keys') =>
      app.request(path, { headers: json(tenant.adminKey) });
    const first = listOf(noisy);
    await lists.arrived();
    let secondAnswered = false;
    const second = listOf(noisy, `/api/v1/applications/${noisy.applicationId}/api-keys`).then((response) => {
      secondAnswered = true;
      return response;
    });

    // The queue of one is full: each dialect refuses the third its own way, saying when to come back.
    const refusals: [string, unknown][] = [
      ['/v1/api_keys', { title: 'Too Many Requests', status: 429 }],
      ['/v1/api_key/', { status: 'error', error_code: 'TOO_MANY_REQUESTS', message: expect.any(String) }],
      ['/api-keys', expect.objectContaining({ code: 'too_many_requests' })],
      ['/api/v1/applications', expect.objectContaining({ error: 'Too Many Requests', code: 429 })],
      ['/v1/audit-events', expect.objectContaining({ status: 429, title: 'Too Many Requests' })],
    ];
    for (const [path, body] of refusals) {
      const refused = await listOf(noisy, path);
      expect(refused.status, path).toBe(429);
      expect(refused.headers.get('retry-after'), path).toBe('1');
      const text = await refused.text();
      expect(
        validator.problems({ method: 'GET', path, status: 429, headers: refused.headers, body: text }),
        path,
      ).toEqual([]);
      expect(JSON.parse(text), path).toEqual(body);
    }

    // Meanwhile the other organization lists, and the noisy one still verifies and reads.
    expect((await listOf(quiet)).status).toBe(200);
    expect((await listOf(quiet, '/v1/audit-events')).status).toBe(200);
    const verified = await app.request('/v1/keys/verify', {
      method: 'POST',
      headers: json(noisy.adminKey),
      body: JSON.stringify({ key: quiet.adminKey }),
    });
    expect(verified.status).toBe(200);
    expect(secondAnswered).toBe(false);

    lists.letGo();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect((await listOf(noisy)).status).toBe(200);
  });
});

describe("discue's whole list, read and written a slice at a time", () => {
  let store: KeyplaneStore;
  let composition: Composition;
  let app: Composition['app'];
  const rootKey = `root-${randomBytes(24).toString('base64url')}`;

  beforeAll(async () => {
    store = await openTestStore('embedded');
    composition = await composed(store, rootKey);
    app = composition.app;
    // More keys than one slice holds, so that the list is made of several.
    for (let created = 0; created < 520; created += 1) {
      const response = await app.request('/v1/api_keys', {
        method: 'POST',
        headers: json(rootKey),
        body: JSON.stringify({ name: `key ${created}` }),
      });
      expect(response.ok).toBe(true);
    }
  });
  afterAll(async () => {
    await composition.close();
    await store.close();
  });

  it('holds every key, in the order of the pages, written as JSON.stringify writes it, pretty or not', async () => {
    const paged = (await (await app.request('/v1/api_keys?limit=1000', { headers: json(rootKey) })).json()) as {
      api_keys: { id: string }[];
    };
    expect(paged.api_keys).toHaveLength(520);
    for (const pretty of [false, true]) {
      const response = await app.request(`/v1/api_keys${pretty ? '?pretty=true' : ''}`, { headers: json(rootKey) });
      const text = await response.text();
      const whole = { api_keys: paged.api_keys, _links: { self: { href: '/v1/api_keys' } } };
      expect(text).toBe(pretty ? `${JSON.stringify(whole, null, 2)}\n` : JSON.stringify(whole));
    }
  });
});

describe('a burst of lists from one organization, with the default settings', () => {
  it('answers 1,000 concurrent lists, each in its turn, and refuses none', async () => {
    const store = await openTestStore('embedded');
    const rootKey = `root-${randomBytes(24).toString('base64url')}`;
    const { app, close } = await composed(store, rootKey);
    try {
      const statuses = await Promise.all(
        Array.from({ length: 1_000 }, async () => {
          const response = await app.request('/v1/api_keys', { headers: json(rootKey) });
          await response.arrayBuffer();
          return response.status;
        }),
      );
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
    } finally {
      await close();
      await store.close();
    }
  });
});

describe('the list settings', () => {
  it('default to one list at a time per organization and a queue of 1,000', () => {
    expect(readConfig({}).listLimits).toEqual({ inFlight: 1, queued: 1_000 });
  });

  it.each([
    ['KEYPLANE_LISTS_IN_FLIGHT_PER_ORGANIZATION', '0'],
    ['KEYPLANE_LISTS_IN_FLIGHT_PER_ORGANIZATION', 'two'],
    ['KEYPLANE_LISTS_QUEUED_PER_ORGANIZATION', '-1'],
    ['KEYPLANE_LISTS_QUEUED_PER_ORGANIZATION', '1.5'],
  ])('refuse %s=%s, naming the variable', (name, value) => {
    expect(() => readConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readConfig({ [name]: value })).toThrow(new RegExp(`${name}: `));
  });

  it('take a queue of none: every list beyond the ones answered is refused', () => {
    expect(readConfig({ KEYPLANE_LISTS_QUEUED_PER_ORGANIZATION: '0' }).listLimits.queued).toBe(0);
  });
});
