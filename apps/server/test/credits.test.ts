import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rootCalls } from './support/calls.js';
import { type Harness, SETUPS, startHarness } from './support/harness.js';

const DAY = 86_400_000;

describe.each(SETUPS)('credits of keyplane keys over $name', (setup) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(setup);
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  const call = rootCalls(() => harness);
  const createKey = async (credits: unknown) => {
    const created = await call('POST', '/v1/keys', '/v1/keys', { name: 'metered', credits });
    expect(created.status).toBe(201);
    return created.body as { keyId: string; key: string; credits: unknown };
  };
  const verify = async (key: string, extra: Record<string, unknown> = {}) =>
    (await call('POST', '/v1/keys/verify', '/v1/keys/verify', { key, ...extra })).body;
  const getCredits = async (keyId: string) => (await call('GET', `/v1/keys/${keyId}`, '/v1/keys/{keyId}')).body.credits;
  const change = (keyId: string, operation: string, value: unknown) =>
    call('POST', `/v1/keys/${keyId}/credits`, '/v1/keys/{keyId}/credits', { operation, value });

  it('spends one credit a verification, the cost asked, or none; refuses what exceeds them, spending nothing', async () => {
    const { key, keyId, credits } = await createKey({ remaining: 5 });
    expect(credits).toEqual({ remaining: 5, refill: null });
    expect(await verify(key)).toMatchObject({ valid: true, code: 'VALID', credits: { remaining: 4 } });
    expect(await verify(key, { credits: { cost: 3 } })).toMatchObject({ valid: true, credits: { remaining: 1 } });
    expect(await verify(key, { credits: { cost: 0 } })).toMatchObject({ valid: true, credits: { remaining: 1 } });
    expect(await verify(key, { credits: { cost: 2 } })).toMatchObject({
      valid: false,
      code: 'USAGE_EXCEEDED',
      credits: { remaining: 1 },
    });
    expect(await verify(key)).toMatchObject({ valid: true, credits: { remaining: 0 } });
    expect(await verify(key)).toMatchObject({ valid: false, code: 'USAGE_EXCEEDED', credits: { remaining: 0 } });
    expect(await getCredits(keyId)).toEqual({ remaining: 0, refill: null });
  });

  it('spends nothing on a verification another check refuses', async () => {
    const { key, keyId } = await createKey({ remaining: 2 });
    const refused = await verify(key, { permissions: ['invoices.read'] });
    expect(refused).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS' });
    expect(refused.credits).toBeUndefined();
    expect(await getCredits(keyId)).toEqual({ remaining: 2, refill: null });
    await call('PATCH', `/v1/keys/${keyId}`, '/v1/keys/{keyId}', { enabled: false });
    expect(await verify(key)).toMatchObject({ code: 'DISABLED' });
    expect(await getCredits(keyId)).toEqual({ remaining: 2, refill: null });
  });

  it('admits exactly as many concurrent verifications as there are credits', async () => {
    const { key, keyId } = await createKey({ remaining: 40 });
    const outcomes = await Promise.all(Array.from({ length: 120 }, () => verify(key)));
    expect(outcomes.filter((outcome) => outcome.code === 'VALID')).toHaveLength(40);
    expect(outcomes.filter((outcome) => outcome.code === 'USAGE_EXCEEDED')).toHaveLength(80);
    const remaining = outcomes.filter((outcome) => outcome.code === 'VALID').map((outcome) => outcome.credits);
    expect(new Set(remaining.map((credits) => (credits as { remaining: number }).remaining)).size).toBe(40);
    expect(await getCredits(keyId)).toEqual({ remaining: 0, refill: null });
  });

  it('leaves keys without credits unlimited, and keys of every dialect without credits', async () => {
    const { key, credits } = await createKey(null);
    expect(credits).toBeNull();
    const outcome = await verify(key, { credits: { cost: 1_000_000 } });
    expect(outcome).toMatchObject({ valid: true, code: 'VALID' });
    expect(outcome.credits).toBeUndefined();
    const plain = await call('POST', '/v1/keys', '/v1/keys', { name: 'plain' });
    expect(plain.body.credits).toBeNull();
  });

  it('refills at the period boundary once, and once for a key idle through several', async () => {
    // Just after a day begins: the key is made, spent and refused within one day however slow the machine.
    harness.advanceClock(DAY - (harness.now().getTime() % DAY) + 1);
    const { key, keyId } = await createKey({ remaining: 3, refill: { interval: 'daily', amount: 10 } });
    expect(await verify(key, { credits: { cost: 3 } })).toMatchObject({ valid: true, credits: { remaining: 0 } });
    expect(await verify(key)).toMatchObject({ code: 'USAGE_EXCEEDED' });
    harness.advanceClock(DAY);
    expect(await getCredits(keyId)).toEqual({
      remaining: 10,
      refill: { interval: 'daily', amount: 10, refillDay: null },
    });
    expect(await verify(key, { credits: { cost: 4 } })).toMatchObject({ credits: { remaining: 6 } });
    expect(await verify(key)).toMatchObject({ credits: { remaining: 5 } });
    harness.advanceClock(5 * DAY);
    expect(await verify(key)).toMatchObject({ credits: { remaining: 9 } });
    expect(await verify(key)).toMatchObject({ credits: { remaining: 8 } });
  });

  it('sets, adds and takes credits exactly; refuses what cannot be done, changing nothing', async () => {
    const { key, keyId } = await createKey({ remaining: 10 });
    expect(await change(keyId, 'increment', 5)).toEqual({ status: 200, body: { remaining: 15, refill: null } });
    expect(await change(keyId, 'decrement', 15)).toEqual({ status: 200, body: { remaining: 0, refill: null } });
    expect((await change(keyId, 'decrement', 1)).status).toBe(409);
    expect(await change(keyId, 'set', 2)).toEqual({ status: 200, body: { remaining: 2, refill: null } });
    expect(await verify(key)).toMatchObject({ credits: { remaining: 1 } });
    // Unlimited credits take a count only by being set.
    const unlimited = await createKey(null);
    expect((await change(unlimited.keyId, 'increment', 1)).status).toBe(409);
    expect(await getCredits(unlimited.keyId)).toBeNull();
    expect((await change(unlimited.keyId, 'set', 1)).body).toEqual({ remaining: 1, refill: null });
    expect(await verify(unlimited.key)).toMatchObject({ valid: true, credits: { remaining: 0 } });
    expect(await verify(unlimited.key)).toMatchObject({ code: 'USAGE_EXCEEDED' });
    // And become unlimited again through the key.
    const patched = await call('PATCH', `/v1/keys/${unlimited.keyId}`, '/v1/keys/{keyId}', { credits: null });
    expect(patched.body.credits).toBeNull();
    expect(await verify(unlimited.key)).toMatchObject({ valid: true, code: 'VALID' });
  });

  it.each([
    ['a negative count', { remaining: -1 }],
    ['a fraction', { remaining: 1.5 }],
    ['a count past what JSON keeps exactly', { remaining: 2 ** 53 }],
    ['a refill of nothing', { remaining: 1, refill: { interval: 'daily', amount: 0 } }],
    ['a refill day on a daily refill', { remaining: 1, refill: { interval: 'daily', amount: 1, refillDay: 3 } }],
    ['a refill day past 31', { remaining: 1, refill: { interval: 'monthly', amount: 1, refillDay: 32 } }],
    ['an unknown interval', { remaining: 1, refill: { interval: 'weekly', amount: 1 } }],
  ])('refuses %s with a 400 in keyplane’s body', async (_, credits) => {
    const refused = await call('POST', '/v1/keys', '/v1/keys', { name: 'bad', credits });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ status: 400 });
  });

  it('refuses a bad cost or operation with a 400, spending nothing', async () => {
    const { key, keyId } = await createKey({ remaining: 3 });
    for (const credits of [{ cost: -1 }, { cost: 0.5 }, { cost: 'one' }]) {
      const refused = await call('POST', '/v1/keys/verify', '/v1/keys/verify', { key, credits });
      expect(refused.status).toBe(400);
    }
    expect((await change(keyId, 'multiply', 2)).status).toBe(400);
    expect((await change(keyId, 'set', -2)).status).toBe(400);
    expect(await getCredits(keyId)).toEqual({ remaining: 3, refill: null });
    expect((await change('00000000-0000-4000-8000-000000000000', 'set', 1)).status).toBe(404);
  });

  it('lets api_keys.update take credits away, and only what creating needs give more', async () => {
    const made = await call('POST', '/v1/keys', '/v1/keys', {
      name: 'editor',
      permissions: ['api_keys.update', 'api_keys.read'],
    });
    const editorKey = (made.body as { key: string }).key;
    const as = async (method: string, path: string, body: unknown) =>
      (
        await harness.fetch(path, {
          method,
          headers: { Authorization: `Bearer ${editorKey}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).status;
    const { keyId } = await createKey({ remaining: 10, refill: { interval: 'monthly', amount: 10 } });
    const path = `/v1/keys/${keyId}`;
    expect(await as('POST', `${path}/credits`, { operation: 'decrement', value: 2 })).toBe(200);
    expect(await as('POST', `${path}/credits`, { operation: 'set', value: 5 })).toBe(200);
    expect(await as('PATCH', path, { credits: { remaining: 4, refill: { interval: 'monthly', amount: 5 } } })).toBe(
      200,
    );
    for (const [method, target, body] of [
      ['POST', `${path}/credits`, { operation: 'increment', value: 1 }],
      ['POST', `${path}/credits`, { operation: 'set', value: 9 }],
      ['PATCH', path, { credits: null }],
      ['PATCH', path, { credits: { remaining: 5, refill: { interval: 'monthly', amount: 5 } } }],
      ['PATCH', path, { credits: { remaining: 4, refill: { interval: 'monthly', amount: 6 } } }],
      ['PATCH', path, { credits: { remaining: 4, refill: { interval: 'daily', amount: 5 } } }],
    ] as const) {
      expect(await as(method, target, body), JSON.stringify(body)).toBe(403);
    }
    expect(await getCredits(keyId)).toEqual({ remaining: 4, refill: { interval: 'monthly', amount: 5, refillDay: 1 } });
    // Counting credits where none were counted takes power away.
    const unlimited = await createKey(null);
    expect(await as('POST', `/v1/keys/${unlimited.keyId}/credits`, { operation: 'set', value: 3 })).toBe(200);
  });
});
