import { withStoredCredits } from './credits.js';
import { type DomainContext, isCanonicalId, requirePermission } from './domain.js';
import { describeSecret, digestsEqual, generateSecret, importedDigestOf, isWellFormedSecret } from './key-format.js';
import type { ApiKey, Principal } from './model.js';
import { type AskedLimit, limitsToTake } from './named-limits.js';
import { formatPermissions, type Grant, narrow, parsePermission, UNRESTRICTED } from './permissions.js';
import type { KeyBySecret, RateLimitState } from './ports.js';
import { type Err, fail, type Ok, ok, type Result } from './result.js';
import { looksLikeToken, type TokenAuthority, type TokenClaims } from './tokens.js';
import { keyAccess, keyAllowedFrom, verifiable } from './verifiable-key.js';
import { type VerificationCode, Verifier, type VerifierOptions } from './verifier.js';

const ROOT_CREDENTIAL_SETTING = 'root_credential_sha256';

export interface Verification {
  readonly valid: boolean;
  readonly code: VerificationCode;
  /** The key, when one was found in the caller's organization. */
  readonly key?: ApiKey;
  /** How many credits remain after this verification, when the key was usable and has credits. */
  readonly creditsRemaining?: number;
  /** Each named limit it was counted against, when the key was usable and any applied. */
  readonly ratelimits?: readonly RateLimitState[];
}

/** What a verification asks besides its checks: how many credits it spends (1 unless said), and which limits. */
export interface VerificationRequest extends VerifierOptions {
  readonly cost?: number;
  readonly ratelimits?: readonly AskedLimit[];
}

/**
 * A credential to judge in two steps, so that the caller can guard the costly one: proven
 * good from memory alone (the root credential, a key memory holds), or else looked up.
 */
export interface CredentialCheck<T> {
  /** The outcome when memory alone proves the credential good; undefined otherwise (unknown to memory, or wrong). */
  proveFromMemory(): Promise<Ok<T> | undefined>;
  /** The outcome, with the store asked whatever memory does not hold. */
  lookUp(): Promise<Result<T>>;
}

/** Where a credential's key is read: undefined when that source cannot tell. */
interface KeySource {
  bySecret(digest: string): Promise<KeyBySecret | null | undefined>;
  byId(organizationId: string, id: string): Promise<ApiKey | null | undefined>;
  /** Whether keys imported from other systems may be found (memory never tells: it holds them by keyplane's digest). */
  holdsImportedKeys(): Promise<boolean>;
}

/** A key a secret names, and the digest of another system it was found by, when it was imported and never used. */
interface SecretMatch extends KeyBySecret {
  readonly importedDigest?: string;
}

/** The client-credentials grant: a key's id and secret, the permissions asked for, and where the request came from. */
export interface TokenGrant {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly permissions: readonly Grant[];
  readonly from?: string;
}

/** A good credential, refused because its key's allowlist does not hold the caller's address. */
const notFromHere = (): Err =>
  fail('forbidden', 'This API key may not be used from this address.', { reason: 'address_not_allowed' });

/** Only a good outcome is proven from memory: a bad one is judged again by a look-up. */
const proven = <T>(outcome: Result<T> | undefined): Ok<T> | undefined => (outcome?.ok ? outcome : undefined);

/** The store always tells; should it not, the credential is refused as unjudged. */
const decided = <T>(outcome: Result<T> | undefined): Result<T> =>
  outcome ?? fail('unavailable', 'The credential could not be looked up.');

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: Date;
  readonly ttlSeconds: number;
  readonly grants: readonly Grant[];
}

/**
 * Who is calling, and whether a presented key holds: the root credential, keys' secrets
 * (the current one, and the one before it during a rotation's grace period), and the access
 * tokens they obtain, each of which works only while the secret that obtained it does.
 */
export class Credentials {
  readonly #context: DomainContext;
  readonly #tokens: TokenAuthority | undefined;
  #root: { digest: string; organizationId: string } | null = null;

  /** Keys as the store has them (through its cache, when it has one). */
  readonly #inStore: KeySource;
  /** Keys as memory alone holds them: what proves a credential good without a look-up. */
  readonly #inMemory: KeySource;

  constructor(context: DomainContext, tokens: TokenAuthority | undefined) {
    this.#context = context;
    this.#tokens = tokens;
    const { store } = context;
    this.#inStore = {
      bySecret: (digest) => store.findKeyBySecretHash(digest),
      byId: (organizationId, id) => store.findKeyById(organizationId, id),
      holdsImportedKeys: () => store.holdsImportedKeys(),
    };
    this.#inMemory = {
      bySecret: async (digest) => store.peekKeyBySecretHash?.(digest),
      byId: async (organizationId, id) => store.peekKeyById?.(organizationId, id),
      holdsImportedKeys: async () => false,
    };
  }

  async initializeRoot(configuredSecret?: string): Promise<{ generatedSecret: string | null }> {
    const { store, digest: digestOf, now } = this.#context;
    const organization = await store.ensureDefaultOrganization(now());
    let generatedSecret: string | null = null;
    let digest: string;
    if (configuredSecret) {
      digest = digestOf(configuredSecret);
    } else {
      const candidate = generateSecret();
      digest = await store.putSettingIfAbsent(ROOT_CREDENTIAL_SETTING, digestOf(candidate));
      if (digest === digestOf(candidate)) generatedSecret = candidate;
    }
    this.#root = { digest, organizationId: organization.id };
    return { generatedSecret };
  }

  /** Who is calling: proven from memory when it can be, else looked up in the store. */
  authentication(credential: string | undefined, requestId: string, from?: string): CredentialCheck<Principal> {
    return {
      proveFromMemory: async () => proven(await this.#authenticate(credential, requestId, from, this.#inMemory)),
      lookUp: async () => decided(await this.#authenticate(credential, requestId, from, this.#inStore)),
    };
  }

  /** The OAuth client-credentials grant, as a credential check of the client's id and secret. */
  tokenGrant(request: TokenGrant): CredentialCheck<IssuedToken> {
    return {
      proveFromMemory: async () => proven(await this.#issueToken(request, this.#inMemory)),
      lookUp: async () => decided(await this.#issueToken(request, this.#inStore)),
    };
  }

  async #authenticate(
    credential: string | undefined,
    requestId: string,
    from: string | undefined,
    keys: KeySource,
  ): Promise<Result<Principal> | undefined> {
    if (!credential) return fail('unauthenticated', 'No credential was presented.');
    if (this.#tokens && looksLikeToken(credential)) {
      return this.#authenticateToken(this.#tokens, credential, requestId, from, keys);
    }
    const digest = this.#context.digest(credential);
    if (this.#root && digestsEqual(digest, this.#root.digest)) {
      return ok({ organizationId: this.#root.organizationId, keyId: null, access: UNRESTRICTED, requestId });
    }
    const found = await this.#findUsableKey(credential, keys);
    if (!found?.ok) return found;
    const { key } = found.value;
    if (!keyAllowedFrom(key, from)) return notFromHere();
    this.#context.usage.record(key.id, this.#context.now());
    await this.#rehash(found.value, credential);
    return ok({ organizationId: key.organizationId, keyId: key.id, access: keyAccess(key), requestId });
  }

  async #issueToken(request: TokenGrant, keys: KeySource): Promise<Result<IssuedToken> | undefined> {
    if (!this.#tokens) return fail('unavailable', 'Access tokens are not enabled.');
    const found = await this.#findUsableKey(request.clientSecret, keys);
    if (!found) return undefined;
    if (!found.ok || found.value.key.id !== request.clientId) {
      return fail('unauthenticated', 'The client id or secret is wrong.');
    }
    const { key, secretGeneration } = found.value;
    if (!keyAllowedFrom(key, request.from)) return notFromHere();
    const granted = narrow(keyAccess(key), request.permissions);
    if (!granted.restricted || granted.grants.length === 0) {
      return fail('forbidden', 'The key holds none of the requested permissions.');
    }
    const { token, expiresAt } = await this.#tokens.issue({
      keyId: key.id,
      organizationId: key.organizationId,
      permissions: formatPermissions(granted.grants),
      secretGeneration,
    });
    this.#context.usage.record(key.id, this.#context.now());
    await this.#rehash(found.value, request.clientSecret);
    return ok({ token, expiresAt, ttlSeconds: this.#tokens.ttlSeconds, grants: granted.grants });
  }

  /** A presented key judged by the checks `options` call for (see `Verifier`). */
  async verifyKey(principal: Principal, secret: string, options: VerificationRequest): Promise<Result<Verification>> {
    const denied = requirePermission(principal, 'api_keys', 'verify');
    if (denied) return denied;
    const { usage, now } = this.#context;
    const match = await this.#keyInOrganization(principal, secret);
    if (!match) return ok({ valid: false, code: 'NOT_FOUND' });
    const { key } = match;
    const at = now();
    const { code, used } = Verifier.of(options).judge(verifiable(key), at.getTime());
    if (used) {
      usage.record(key.id, at);
      await this.#rehash(match, secret);
    }
    if (code !== 'VALID') return ok({ valid: false, code, key });
    // Counted and spent where every instance counts and spends, after every check passed; limits
    // first: a verification one refuses spends nothing of the others, nor of the credits.
    const takes = limitsToTake(key, options.ratelimits ?? []);
    const limited = takes.length === 0 ? undefined : await this.#context.store.takeRateLimits(takes, at);
    const ratelimits = limited ? { ratelimits: limited.states } : {};
    if (limited && !limited.admitted) return ok({ valid: false, code: 'RATE_LIMITED', key, ...ratelimits });
    if (key.credits === null) return ok({ valid: true, code, key, ...ratelimits });
    const cost = options.cost ?? 1;
    const spent = await this.#context.store.spendCredits(key.id, { cost, at, refill: key.credits.refill });
    // No credits any more: the key was made unlimited (or deleted) since it was read.
    if (spent === null) return ok({ valid: true, code, key, ...ratelimits });
    const { remaining } = spent.credits;
    return spent.spent
      ? ok({ valid: true, code, key, creditsRemaining: remaining, ...ratelimits })
      : ok({ valid: false, code: 'USAGE_EXCEEDED', key, creditsRemaining: remaining, ...ratelimits });
  }

  /**
   * The key a secret names in the caller's organization, as it is (disabled and expired
   * keys too), without counting as a use of it. Not found: no such key, another
   * organization's, or a secret rotated out.
   */
  async identifyKey(principal: Principal, secret: string): Promise<Result<ApiKey>> {
    const denied = requirePermission(principal, 'api_keys', 'read');
    if (denied) return denied;
    const match = await this.#keyInOrganization(principal, secret);
    if (!match) return fail('not_found', 'No API key has this secret.');
    const { store, usage, now } = this.#context;
    return ok(usage.overlay(await withStoredCredits(store, match.key, now())));
  }

  /**
   * The key a presented secret names in the caller's organization (its current secret, or the
   * previous one during its grace), as the store (or its cache) has it, without this
   * instance's latest use; null for anything else.
   */
  async #keyInOrganization(principal: Principal, secret: string): Promise<SecretMatch | null> {
    const found = await this.#lookUpSecret(secret, this.#inStore);
    if (!found || found.key.organizationId !== principal.organizationId || !this.#secretStillValid(found)) return null;
    return found;
  }

  /**
   * The key a secret names: by keyplane's digest, or else, once keys were imported, by the
   * digest another system kept of it. A secret not in keyplane's format is looked up only then:
   * until a key is imported, it can name none, and floods of random strings never reach the store.
   */
  async #lookUpSecret(secret: string, keys: KeySource): Promise<SecretMatch | null | undefined> {
    const wellFormed = isWellFormedSecret(secret);
    if (!wellFormed && keys === this.#inStore && !(await keys.holdsImportedKeys())) return null;
    const found = await keys.bySecret(this.#context.digest(secret));
    if (found !== null || keys !== this.#inStore || !(await keys.holdsImportedKeys())) return found;
    const importedDigest = importedDigestOf(secret);
    const imported = await keys.bySecret(importedDigest);
    return imported ? { ...imported, importedDigest } : null;
  }

  /** An imported key's first good use: from now on it is found by keyplane's digest, and shows its start. */
  async #rehash(match: { key: ApiKey; importedDigest?: string }, secret: string): Promise<void> {
    if (match.importedDigest === undefined) return;
    try {
      await this.#context.store.rehashKey(match.key.id, {
        from: match.importedDigest,
        secretHash: this.#context.digest(secret),
        ...describeSecret(secret),
      });
    } catch {
      // The use stands; the next one tries again.
    }
  }

  async #authenticateToken(
    tokens: TokenAuthority,
    token: string,
    requestId: string,
    from: string | undefined,
    keys: KeySource,
  ): Promise<Result<Principal> | undefined> {
    const verified = await tokens.verify(token);
    if (!verified.ok) return verified;
    const { keyId, organizationId, permissions } = verified.value;
    // The key is read on every request: a token dies with its key, whatever its expiry.
    const key = isCanonicalId(keyId) ? await keys.byId(organizationId, keyId) : null;
    if (key === undefined) return undefined;
    if (!key) return fail('unauthenticated', 'The access token belongs to a key that no longer exists.');
    const unusable = this.#unusable(key);
    if (unusable) return unusable;
    if (!this.#secretWorks(key, generationOf(verified.value, key))) {
      return fail('unauthenticated', 'The access token was obtained with a secret that no longer works.');
    }
    if (!keyAllowedFrom(key, from)) return notFromHere();
    const grants = permissions.map(parsePermission).filter((parsed): parsed is Grant => parsed !== null);
    this.#context.usage.record(key.id, this.#context.now());
    return ok({ organizationId, keyId, access: narrow(keyAccess(key), grants), requestId });
  }

  /** The current secret always works; the one before it only until its grace period ends; older ones never. */
  #secretWorks(key: ApiKey, generation: number): boolean {
    if (generation === key.secretGeneration) return true;
    return generation === key.secretGeneration - 1 && this.#inGrace(key.previousSecretExpiresAt);
  }

  /** The key a secret names, if it may be used now, and which of its secrets it is; undefined when `keys` cannot tell. */
  async #findUsableKey(
    secret: string,
    keys: KeySource,
  ): Promise<Result<{ key: ApiKey; secretGeneration: number; importedDigest?: string }> | undefined> {
    const found = await this.#lookUpSecret(secret, keys);
    if (found === undefined) return undefined;
    if (!found || !this.#secretStillValid(found)) return fail('unauthenticated', 'The credential is not valid.');
    const secretGeneration = found.matched === 'current' ? found.key.secretGeneration : found.key.secretGeneration - 1;
    const importedDigest = found.importedDigest === undefined ? {} : { importedDigest: found.importedDigest };
    return this.#unusable(found.key) ?? ok({ key: found.key, secretGeneration, ...importedDigest });
  }

  /** Why an existing key cannot be used now, or null when it can. */
  #unusable(key: ApiKey): Err | null {
    if (key.status !== 'enabled') return fail('unauthenticated', 'The API key is disabled.');
    if (this.#expired(key)) return fail('unauthenticated', 'The API key has expired.');
    return null;
  }

  #inGrace(previousSecretExpiresAt: Date | null): boolean {
    return previousSecretExpiresAt !== null && previousSecretExpiresAt.getTime() > this.#context.now().getTime();
  }

  #secretStillValid(found: KeyBySecret): boolean {
    return found.matched === 'current' || this.#inGrace(found.key.previousSecretExpiresAt);
  }

  #expired(key: ApiKey): boolean {
    return key.expiresAt !== null && key.expiresAt.getTime() <= this.#context.now().getTime();
  }
}

/**
 * Which secret obtained a token. Tokens issued before keyplane recorded it are placed by
 * their time: before the last rotation, the replaced secret; after it, the current one.
 */
function generationOf(claims: TokenClaims, key: ApiKey): number {
  if (claims.secretGeneration !== null) return claims.secretGeneration;
  return key.rotatedAt && claims.issuedAt < key.rotatedAt ? key.secretGeneration - 1 : key.secretGeneration;
}
