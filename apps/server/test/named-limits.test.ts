import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rootCalls } from './support/calls.js';
import { type Harness, SETUPS, startHarness } from './support/harness.js';

describe.each(SETUPS)('named rate limits of keyplane keys over $name', (setup) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(setup);
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  const call = rootCalls(() => harness);
  const createKey = async (fields: Record<string, unknown>) => {
    const created = await call('POST', '/v1/keys', '/v1/keys', { name: 'limited', ...fields });
    expect(created.status).toBe(201);
    return created.body as { keyId: string; key: string; ratelimits: unknown };
  };
  const verify = async (key: string, extra: Record<string, unknown> = {}) =>
    (await call('POST', '/v1/keys/verify', '/v1/keys/verify', { key, ...extra })).body as {
      valid: boolean;
      code: string;
      ratelimits?: { name: string; limit: number; remaining: number; reset: number; exceeded: boolean }[];
      credits?: { remaining: number };
    };
  /**
   * Moves the clock to just after a minute begins, so that a test's counts all fall in one window
   * however long a busy machine takes over them.
   */
  const atWindowStart = () => harness.advanceClock(60_000 - (harness.now().getTime() % 60_000) + 1);
  const perMinute = (name: string, limit: number, autoApply?: boolean) => ({
    name,
    limit,
    durationMs: 60_000,
    ...(autoApply === undefined ? {} : { autoApply }),
  });

  it('counts a limit the verification names, and refuses past it until the window ends', async () => {
    atWindowStart();
    const { key, ratelimits } = await createKey({ ratelimits: [perMinute('requests', 3)] });
    expect(ratelimits).toEqual([{ name: 'requests', limit: 3, durationMs: 60_000, autoApply: false }]);
    // Not named, not applied to every verification: not counted.
    expect((await verify(key)).ratelimits).toBeUndefined();
    const asked = { ratelimits: [{ name: 'requests' }] };
    const first = await verify(key, asked);
    expect(first).toMatchObject({ valid: true, code: 'VALID' });
    expect(first.ratelimits).toEqual([
      { name: 'requests', limit: 3, remaining: 2, reset: expect.any(Number), exceeded: false },
    ]);
    const reset = first.ratelimits?.[0]?.reset as number;
    expect(reset % 60_000).toBe(0);
    expect(await verify(key, { ratelimits: [{ name: 'requests', cost: 2 }] })).toMatchObject({
      code: 'VALID',
      ratelimits: [{ remaining: 0 }],
    });
    expect(await verify(key, asked)).toMatchObject({
      valid: false,
      code: 'RATE_LIMITED',
      ratelimits: [{ name: 'requests', remaining: 0, reset, exceeded: true }],
    });
    harness.advanceClock(60_000);
    expect(await verify(key, asked)).toMatchObject({ code: 'VALID', ratelimits: [{ remaining: 2 }] });
  });

  it('applies a limit marked so to every verification, and ignores names the key lacks', async () => {
    atWindowStart();
    const { key } = await createKey({ ratelimits: [perMinute('all', 2, true)] });
    expect(await verify(key, { ratelimits: [{ name: 'unknown' }] })).toMatchObject({
      code: 'VALID',
      ratelimits: [{ name: 'all', remaining: 1 }],
    });
    expect(await verify(key)).toMatchObject({ code: 'VALID', ratelimits: [{ name: 'all', remaining: 0 }] });
    expect(await verify(key)).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('admits exactly the limit of concurrent verifications', async () => {
    atWindowStart();
    const { key } = await createKey({ ratelimits: [perMinute('burst', 25, true)] });
    const outcomes = await Promise.all(Array.from({ length: 80 }, () => verify(key)));
    expect(outcomes.filter((outcome) => outcome.code === 'VALID')).toHaveLength(25);
    expect(outcomes.filter((outcome) => outcome.code === 'RATE_LIMITED')).toHaveLength(55);
  });

  it('spends nothing of the others, credits included, when one limit refuses', async () => {
    atWindowStart();
    const { key, keyId } = await createKey({
      credits: { remaining: 10 },
      ratelimits: [perMinute('wide', 100, true), perMinute('narrow', 1)],
    });
    const both = { ratelimits: [{ name: 'narrow' }] };
    expect(await verify(key, both)).toMatchObject({ code: 'VALID', credits: { remaining: 9 } });
    const refused = await verify(key, both);
    expect(refused).toMatchObject({ valid: false, code: 'RATE_LIMITED' });
    expect(refused.credits).toBeUndefined();
    expect(refused.ratelimits).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'wide', remaining: 99, exceeded: false }),
        expect.objectContaining({ name: 'narrow', remaining: 0, exceeded: true }),
      ]),
    );
    expect((await call('GET', `/v1/keys/${keyId}`, '/v1/keys/{keyId}')).body.credits).toMatchObject({ remaining: 9 });
    expect(await verify(key)).toMatchObject({ code: 'VALID', ratelimits: [{ name: 'wide', remaining: 98 }] });
  });

  it('shares an identity’s limit among all its keys, a key’s own of that name counting alone', async () => {
    atWindowStart();
    const externalId = `customer-${randomUUID()}`;
    const identity = await call('POST', '/v1/identities', '/v1/identities', {
      externalId,
      ratelimits: [perMinute('plan', 3, true)],
    });
    expect(identity.status).toBe(201);
    expect(identity.body.ratelimits).toEqual([{ name: 'plan', limit: 3, durationMs: 60_000, autoApply: true }]);
    const [first, second] = [await createKey({ externalId }), await createKey({ externalId })];
    const own = await createKey({ externalId, ratelimits: [perMinute('plan', 1, true)] });
    expect((await verify(first.key)).code).toBe('VALID');
    expect((await verify(second.key)).code).toBe('VALID');
    expect(await verify(first.key)).toMatchObject({ code: 'VALID', ratelimits: [{ name: 'plan', remaining: 0 }] });
    expect((await verify(second.key)).code).toBe('RATE_LIMITED');
    expect(await verify(own.key)).toMatchObject({ code: 'VALID', ratelimits: [{ limit: 1, remaining: 0 }] });
    // Raised on the identity: every key of it counts against the new limit at once.
    const raised = await call('PATCH', `/v1/identities/${externalId}`, '/v1/identities/{identity}', {
      ratelimits: [perMinute('plan', 5, true)],
    });
    expect(raised.status).toBe(200);
    expect(await verify(second.key)).toMatchObject({ code: 'VALID', ratelimits: [{ limit: 5, remaining: 1 }] });
  });

  it('changes a key’s limits only when told, in place of those it had', async () => {
    const { keyId, key } = await createKey({ ratelimits: [perMinute('a', 1, true)] });
    const renamed = await call('PATCH', `/v1/keys/${keyId}`, '/v1/keys/{keyId}', { name: 'renamed' });
    expect(renamed.body.ratelimits).toEqual([{ name: 'a', limit: 1, durationMs: 60_000, autoApply: true }]);
    const replaced = await call('PATCH', `/v1/keys/${keyId}`, '/v1/keys/{keyId}', { ratelimits: [] });
    expect(replaced.body.ratelimits).toEqual([]);
    expect((await verify(key)).ratelimits).toBeUndefined();
  });

  it.each([
    ['a duration under a second', [{ name: 'a', limit: 1, durationMs: 999 }]],
    ['a duration over a day', [{ name: 'a', limit: 1, durationMs: 86_400_001 }]],
    ['a limit of nothing', [{ name: 'a', limit: 0, durationMs: 1_000 }]],
    ['a name twice', [perMinute('a', 1), perMinute('a', 2)]],
    ['a name that cannot be one', [perMinute('-a', 1)]],
    ['more than 20 limits', Array.from({ length: 21 }, (_, index) => perMinute(`l${index}`, 1))],
  ])('refuses %s with a 400 in keyplane’s body, on keys and identities', async (_, ratelimits) => {
    const key = await call('POST', '/v1/keys', '/v1/keys', { name: 'bad', ratelimits });
    expect(key.status).toBe(400);
    expect(key.body).toMatchObject({ status: 400 });
    const identity = await call('POST', '/v1/identities', '/v1/identities', { externalId: randomUUID(), ratelimits });
    expect(identity.status).toBe(400);
  });

  it('refuses a bad verification limit with a 400, counting nothing', async () => {
    atWindowStart();
    const { key } = await createKey({ ratelimits: [perMinute('requests', 2)] });
    for (const ratelimits of [[{ name: 'requests', cost: -1 }], [{ cost: 1 }], 'requests']) {
      const refused = await call('POST', '/v1/keys/verify', '/v1/keys/verify', { key, ratelimits });
      expect(refused.status).toBe(400);
    }
    expect(await verify(key, { ratelimits: [{ name: 'requests' }] })).toMatchObject({
      ratelimits: [{ remaining: 1 }],
    });
  });

  it('lets api_keys.update tighten limits, and only what creating needs loosen them', async () => {
    const made = await call('POST', '/v1/keys', '/v1/keys', {
      name: 'editor',
      permissions: ['api_keys.update', 'api_keys.read'],
    });
    const editorKey = (made.body as { key: string }).key;
    const patch = async (keyId: string, ratelimits: unknown) =>
      (
        await harness.fetch(`/v1/keys/${keyId}`, {
          method: 'PATCH',
          headers: { Authorization: `Bearer ${editorKey}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ ratelimits }),
        })
      ).status;
    const { keyId } = await createKey({ ratelimits: [perMinute('a', 10, true)] });
    expect(await patch(keyId, [perMinute('a', 5, true), perMinute('b', 1)])).toBe(200);
    for (const looser of [
      [],
      [perMinute('a', 6, true)],
      [perMinute('a', 5, false)],
      [{ ...perMinute('a', 5, true), durationMs: 30_000 }],
      [perMinute('b', 1)],
    ]) {
      expect(await patch(keyId, looser), JSON.stringify(looser)).toBe(403);
    }
    const kept = await call('GET', `/v1/keys/${keyId}`, '/v1/keys/{keyId}');
    expect(kept.body.ratelimits).toEqual([
      { name: 'a', limit: 5, durationMs: 60_000, autoApply: true },
      { name: 'b', limit: 1, durationMs: 60_000, autoApply: false },
    ]);
  });

  it('refuses a verification naming a limit twice', async () => {
    const { key } = await createKey({ ratelimits: [perMinute('requests', 2)] });
    const refused = await call('POST', '/v1/keys/verify', '/v1/keys/verify', {
      key,
      ratelimits: [{ name: 'requests' }, { name: 'requests', cost: 0 }],
    });
    expect(refused.status).toBe(400);
  });
});
