import { aerospike } from '@keyplane/client';
import { ClientCredentials } from 'simple-oauth2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SETUPS, startHarness } from './support/harness.js';

// OAuth client libraries speak real HTTP.
const HTTP_SETUPS = SETUPS.filter((setup) => setup.transport === 'http');

/** RFC 6749, 2.3.1: each part form-urlencoded, then `id:secret` in base64. */
const basic = (clientId: string, clientSecret: string) => {
  const encode = (part: string) => encodeURIComponent(part).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
};

describe.each(HTTP_SETUPS)('the token endpoint as OAuth 2.0 clients call it, over $name', (setup) => {
  let harness: Harness;
  let key: { clientId: string; clientSecret: string };
  beforeAll(async () => {
    harness = await startHarness(setup);
    key = await aerospike.createKey(harness.client({ bearer: harness.rootKey }), 'oauth client');
  });
  afterEach(() => expect(harness.unexpectedErrors).toEqual([]));
  afterAll(() => harness.close());

  const oauthClient = (secret: string) =>
    new ClientCredentials({
      client: { id: key.clientId, secret },
      auth: { tokenHost: harness.baseUrl, tokenPath: '/oauth/token' },
    });
  const grant = (headers: Record<string, string>, body: RequestInit['body']) =>
    harness.fetch('/oauth/token', { method: 'POST', headers, ...(body === undefined ? {} : { body }) });
  const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

  it('issues simple-oauth2, with its default settings, a token that works as a Bearer', async () => {
    const accessToken = await oauthClient(key.clientSecret).getToken({ scope: 'read:api-key' });
    expect(accessToken.token).toMatchObject({
      token_type: 'Bearer',
      scope: 'read:api-key',
      expires_in: expect.any(Number),
    });
    const listed = await aerospike.listKeys(harness.client({ bearer: accessToken.token.access_token as string }));
    expect(listed.apiKeys.map(({ clientId }) => clientId)).toContain(key.clientId);
  });

  it('tells simple-oauth2 about a wrong secret with 401 invalid_client', async () => {
    const failure = await oauthClient(`${key.clientSecret}x`)
      .getToken({})
      .then(
        () => null,
        (error: { output?: { statusCode: number }; data?: { payload?: unknown } }) => error,
      );
    expect(failure?.output?.statusCode).toBe(401);
    expect(failure?.data?.payload).toMatchObject({ error: 'invalid_client' });
  });

  it('takes client credentials by HTTP Basic, form-urlencoded inside, with a form or JSON body', async () => {
    const authorization = basic(key.clientId, key.clientSecret);
    const form = await grant({ ...FORM, Authorization: authorization }, 'grant_type=client_credentials');
    expect(form.status).toBe(200);
    expect(form.headers.get('cache-control')).toBe('no-store');
    expect((await harness.conforming('POST', '/oauth/token', form)).body).toMatchObject({ token_type: 'Bearer' });
    const json = await grant(
      { 'Content-Type': 'application/json', Authorization: authorization },
      JSON.stringify({ grant_type: 'client_credentials', scope: 'read:api-key' }),
    );
    expect((await harness.conforming('POST', '/oauth/token', json)).body).toMatchObject({ scope: 'read:api-key' });
  });

  it('answers a wrong client by Basic or in the body with 401 invalid_client and a Basic challenge', async () => {
    const answers = [
      await grant(
        { ...FORM, Authorization: basic(key.clientId, `${key.clientSecret}x`) },
        'grant_type=client_credentials',
      ),
      await grant(
        FORM,
        new URLSearchParams({ grant_type: 'client_credentials', client_id: key.clientId, client_secret: 'kp_wrong' }),
      ),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Basic realm="keyplane"');
      expect((await harness.conforming('POST', '/oauth/token', answer)).body).toEqual({
        error: 'invalid_client',
        error_description: expect.any(String),
      });
    }
  });

  it('refuses two ways of client authentication at once, or none, or a Basic header it cannot read', async () => {
    const bodyCredentials = {
      grant_type: 'client_credentials',
      client_id: key.clientId,
      client_secret: key.clientSecret,
    };
    const cases: [string, Record<string, string>, RequestInit['body']][] = [
      [
        'Basic and the body',
        { ...FORM, Authorization: basic(key.clientId, key.clientSecret) },
        new URLSearchParams(bodyCredentials),
      ],
      ['neither', FORM, 'grant_type=client_credentials'],
      [
        'Basic without a colon',
        { ...FORM, Authorization: `Basic ${Buffer.from(key.clientId).toString('base64')}` },
        'grant_type=client_credentials',
      ],
      ['Basic that is not base64', { ...FORM, Authorization: 'Basic ***' }, 'grant_type=client_credentials'],
    ];
    for (const [name, headers, body] of cases) {
      const answer = await grant(headers, body);
      expect(answer.status, name).toBe(400);
      expect((await harness.conforming('POST', '/oauth/token', answer)).body, name).toMatchObject({
        error: 'invalid_request',
      });
    }
  });

  it('answers 406 and 413 as its contract documents them, in the Aerospike error body', async () => {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: key.clientId,
      client_secret: key.clientSecret,
    });
    const html = await grant({ ...FORM, Accept: 'text/html' }, body);
    expect(html.status).toBe(406);
    expect((await harness.conforming('POST', '/oauth/token', html)).body).toMatchObject({ code: 'not_acceptable' });
    const huge = await grant(FORM, `${body}&scope=${'x'.repeat(70 * 1024)}`);
    expect(huge.status).toBe(413);
    expect((await harness.conforming('POST', '/oauth/token', huge)).body).toMatchObject({ code: 'payload_too_large' });
  });
});
