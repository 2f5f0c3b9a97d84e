import { discue, keyplane } from '@keyplane/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';

describe.each(SETUPS)('verification with a permission query, over $name', (setup) => {
  let harness: Harness;
  let secret: string;
  beforeAll(async () => {
    harness = await startHarness(setup);
    const root = harness.client({ bearer: harness.rootKey });
    ({ secret } = await discue.createKey(root, {
      name: 'queried',
      scopes: [
        { resource: 'queues', access: 'read' },
        { resource: 'listeners', access: 'write', targets: ['l1'] },
      ],
    }));
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  const verify = (permissions: string | string[]) =>
    keyplane.verifyKey(harness.client({ bearer: harness.rootKey }), secret, permissions);

  it.each([
    ['queues.read', 'VALID'],
    ['queues.read AND listeners.write:l1', 'VALID'],
    ['queues.read AND queues.write', 'INSUFFICIENT_PERMISSIONS'],
    ['queues.write OR listeners.write:l1', 'VALID'],
    ['queues.write OR listeners.write:l2', 'INSUFFICIENT_PERMISSIONS'],
    ['queues.write OR queues.read AND listeners.write:l1', 'VALID'],
    ['(queues.write OR queues.read) AND listeners.write:l2', 'INSUFFICIENT_PERMISSIONS'],
    ['queues.read AND (queues.write OR listeners.write:l1)', 'VALID'],
  ])('answers %j with %s', async (query, code) => {
    expect(await verify(query)).toMatchObject({ code, valid: code === 'VALID' });
  });

  it('still takes a list, every permission of which is required', async () => {
    expect(await verify(['queues.read', 'listeners.write:l1'])).toMatchObject({ code: 'VALID' });
    expect(await verify(['queues.read', 'listeners.write'])).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS' });
  });

  it.each([
    'queues.read AND',
    '(queues.read OR listeners.write:l1',
    'queues.read OR OR listeners.write',
    'queues.read and listeners.write',
    'Queues.Read',
    '',
    `${'('.repeat(40)}queues.read${')'.repeat(40)}`,
    'queues.read OR '.repeat(60),
  ])('refuses the query %j with a 400 in its problem body, checking no key', async (query) => {
    const response = await harness.fetch('/v1/keys/verify', {
      method: 'POST',
      headers: { Authorization: `Bearer ${harness.rootKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: secret, permissions: query }),
    });
    expect(response.status).toBe(400);
    const { body } = await harness.conforming('POST', '/v1/keys/verify', response);
    expect(body).toMatchObject({ status: 400, title: 'Bad Request', detail: expect.any(String) });
  });
});
