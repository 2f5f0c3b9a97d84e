import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { looksLikeToken, TokenAuthority } from '../src/index.js';

const previous = { kid: 'old', secret: 'the-previous-signing-secret-is-this-long' };
const next = { kid: 'new', secret: 'the-next-signing-secret-is-at-least-this-long' };
const claims = {
  keyId: randomUUID(),
  organizationId: randomUUID(),
  permissions: ['api_keys.read'],
  secretGeneration: 1,
};

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid;

describe('access tokens', () => {
  it('carry the key, its organization and permissions, signed with the first key', async () => {
    const issuedAt = new Date('2030-01-01T00:00:00.123Z');
    const authority = new TokenAuthority([previous], { ttlSeconds: 60, now: () => issuedAt });
    const { token, expiresAt } = await authority.issue(claims);
    expect(looksLikeToken(token)).toBe(true);
    expect(kidOf(token)).toBe('old');
    const verified = await authority.verify(token);
    expect(verified).toEqual({ ok: true, value: { ...claims, issuedAt, expiresAt } });
    expect(expiresAt).toEqual(new Date('2030-01-01T00:01:00Z'));
  });

  it('stay valid across a rotation that puts a new key first, until the old key is removed', async () => {
    const { token } = await new TokenAuthority([previous], { ttlSeconds: 60 }).issue(claims);
    const rotated = new TokenAuthority([next, previous], { ttlSeconds: 60 });
    expect((await rotated.verify(token)).ok).toBe(true);
    expect(kidOf((await rotated.issue(claims)).token)).toBe('new');
    const retired = new TokenAuthority([next], { ttlSeconds: 60 });
    expect(await retired.verify(token)).toMatchObject({ ok: false, error: { kind: 'unauthenticated' } });
  });

  it('expire, and say so', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const authority = new TokenAuthority([previous], { ttlSeconds: 60, now: () => now });
    const { token } = await authority.issue(claims);
    now = new Date('2030-01-01T00:01:01Z');
    expect(await authority.verify(token)).toEqual({
      ok: false,
      error: { kind: 'unauthenticated', message: 'The access token has expired.', reason: 'token_expired' },
    });
  });

  it('refuse forged, altered and foreign tokens', async () => {
    const authority = new TokenAuthority([previous], { ttlSeconds: 60 });
    const { token } = await authority.issue(claims);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), permissions: ['*'] }),
    ).toString('base64url');
    const stranger = await new TokenAuthority([{ kid: 'old', secret: 'somebody-else-s-secret-of-enough-length' }], {
      ttlSeconds: 60,
    }).issue(claims);
    const unsigned = `${Buffer.from('{"alg":"none","kid":"old"}').toString('base64url')}.${payload}.`;
    for (const candidate of [`${header}.${forgedPayload}.${signature}`, stranger.token, unsigned, 'eyJ.not.jwt']) {
      expect((await authority.verify(candidate)).ok, candidate).toBe(false);
    }
  });
});
