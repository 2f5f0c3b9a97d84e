import { randomUUID } from 'node:crypto';
import { aerospike, diga, discue } from '@keyplane/client';
import type { DialectName } from '@keyplane/contract';
import { generateSecret } from '@keyplane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractOperations } from './support/contract-operations.js';
import { type Harness, SETUPS, startHarness } from './support/harness.js';
import { newOrganization } from './support/organizations.js';

type Dialect = DialectName;

interface Target {
  readonly dialect: Dialect;
  readonly method: string;
  /** The contract's path template. */
  readonly template: string;
  /** The path, naming the fixtures' key and application (or other ids). */
  path(ids: { keyId: string; applicationId: string }): string;
  readonly body?: unknown;
  /** Names one resource: another organization's is answered like a missing one. */
  readonly namesResource: boolean;
}

const target = (dialect: Dialect, method: string, template: string, body?: unknown): Target => ({
  dialect,
  method,
  template,
  body,
  namesResource: template.includes('{'),
  path: ({ keyId, applicationId }) =>
    template
      .replace('{api_key_id}', keyId)
      .replace('{clientId}', keyId)
      .replace('{keyId}', keyId)
      .replace(/\/applications\/\{id\}/, `/applications/${applicationId}`)
      .replace('{id}', keyId),
});

/** Every authenticated operation of the contract, with the request its example shows. */
const TARGETS: readonly Target[] = contractOperations()
  .filter((operation) => operation.secured)
  .map((operation) => target(operation.dialect, operation.method, operation.template, operation.exampleBody));

/** How each dialect refuses a credential: its status and the shape of its body. */
const REFUSAL: Record<Dialect, { status: number; body: unknown }> = {
  discue: { status: 401, body: { title: 'Unauthorized', status: 401 } },
  aerospike: { status: 401, body: expect.objectContaining({ code: 'invalid_token', message: expect.any(String) }) },
  diga: { status: 403, body: expect.objectContaining({ status: 'error', error_code: 'NOT_AUTHENTICATED' }) },
  kadosei: { status: 401, body: expect.objectContaining({ error: 'Unauthorized', code: 401 }) },
  keyplane: { status: 401, body: expect.objectContaining({ status: 401, title: 'Unauthorized' }) },
};

const FORBIDDEN: Record<Dialect, unknown> = {
  discue: { title: 'Forbidden', status: 403 },
  aerospike: expect.objectContaining({ code: 'insufficient_scope' }),
  diga: expect.objectContaining({ error_code: 'INSUFFICIENT_PERMISSIONS' }),
  kadosei: expect.objectContaining({ error: 'Forbidden', code: 403 }),
  keyplane: expect.objectContaining({ status: 403, title: 'Forbidden' }),
};

describe.each(SETUPS)('the authentication matrix over $name', (setup) => {
  let harness: Harness;
  const credentials: Record<string, string> = {};
  let ids: { keyId: string; applicationId: string };
  let otherOrganization: Awaited<ReturnType<typeof newOrganization>>;

  beforeAll(async () => {
    harness = await startHarness(setup);
    const organization = await newOrganization(harness, 'matrix');
    otherOrganization = await newOrganization(harness, 'other');
    const admin = organization.client();
    const make = async (body: Parameters<typeof diga.createKey>[1]) =>
      (await diga.createKey(admin, body)).value as string;

    ids = {
      keyId: (await diga.createKey(admin, { name: 'target', restricted: false })).id,
      applicationId: organization.defaultApplicationId,
    };
    credentials.admin = organization.adminKey;
    credentials.lacking = await make({ name: 'lacking', restricted: true, permissions: ['calls.view'] });
    const disabled = await diga.createKey(admin, { name: 'disabled', restricted: false });
    await discue.updateKey(admin, disabled.id, { status: 'disabled' });
    credentials.disabled = disabled.value as string;
    credentials.expiring = await make({
      name: 'expiring',
      restricted: false,
      expiry_date: new Date(Date.now() + 60_000).toISOString(),
    });
    const deleted = await diga.createKey(admin, { name: 'deleted', restricted: false });
    const { access_token } = await aerospike.token(admin, deleted.id, deleted.value as string);
    await diga.deleteKey(admin, deleted.id);
    credentials.deleted = deleted.value as string;
    credentials.tokenOfDeleted = access_token;
    credentials.unknown = generateSecret();
    credentials.malformed = 'not a key at all';
    credentials.other = otherOrganization.adminKey;
    // The expiring key is past its expiry from here on.
    harness.advanceClock(120_000);
  });
  afterAll(async () => {
    harness.advanceClock(-120_000);
    expect(harness.unexpectedErrors).toEqual([]);
    await harness.close();
  });

  const send = (t: Target, credential: string | undefined, pathIds = ids) =>
    harness.fetch(t.path(pathIds), {
      method: t.method,
      headers: {
        ...(credential === undefined ? {} : { Authorization: `Bearer ${credential}` }),
        ...(t.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(t.body === undefined ? {} : { body: JSON.stringify(t.body) }),
    });

  const refused = ['none', 'malformed', 'unknown', 'disabled', 'expiring', 'deleted', 'tokenOfDeleted'] as const;

  it.each(TARGETS)('$method $template refuses every bad credential in its dialect’s body', async (t) => {
    for (const name of refused) {
      const response = await send(t, name === 'none' ? undefined : credentials[name]);
      const { body } = await harness.conforming(t.method, t.template, response);
      expect(response.status, `${name} on ${t.method} ${t.template}`).toBe(REFUSAL[t.dialect].status);
      expect(body, name).toEqual(REFUSAL[t.dialect].body);
    }
  });

  it.each(TARGETS)('$method $template refuses a key lacking the permission with 403', async (t) => {
    const response = await send(t, credentials.lacking);
    const { body } = await harness.conforming(t.method, t.template, response);
    expect(response.status).toBe(403);
    expect(body).toEqual(FORBIDDEN[t.dialect]);
  });

  it.each(TARGETS.filter((t) => t.namesResource))(
    '$method $template answers another organization exactly as it answers a missing resource',
    async (t) => {
      const theirs = await send(t, credentials.other);
      const missing = await send(t, credentials.other, { keyId: randomUUID(), applicationId: randomUUID() });
      expect(theirs.status).toBe(404);
      expect(await theirs.text()).toBe(await missing.text());
      expect(
        Object.fromEntries([...theirs.headers].filter(([name]) => name !== 'x-request-id' && name !== 'date')),
      ).toEqual(
        Object.fromEntries([...missing.headers].filter(([name]) => name !== 'x-request-id' && name !== 'date')),
      );
    },
  );

  it('left the matrix organization’s target key untouched', async () => {
    const key = await diga.getKey(harness.client({ bearer: credentials.admin as string }), ids.keyId);
    expect(key.name).toBe('target');
  });
});
