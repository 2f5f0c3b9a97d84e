import { describe, expect, it } from 'vitest';
import {
  type Allowance,
  type AttemptLimits,
  type CredentialCheck,
  fail,
  guardCredential,
  ok,
  type Result,
} from '../src/index.js';

const allowance = (allowed: boolean): Allowance => ({
  allowed,
  limit: 10,
  remaining: allowed ? 9 : 0,
  resetSeconds: 30,
});

/** Limits that record what the guard asks of them, answering as told. */
function recordingLimits(answers: { lockedOut?: boolean; admitted?: boolean; keyAllowed?: boolean } = {}) {
  const asked: string[] = [];
  const limits: AttemptLimits = {
    async lockedOut(client) {
      asked.push(`lockedOut ${client}`);
      return answers.lockedOut ? allowance(false) : null;
    },
    async admit(client) {
      asked.push(`admit ${client}`);
      if (answers.admitted === false) return { admitted: false, lockedOut: allowance(false) };
      return {
        admitted: true,
        waited: false,
        release: () => void asked.push('release'),
        fail: async () => void asked.push('fail'),
      };
    },
    async consume(keyId) {
      asked.push(`consume ${keyId}`);
      return allowance(answers.keyAllowed ?? true);
    },
  };
  return { limits, asked };
}

/** A credential memory proves (or not), whose look-up answers `outcome`. */
function credential(outcome: Result<string>, inMemory = false) {
  let lookUps = 0;
  const check: CredentialCheck<string> = {
    proveFromMemory: async () => (inMemory && outcome.ok ? outcome : undefined),
    lookUp: async () => {
      lookUps += 1;
      return outcome;
    },
  };
  return { check, lookUps: () => lookUps };
}

const keyOf = (value: string) => (value === 'root' ? null : value);

describe('the credential guard', () => {
  it('refuses a locked-out client before anything is looked up', async () => {
    const { limits, asked } = recordingLimits({ lockedOut: true });
    const { check, lookUps } = credential(ok('k1'));
    const guarded = await guardCredential(limits, 'client', check, keyOf);
    expect(guarded).toMatchObject({ ok: false, error: { kind: 'rate_limited', reason: 'lockout' } });
    expect(lookUps()).toBe(0);
    expect(asked).toEqual(['lockedOut client']);
  });

  it('takes no point of the client for a credential memory proves good, and counts the key’s request', async () => {
    const { limits, asked } = recordingLimits();
    const { check, lookUps } = credential(ok('k1'), true);
    const guarded = await guardCredential(limits, 'client', check, keyOf);
    expect(guarded).toEqual({ ok: true, value: { value: 'k1', allowance: allowance(true) } });
    expect(lookUps()).toBe(0);
    expect(asked).toEqual(['lockedOut client', 'consume k1']);
  });

  it('keeps the point taken for a wrong credential, and gives it back for a good one', async () => {
    const wrong = recordingLimits();
    const refused = await guardCredential(
      wrong.limits,
      'client',
      credential(fail('unauthenticated', 'no')).check,
      keyOf,
    );
    expect(refused).toMatchObject({ ok: false, error: { kind: 'unauthenticated' } });
    expect(wrong.asked).toEqual(['lockedOut client', 'admit client', 'fail']);

    const good = recordingLimits();
    expect((await guardCredential(good.limits, 'client', credential(ok('k1')).check, keyOf)).ok).toBe(true);
    expect(good.asked).toEqual(['lockedOut client', 'admit client', 'release', 'consume k1']);

    // A good credential refused for another reason (a key used from the wrong address) is no failed guess.
    const elsewhere = recordingLimits();
    await guardCredential(elsewhere.limits, 'client', credential(fail('forbidden', 'not here')).check, keyOf);
    expect(elsewhere.asked).toEqual(['lockedOut client', 'admit client', 'release']);
  });

  it('refuses a key over its request rate, and never counts the root credential', async () => {
    const over = recordingLimits({ keyAllowed: false });
    expect(await guardCredential(over.limits, 'client', credential(ok('k1'), true).check, keyOf)).toMatchObject({
      ok: false,
      error: { kind: 'rate_limited', reason: 'key_rate', allowance: allowance(false) },
    });
    const root = recordingLimits({ keyAllowed: false });
    expect(await guardCredential(root.limits, 'client', credential(ok('root'), true).check, keyOf)).toEqual({
      ok: true,
      value: { value: 'root', allowance: null },
    });
    expect(root.asked).toEqual(['lockedOut client']);
  });

  it('refuses without a look-up when the client was locked out while it waited', async () => {
    const { limits } = recordingLimits({ admitted: false });
    const { check, lookUps } = credential(ok('k1'));
    expect(await guardCredential(limits, 'client', check, keyOf)).toMatchObject({
      ok: false,
      error: { reason: 'lockout' },
    });
    expect(lookUps()).toBe(0);
  });

  it('gives the point back when a look-up fails outright', async () => {
    const { limits, asked } = recordingLimits();
    const broken: CredentialCheck<string> = {
      proveFromMemory: async () => undefined,
      lookUp: async () => {
        throw new Error('store down');
      },
    };
    await expect(guardCredential(limits, 'client', broken, keyOf)).rejects.toThrow('store down');
    expect(asked).toEqual(['lockedOut client', 'admit client', 'release']);
  });

  it('judges every credential alike without limits', async () => {
    const { check, lookUps } = credential(ok('k1'));
    expect(await guardCredential(undefined, 'client', check, keyOf)).toEqual({
      ok: true,
      value: { value: 'k1', allowance: null },
    });
    expect(lookUps()).toBe(1);
  });
});
