import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Credential, createKeyplaneClient, type KeyplaneClient, keyplane } from '@keyplane/client';
import { generateSecret, isWellFormedSecret } from '@keyplane/core';
import { contractCheck, createTestSchema, databaseUrl, requireService, STORE_KINDS } from '@keyplane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from './support/process.js';

type Middleware = Parameters<KeyplaneClient['use']>[0];

const FLOOD = 1_000;
/** Requests in flight at once, as that many connections of one client would send them. */
const WIDTH = 50;
/** Failed authentications a client address may make in a minute: the one that reaches it locks the address out. */
const LIMIT = 30;
/**
 * How long the key cache answers a digest that named no key as naming none, without asking the
 * store (`absentForMs` of `packages/store/src/key-cache.ts`, which the server leaves at its default).
 */
const ABSENT_FOR_MS = 5_000;

const REDIS_URL = requireService('REDIS_URL');
/** Where the failed authentications are counted: in the process, and in Redis when the run has one. */
const COUNTERS = [
  { counter: 'in this process', redis: false },
  ...(REDIS_URL ? [{ counter: 'in Redis', redis: true }] : []),
];
const CASES = STORE_KINDS.flatMap((store) => COUNTERS.map((counter) => ({ store, ...counter })));

const tally = (answers: readonly string[]) =>
  answers.reduce<Record<string, number>>((counts, answer) => {
    counts[answer] = (counts[answer] ?? 0) + 1;
    return counts;
  }, {});

/** `total` calls of `send`, at most `width` at once: each one in flight starts the next as it ends. */
async function inParallel<T>(total: number, width: number, send: (index: number) => Promise<T>): Promise<T[]> {
  const answers: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, total) }, async () => {
      while (next < total) {
        const index = next;
        next += 1;
        answers[index] = await send(index);
      }
    }),
  );
  return answers;
}

/** A secret of keyplane's own format: its prefix, `_`, 43 base62 characters and a 6-character checksum. */
const SECRET_SHAPE = /^([a-z0-9_]{1,16})_[0-9A-Za-z]{49}$/;

/**
 * `count` distinct strings that are not keyplane secrets: a real secret with one character changed
 * (its checksum no longer matches), cut short, made longer, in another case, and random text.
 */
function malformedLike(secret: string, count: number): string[] {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const prefix = secret.indexOf('_') + 1;
  const variants = new Set<string>();
  for (let index = 0; variants.size < count; index += 1) {
    const at = prefix + (index % (secret.length - prefix));
    const changed = alphabet[(alphabet.indexOf(secret[at] as string) + 1 + Math.floor(index / 49)) % 62] as string;
    const candidates = [
      `${secret.slice(0, at)}${changed}${secret.slice(at + 1)}`,
      secret.slice(0, at),
      `${secret}${changed}`,
      secret.toUpperCase(),
      `sk_live_${randomUUID()}`,
      randomUUID(),
    ];
    for (const candidate of candidates) if (!isWellFormedSecret(candidate)) variants.add(candidate);
  }
  return [...variants].slice(0, count);
}

describe.each(CASES)('floods of wrong keys on the $store store, failed authentications counted $counter', (setup) => {
  const rootKey = generateSecret();
  let server: ServerProcess;
  let cleanUp: () => Promise<void> = async () => {};

  beforeAll(async () => {
    let storeEnv: Record<string, string>;
    if (setup.store === 'postgres') {
      const { schema, drop } = await createTestSchema();
      cleanUp = drop;
      const url = new URL(databaseUrl());
      url.searchParams.set('options', `-c search_path=${schema}`);
      // The longest lease: however busy the machine, the cache stays trusted, and every look-up is counted.
      storeEnv = { DATABASE_URL: url.toString(), KEYPLANE_CACHE_LEASE_SECONDS: '60' };
    } else {
      const dataDir = await mkdtemp(join(tmpdir(), 'keyplane-floods-'));
      cleanUp = () => rm(dataDir, { recursive: true, force: true });
      storeEnv = { KEYPLANE_DATA_DIR: dataDir };
    }
    server = await startServerProcess({
      ...storeEnv,
      KEYPLANE_ROOT_KEY: rootKey,
      // Each test is a client of its own (`X-Forwarded-For`): counts in Redis outlive a run.
      KEYPLANE_TRUST_PROXY: 'true',
      KEYPLANE_AUTH_FAILURES_PER_MINUTE: String(LIMIT),
      // Longer than the run, so that no client locked out here comes back with a clean slate.
      KEYPLANE_AUTH_LOCKOUT_SECONDS: '3600',
      // The platform's one key verifies every request: its own request rate is not what is measured.
      KEYPLANE_RATE_LIMIT_PER_MINUTE: '0',
      // However slow Redis answers on a busy machine, it counts; the instance never counts alone.
      ...(setup.redis ? { REDIS_URL: REDIS_URL as string, KEYPLANE_REDIS_TIMEOUT_MS: '60000' } : {}),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await cleanUp();
  });

  const contract = contractCheck();
  /**
   * The contract, but for the 503 of a look-up that waited in its client's line longer than the
   * server waits (10 s; only on a very busy machine): the contract does not declare it.
   */
  const contractButGivingUp: Middleware = {
    onResponse: (options) => (options.response.status === 503 ? undefined : contract.onResponse?.(options)),
  };
  const client = (credential: Credential, headers: Record<string, string> = {}) => {
    const created = createKeyplaneClient({ baseUrl: server.url, credential, headers });
    created.use(headers['X-Forwarded-For'] ? contractButGivingUp : contract);
    return created;
  };
  const root = () => client({ bearer: rootKey });

  /**
   * The key cache's look-ups so far, by result (`/metrics`): answered from memory, known absent,
   * answered by the same look-up already asked, or asked of the store.
   */
  async function cacheLookups() {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const count = (result: string) =>
      Number(new RegExp(`^keyplane_key_cache_lookups_total\\{result="${result}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    return { hit: count('hit'), absent: count('absent'), joined: count('joined'), miss: count('miss') };
  }
  /** What the cache did between two readings of it. */
  const since = (before: Awaited<ReturnType<typeof cacheLookups>>, after: typeof before) => ({
    hit: after.hit - before.hit,
    absent: after.absent - before.absent,
    joined: after.joined - before.joined,
    miss: after.miss - before.miss,
  });

  /** A platform's key that may verify keys, and nothing else; used once, so that memory holds it. */
  async function platformKey(): Promise<string> {
    const { key } = await keyplane.createKey(root(), { name: 'the platform', permissions: ['api_keys.verify'] });
    expect(await keyplane.verifyKey(client({ bearer: key }), key)).toMatchObject({ valid: true });
    return key;
  }
  /** A real key's secret, and one of the same format that no key has. */
  async function realAndUnknown(): Promise<{ real: string; unknown: string }> {
    const real = (await keyplane.createKey(root(), { name: 'a customer' })).key;
    const unknown = generateSecret(SECRET_SHAPE.exec(real)?.[1]);
    expect(unknown).toMatch(SECRET_SHAPE);
    expect(unknown).toHaveLength(real.length);
    expect(unknown.slice(0, 3)).toBe(real.slice(0, 3));
    expect(isWellFormedSecret(unknown)).toBe(true);
    expect(unknown).not.toBe(real);
    return { real, unknown };
  }
  const verifying = (platform: string) => {
    const caller = client({ bearer: platform });
    return async (key: string) => JSON.stringify(await keyplane.verifyKey(caller, key));
  };
  const NOT_FOUND = JSON.stringify({ valid: false, code: 'NOT_FOUND' });

  /*
   * The cache remembers a digest that named no key for ABSENT_FOR_MS, from when the store said
   * so, and concurrent look-ups of one digest it does not know yet join the one question asked.
   * So a flood of one unknown secret costs one look-up when it starts, and one more each time the
   * remembered answer runs out: at most once per ABSENT_FOR_MS the flood lasts (never, on a
   * machine that sends the flood within that time).
   */
  const timesForgotten = (started: number) => Math.floor((Date.now() - started) / ABSENT_FOR_MS);

  it(`asks the store once for ${FLOOD} verifications of one unknown secret, the first sent alone`, async () => {
    const verify = verifying(await platformKey());
    const { unknown } = await realAndUnknown();
    const before = await cacheLookups();
    const started = Date.now();
    const first = await verify(unknown);
    const rest = await inParallel(FLOOD - 1, WIDTH, () => verify(unknown));
    const forgotten = timesForgotten(started);
    const spent = since(before, await cacheLookups());

    expect(tally([first, ...rest])).toEqual({ [NOT_FOUND]: FLOOD });
    // The platform's key was proven from memory every time.
    expect(spent.hit).toBe(FLOOD);
    // Every verification looked the secret up once: in memory as known absent, joined to the
    // question already asked, or in the store.
    expect(spent.absent + spent.joined + spent.miss).toBe(FLOOD);
    expect(spent.miss).toBeGreaterThanOrEqual(1);
    expect(spent.miss).toBeLessThanOrEqual(1 + forgotten);
  });

  it(`asks the store once for ${FLOOD} verifications of one unknown secret, ${WIDTH} at once from the start`, async () => {
    const verify = verifying(await platformKey());
    const { unknown } = await realAndUnknown();
    const before = await cacheLookups();
    const started = Date.now();
    const answers = await inParallel(FLOOD, WIDTH, () => verify(unknown));
    const forgotten = timesForgotten(started);
    const spent = since(before, await cacheLookups());

    expect(tally(answers)).toEqual({ [NOT_FOUND]: FLOOD });
    expect(spent.hit).toBe(FLOOD);
    expect(spent.absent + spent.joined + spent.miss).toBe(FLOOD);
    expect(spent.miss).toBeGreaterThanOrEqual(1);
    expect(spent.miss).toBeLessThanOrEqual(1 + forgotten);
  });

  it(`never asks the store for ${FLOOD} distinct verifications of strings that are not keyplane secrets`, async () => {
    const verify = verifying(await platformKey());
    const { real } = await realAndUnknown();
    const malformed = malformedLike(real, FLOOD);
    expect(new Set(malformed).size).toBe(FLOOD);
    const before = await cacheLookups();
    const answers = await inParallel(FLOOD, WIDTH, (index) => verify(malformed[index] as string));
    const spent = since(before, await cacheLookups());

    expect(tally(answers)).toEqual({ [NOT_FOUND]: FLOOD });
    expect(spent.hit).toBe(FLOOD);
    // No key was imported: a string not in keyplane's format can name no key, and is looked up nowhere.
    expect(spent.miss).toBe(0);
    expect(spent.absent).toBe(0);
    expect(spent.joined).toBe(0);
    // The real key is still found: the checksum refused only what it should.
    expect(await verify(real)).toContain('"code":"VALID"');
  });

  it(`refuses ${FLOOD} distinct wrong keys of one client, asking the store at most ${LIMIT} times: once for each judged before its lockout`, async () => {
    const address = `client-${randomUUID()}`;
    const before = await cacheLookups();
    let lockedOut = false;
    const answers = await inParallel(FLOOD, WIDTH, async () => {
      const afterLockout = lockedOut;
      const { response } = await client({ bearer: generateSecret() }, { 'X-Forwarded-For': address }).GET('/v1/keys');
      if (response.status === 429) lockedOut = true;
      return { status: response.status, afterLockout, retryAfter: response.headers.get('Retry-After') };
    });
    const spent = since(before, await cacheLookups());

    const statuses = tally(answers.map(({ status }) => String(status)));
    const judged = statuses['401'] ?? 0;
    // A wrong key is judged (401) while its client has points left, else refused unjudged: locked out
    // (429), or — on a machine so busy that no point came free in the server's wait — 503.
    expect(Object.keys(statuses).filter((status) => !['401', '429', '503'].includes(status))).toEqual([]);
    expect(judged).toBeGreaterThanOrEqual(1);
    expect(judged).toBeLessThanOrEqual(LIMIT);
    expect(statuses['429']).toBeGreaterThan(0);
    // Once the client was told it is locked out, every request it sent after was refused so.
    const sentAfterLockout = answers.filter(({ afterLockout }) => afterLockout);
    expect(sentAfterLockout.length).toBeGreaterThan(0);
    expect(sentAfterLockout.filter(({ status }) => status !== 429)).toEqual([]);
    for (const { status, retryAfter } of answers) if (status === 429) expect(Number(retryAfter)).toBeGreaterThan(0);
    // Each judged key cost one look-up in the store; each refused one none.
    expect(spent.miss).toBe(judged);
    expect(spent.joined).toBe(0);
    expect(spent.absent).toBe(0);
    // The lockout is the client's, not the keys': the platform's own key still works from elsewhere.
    expect(await verifying(await platformKey())(generateSecret())).toBe(NOT_FOUND);
  });
});
