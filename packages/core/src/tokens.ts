import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { fail, ok, type Result } from './result.js';

/** A secret that signs access tokens, named by the `kid` its tokens carry. */
export interface SigningKey {
  readonly kid: string;
  readonly secret: string;
}

export interface TokenClaims {
  readonly keyId: string;
  readonly organizationId: string;
  /** The permissions the token carries, in their textual form (`api_keys.read`, …). */
  readonly permissions: readonly string[];
  /**
   * Which of the key's secrets obtained the token (the key's count of secrets so far):
   * the token works only while that secret does. Null in tokens issued before keyplane
   * recorded it.
   */
  readonly secretGeneration: number | null;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

const ISSUER = 'keyplane';
const ALGORITHM = 'HS256';
/** A compact JWS: three base64url parts, the first a JSON header starting with `{"`. */
const JWT_SHAPE = /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/;

export const looksLikeToken = (credential: string): boolean => JWT_SHAPE.test(credential);

/**
 * Issues and checks short-lived access tokens (HS256 JWTs). The first signing key signs;
 * every key verifies, so a new key can be put first while tokens signed by the old one
 * stay valid until they expire.
 */
export class TokenAuthority {
  readonly #signing: SigningKey;
  readonly #byKid: Map<string, Uint8Array>;
  readonly #ttlSeconds: number;
  readonly #now: () => Date;

  constructor(keys: readonly SigningKey[], options: { ttlSeconds: number; now?: () => Date }) {
    const [signing] = keys;
    if (!signing) throw new Error('at least one signing key is needed');
    this.#signing = signing;
    this.#byKid = new Map(keys.map(({ kid, secret }) => [kid, new TextEncoder().encode(secret)]));
    this.#ttlSeconds = options.ttlSeconds;
    this.#now = options.now ?? (() => new Date());
  }

  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  async issue(claims: Omit<TokenClaims, 'expiresAt' | 'issuedAt'>): Promise<{ token: string; expiresAt: Date }> {
    const issuedAtMs = this.#now().getTime();
    const issuedAt = Math.floor(issuedAtMs / 1000);
    const expiresAt = new Date((issuedAt + this.#ttlSeconds) * 1000);
    // `iat` counts whole seconds; a rotation must be able to tell the millisecond apart.
    const token = await new SignJWT({
      org: claims.organizationId,
      permissions: [...claims.permissions],
      gen: claims.secretGeneration,
      issued_ms: issuedAtMs,
    })
      .setProtectedHeader({ alg: ALGORITHM, kid: this.#signing.kid, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(ISSUER)
      .setSubject(claims.keyId)
      .setJti(randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.#ttlSeconds)
      .sign(this.#byKid.get(this.#signing.kid) as Uint8Array);
    return { token, expiresAt };
  }

  async verify(token: string): Promise<Result<TokenClaims>> {
    try {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const secret = header.kid === undefined ? undefined : this.#byKid.get(header.kid);
          if (!secret) throw new errors.JWKSNoMatchingKey();
          return secret;
        },
        {
          algorithms: [ALGORITHM],
          issuer: ISSUER,
          audience: ISSUER,
          currentDate: this.#now(),
          requiredClaims: ['sub', 'exp', 'org'],
        },
      );
      const permissions = Array.isArray(payload.permissions) ? payload.permissions.map(String) : [];
      return ok({
        keyId: String(payload.sub),
        organizationId: String(payload.org),
        permissions,
        secretGeneration: Number.isSafeInteger(payload.gen) ? (payload.gen as number) : null,
        issuedAt: new Date(typeof payload.issued_ms === 'number' ? payload.issued_ms : Number(payload.iat) * 1000),
        expiresAt: new Date(Number(payload.exp) * 1000),
      });
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        return fail('unauthenticated', 'The access token has expired.', { reason: 'token_expired' });
      }
      return fail('unauthenticated', 'The access token is not valid.');
    }
  }
}
