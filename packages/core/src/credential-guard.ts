import type { CredentialCheck } from './credentials.js';
import { type Err, fail, type KeyplaneError, type Ok, type Result } from './result.js';

/** Where a client or a key stands against a limit. */
export interface Allowance {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  readonly resetSeconds: number;
}

/** Leave to look one credential up, holding one of its client address's points until the credential is judged. */
export interface Admission {
  readonly admitted: true;
  /** Whether it waited for a point: memory may have learnt the credential meanwhile. */
  readonly waited: boolean;
  /** The credential was good, or never judged: the point is free again. */
  release(): void;
  /** The credential was wrong: the point stays taken, and may lock the address out. */
  fail(): Promise<void>;
}

/**
 * Why a look-up was not let through: its address is locked out, no point came free in time,
 * or it needs none any more: while it waited, memory learnt its credential (`proven`).
 */
export interface Refusal {
  readonly admitted: false;
  /** The lockout; null when the address is not locked out. */
  readonly lockedOut: Allowance | null;
  readonly proven?: true;
}

/** Asked again while a look-up waits: whether memory now proves its credential good. */
export type ProvenYet = () => Promise<boolean>;

/**
 * The limits credential attempts are counted against: failed attempts per client address
 * (which lock it out), and requests per key.
 */
export interface AttemptLimits {
  /** The lockout of a client address, or null when it is not locked out. */
  lockedOut(client: string): Promise<Allowance | null>;
  /** Leave to look up a credential memory could not prove good, waiting in line for it when the address has none free. */
  admit(client: string, provenYet?: ProvenYet): Promise<Admission | Refusal>;
  /** Counts one request of a key; null when keys are not limited. */
  consume(keyId: string): Promise<Allowance | null>;
}

/** A credential refused for its limits, not for what it is: with where it stands, to tell the client when to come back. */
export interface LimitRefusal {
  readonly kind: 'rate_limited';
  readonly message: string;
  /** `lockout`: the client address failed too often; `key_rate`: the key is over its request rate. */
  readonly reason: 'lockout' | 'key_rate';
  readonly allowance: Allowance;
}

/** A good credential, and where its key stands against its request rate (null: not limited). */
export interface Admitted<T> {
  readonly value: T;
  readonly allowance: Allowance | null;
}

const refusal = (reason: LimitRefusal['reason'], allowance: Allowance): Err<LimitRefusal> => ({
  ok: false,
  error: {
    kind: 'rate_limited',
    reason,
    allowance,
    message:
      reason === 'lockout'
        ? 'Too many failed authentications from this client; try again later.'
        : 'Too many requests for this key; try again later.',
  },
});

/**
 * The one protocol of every credential attempt (a request's key or token, a client-credentials
 * grant): refused while the client address is locked out; proven from memory with no more ado
 * when it can be; otherwise looked up under one of the address's points (waiting in line for
 * one when all are taken), which stays taken as a failure when the credential is wrong and
 * comes back the moment it is not; and a good credential of a key counts one request of that key.
 */
export async function guardCredential<T>(
  limits: AttemptLimits | undefined,
  client: string,
  check: CredentialCheck<T>,
  keyIdOf: (value: T) => string | null,
): Promise<Result<Admitted<T>, KeyplaneError | LimitRefusal>> {
  const judged = await judge(limits, client, check);
  if (!judged.ok) return judged;
  const keyId = keyIdOf(judged.value);
  const allowance = keyId === null || !limits ? null : await limits.consume(keyId);
  if (allowance && !allowance.allowed) return refusal('key_rate', allowance);
  return { ok: true, value: { value: judged.value, allowance } };
}

async function judge<T>(
  limits: AttemptLimits | undefined,
  client: string,
  check: CredentialCheck<T>,
): Promise<Result<T, KeyplaneError | LimitRefusal>> {
  const lockedOut = await limits?.lockedOut(client);
  if (lockedOut) return refusal('lockout', lockedOut);
  let proven: Ok<T> | undefined = await check.proveFromMemory();
  if (proven) return proven;
  const provenYet = async () => {
    proven = await check.proveFromMemory();
    return proven !== undefined;
  };
  const admission = limits ? await limits.admit(client, provenYet) : undefined;
  if (admission && !admission.admitted) {
    if (admission.proven && proven) return proven;
    return admission.lockedOut
      ? refusal('lockout', admission.lockedOut)
      : fail('unavailable', 'Too many credentials of this client are being looked up; try again shortly.');
  }
  let result: Result<T>;
  try {
    // While it waited, another look-up may have brought its credential into memory.
    result = (admission?.waited && (await provenYet()) ? proven : undefined) ?? (await check.lookUp());
  } catch (error) {
    admission?.release();
    throw error;
  }
  if (!result.ok && result.error.kind === 'unauthenticated') await admission?.fail();
  else admission?.release();
  return result;
}
