import { randomUUID } from 'node:crypto';
import type { ApiKey, AuditEvent, KeyBySecret, KeyplaneStore } from '@keyplane/core';
import { describe, expect, it } from 'vitest';
import { withKeyCache } from '../src/index.js';

/** A store that counts reads and answers from a map, to watch the cache in front of it. */
function countingStore() {
  const keys = new Map<string, ApiKey>();
  const reads = { bySecret: 0, byId: 0 };
  const questions = { imports: 0 };
  const key = (id: string): ApiKey => ({
    id,
    organizationId: 'org',
    applicationId: 'app',
    name: 'k',
    status: 'enabled',
    access: { restricted: false },
    hint: 'kp_abcd',
    lastFour: 'wxyz',
    createdBy: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    lastUsedAt: null,
    expiresAt: null,
    rotatedAt: null,
    previousSecretExpiresAt: null,
    secretGeneration: 1,
    meta: null,
    ipAllowlist: null,
    identity: null,
    roles: [],
    credits: null,
    ratelimits: [],
  });
  const store = {
    async holdsImportedKeys() {
      questions.imports += 1;
      return false;
    },
    async findKeyBySecretHash(hash: string): Promise<KeyBySecret | null> {
      reads.bySecret += 1;
      const found = keys.get(hash);
      return found ? { key: found, matched: 'current' } : null;
    },
    async findKeyById(_organizationId: string, id: string) {
      reads.byId += 1;
      return [...keys.values()].find((candidate) => candidate.id === id) ?? null;
    },
    async deleteKey(_organizationId: string, id: string) {
      for (const [hash, candidate] of keys) if (candidate.id === id) keys.delete(hash);
      return true;
    },
    async updateKey(_organizationId: string, id: string) {
      for (const [hash, candidate] of keys)
        if (candidate.id === id) keys.set(hash, { ...candidate, status: 'disabled' });
      return null;
    },
  } as unknown as KeyplaneStore;
  return { store, keys, reads, key, questions };
}

const audit = {} as AuditEvent;

describe('the key cache', () => {
  it('serves repeated lookups from memory', async () => {
    const { store, keys, reads, key } = countingStore();
    keys.set('digest', key('k1'));
    const cached = withKeyCache(store);
    for (let index = 0; index < 5; index += 1) await cached.findKeyBySecretHash('digest');
    expect(reads.bySecret).toBe(1);
  });

  it('never serves a key after a write changed or removed it', async () => {
    const { store, keys, key } = countingStore();
    keys.set('digest', key('k1'));
    const cached = withKeyCache(store);
    await cached.findKeyBySecretHash('digest');
    await cached.updateKey('org', 'k1', () => ({ change: { status: 'disabled', updatedAt: new Date() }, audit }));
    expect((await cached.findKeyBySecretHash('digest'))?.key.status).toBe('disabled');
    await cached.deleteKey('org', 'k1', undefined, audit);
    expect(await cached.findKeyBySecretHash('digest')).toBeNull();
  });

  it('does not keep a read that a write overtook', async () => {
    const { store, keys, key } = countingStore();
    keys.set('digest', key('k1'));
    const cached = withKeyCache(store);
    const read = cached.findKeyBySecretHash('digest');
    await cached.deleteKey('org', 'k1', undefined, audit);
    await read;
    expect(await cached.findKeyBySecretHash('digest')).toBeNull();
  });

  it('answers by id only within the organization', async () => {
    const { store, keys, key, reads } = countingStore();
    const cached = withKeyCache(store);
    keys.set('later', key('k2'));
    await cached.findKeyById('org', 'k2');
    expect(await cached.findKeyById(randomUUID(), 'k2')).toBeNull();
    expect(reads.byId).toBe(1);
  });

  it('answers a digest that named no key as naming none for a few seconds, without the store', async () => {
    const { store, keys, key, reads } = countingStore();
    let clock = 0;
    const cached = withKeyCache(store, { absentForMs: 5_000, now: () => clock });
    for (let attempt = 0; attempt < 1_000; attempt += 1) expect(await cached.findKeyBySecretHash('wrong')).toBeNull();
    expect(reads.bySecret).toBe(1);
    // Until the deadline; then the store is asked again.
    keys.set('wrong', key('k3'));
    clock = 4_999;
    expect(await cached.findKeyBySecretHash('wrong')).toBeNull();
    clock = 5_000;
    expect((await cached.findKeyBySecretHash('wrong'))?.key.id).toBe('k3');
    expect(reads.bySecret).toBe(2);
  });

  it('forgets every digest that named no key as soon as a key is created or given a new secret', async () => {
    const { store, keys, key, reads } = countingStore();
    const cached = withKeyCache({ ...store, insertKey: async () => null, rotateKey: async () => null });
    expect(await cached.findKeyBySecretHash('a')).toBeNull();
    keys.set('a', key('k1'));
    await cached.insertKey({ id: 'k1' } as never, audit, 10);
    expect((await cached.findKeyBySecretHash('a'))?.key.id).toBe('k1');
    expect(await cached.findKeyBySecretHash('b')).toBeNull();
    keys.set('b', key('k2'));
    await cached.rotateKey('org', 'k2', () => ({ ok: false, error: { kind: 'forbidden', message: 'no' } }));
    expect((await cached.findKeyBySecretHash('b'))?.key.id).toBe('k2');
    expect(reads.bySecret).toBe(4);
  });

  it('keeps the last use written of each key it holds, until the key changes', async () => {
    const { store, keys, key } = countingStore();
    keys.set('a', key('k1'));
    const cached = withKeyCache({ ...store, recordKeyUsage: async () => {} });
    await cached.findKeyBySecretHash('a');
    const usedAt = new Date('2030-01-01T00:00:00Z');
    await cached.recordKeyUsage([
      { id: 'k1', usedAt },
      { id: 'not-held', usedAt },
    ]);
    expect(cached.peekWrittenUse?.('k1')).toEqual(usedAt);
    // An older time written later does not move it back; a key not held is not kept.
    await cached.recordKeyUsage([{ id: 'k1', usedAt: new Date('2029-01-01T00:00:00Z') }]);
    expect(cached.peekWrittenUse?.('k1')).toEqual(usedAt);
    expect(cached.peekWrittenUse?.('not-held')).toBeUndefined();
    await cached.deleteKey('org', 'k1', undefined, audit);
    expect(cached.peekWrittenUse?.('k1')).toBeUndefined();
  });

  it('makes room by dropping every entry of the key held longest', async () => {
    const { store, keys, key, reads } = countingStore();
    for (const id of ['k1', 'k2', 'k3']) keys.set(`digest-${id}`, key(id));
    const cached = withKeyCache(store, { maxEntries: 2 });
    await cached.findKeyBySecretHash('digest-k1');
    await cached.findKeyById('org', 'k1');
    await cached.findKeyBySecretHash('digest-k2');
    await cached.findKeyBySecretHash('digest-k3');
    // k1 made room for k3 by its digest, and went by its id too.
    expect(cached.peekKeyBySecretHash?.('digest-k1')).toBeUndefined();
    expect(cached.peekKeyById?.('org', 'k1')).toBeUndefined();
    expect(cached.peekKeyBySecretHash?.('digest-k2')?.key.id).toBe('k2');
    expect(cached.peekKeyBySecretHash?.('digest-k3')?.key.id).toBe('k3');
    expect(reads).toEqual({ bySecret: 3, byId: 1 });
  });

  it('keeps keys in memory as they are when their last use is written: a use is no change of the key', async () => {
    const { store, keys, key, reads } = countingStore();
    keys.set('a', key('k1'));
    let written = 0;
    const cached = withKeyCache({
      ...store,
      recordKeyUsage: async () => {
        written += 1;
      },
    });
    const bySecret = await cached.findKeyBySecretHash('a');
    const byId = await cached.findKeyById('org', 'k1');
    await cached.recordKeyUsage([{ id: 'k1', usedAt: new Date('2030-01-01T00:00:00Z') }]);
    expect(written).toBe(1);
    expect(await cached.findKeyBySecretHash('a')).toBe(bySecret);
    expect(await cached.findKeyById('org', 'k1')).toBe(byId);
    expect(reads).toEqual({ bySecret: 1, byId: 1 });
  });
});

/** A coherence whose trust and messages the test controls. */
function controlledCoherence() {
  let trusted = true;
  let drop: (keyId: string) => void = () => {};
  const published: string[] = [];
  let release: () => void = () => {};
  const coherence = {
    trusted: () => trusted,
    onInvalidate: (handler: (keyId: string) => void) => {
      drop = handler;
    },
    published: (keyId: string) => {
      published.push(keyId);
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    close: async () => {},
  };
  return {
    coherence,
    published,
    setTrusted: (value: boolean) => {
      trusted = value;
    },
    invalidate: (keyId: string) => drop(keyId),
    acknowledge: () => release(),
  };
}

describe('the key cache of one instance among several', () => {
  it('drops a key another instance changed, and everything when told so', async () => {
    const { store, keys, key, reads } = countingStore();
    keys.set('a', key('k1'));
    keys.set('b', key('k2'));
    const control = controlledCoherence();
    const cached = withKeyCache(store, { coherence: control.coherence });
    await cached.findKeyBySecretHash('a');
    await cached.findKeyBySecretHash('b');
    control.invalidate('k1');
    await cached.findKeyBySecretHash('a');
    await cached.findKeyBySecretHash('b');
    expect(reads.bySecret).toBe(3);
    control.invalidate('*');
    await cached.findKeyBySecretHash('b');
    expect(reads.bySecret).toBe(4);
  });

  it('reads through, keeping nothing, while it cannot show it hears of changes', async () => {
    const { store, keys, key, reads } = countingStore();
    keys.set('a', key('k1'));
    const control = controlledCoherence();
    const cached = withKeyCache(store, { coherence: control.coherence });
    await cached.findKeyBySecretHash('a');
    control.setTrusted(false);
    await cached.findKeyBySecretHash('a');
    await cached.findKeyBySecretHash('a');
    expect(reads.bySecret).toBe(3);
    control.setTrusted(true);
    await cached.findKeyBySecretHash('a');
    await cached.findKeyBySecretHash('a');
    expect(reads.bySecret).toBe(4);
  });

  it('asks the store again for a digest that named no key once it may have missed a change', async () => {
    const { store, keys, key, reads } = countingStore();
    const control = controlledCoherence();
    const cached = withKeyCache(store, { coherence: control.coherence });
    expect(await cached.findKeyBySecretHash('a')).toBeNull();
    keys.set('a', key('k1'));
    control.setTrusted(false);
    expect((await cached.findKeyBySecretHash('a'))?.key.id).toBe('k1');
    control.setTrusted(true);
    expect(await cached.findKeyBySecretHash('b')).toBeNull();
    control.invalidate('*');
    keys.set('b', key('k2'));
    expect((await cached.findKeyBySecretHash('b'))?.key.id).toBe('k2');
    expect(reads.bySecret).toBe(4);
  });

  it('answers a write only once every instance has dropped the key', async () => {
    const { store, keys, key } = countingStore();
    keys.set('a', key('k1'));
    const control = controlledCoherence();
    const cached = withKeyCache(store, { coherence: control.coherence });
    let answered = false;
    const deleting = cached.deleteKey('org', 'k1', undefined, audit).then(() => {
      answered = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(control.published).toEqual(['k1']);
    expect(answered).toBe(false);
    control.acknowledge();
    await deleting;
    expect(answered).toBe(true);
  });
});

describe('the key cache of one instance among several, when nothing was written', () => {
  it('tells the other instances nothing of a write that found no key or was refused', async () => {
    const { store } = countingStore();
    const control = controlledCoherence();
    const cached = withKeyCache(
      {
        ...store,
        deleteKey: async () => false,
        updateKey: async () => ({ ok: false as const, error: { kind: 'forbidden' as const, message: 'no' } }),
      },
      { coherence: control.coherence },
    );
    await cached.deleteKey('org', 'k1', undefined, audit);
    await cached.updateKey('org', 'k1', () => ({ ok: false, error: { kind: 'forbidden', message: 'no' } }));
    expect(control.published).toEqual([]);
  });
});

describe('what memory alone knows (the look-ups that prove a credential good without the store)', () => {
  it('knows a key only once it was read, never reads the store, and forgets it with every change', async () => {
    const { store, keys, key, reads } = countingStore();
    keys.set('a', key('k1'));
    const control = controlledCoherence();
    const cached = withKeyCache(store, { coherence: control.coherence });
    expect(cached.peekKeyBySecretHash?.('a')).toBeUndefined();
    expect(cached.peekKeyById?.('org', 'k1')).toBeUndefined();
    expect(reads).toEqual({ bySecret: 0, byId: 0 });
    await cached.findKeyBySecretHash('a');
    await cached.findKeyById('org', 'k1');
    expect(cached.peekKeyBySecretHash?.('a')?.key.id).toBe('k1');
    expect(cached.peekKeyById?.('org', 'k1')?.id).toBe('k1');
    // Another organization's key is no key of the caller's.
    expect(cached.peekKeyById?.('other', 'k1')).toBeNull();
    control.invalidate('k1');
    expect(cached.peekKeyBySecretHash?.('a')).toBeUndefined();
    expect(cached.peekKeyById?.('org', 'k1')).toBeUndefined();
    expect(reads).toEqual({ bySecret: 1, byId: 1 });
  });

  it('knows nothing while the cache cannot show it hears of changes, nor what a write overtook', async () => {
    const { store, keys, key } = countingStore();
    keys.set('a', key('k1'));
    const control = controlledCoherence();
    const cached = withKeyCache(store, { coherence: control.coherence });
    await cached.findKeyBySecretHash('a');
    control.setTrusted(false);
    expect(cached.peekKeyBySecretHash?.('a')).toBeUndefined();
    control.setTrusted(true);
    const read = cached.findKeyBySecretHash('a');
    const deleting = cached.deleteKey('org', 'k1', undefined, audit);
    await read;
    expect(cached.peekKeyBySecretHash?.('a')).toBeUndefined();
    control.acknowledge();
    await deleting;
  });

  it('asks the store once whether it holds imported keys, however many look-ups miss at once', async () => {
    const { store, questions } = countingStore();
    const cached = withKeyCache(store);
    const answers = await Promise.all(Array.from({ length: 100 }, () => cached.holdsImportedKeys()));
    expect(answers.every((holds) => holds === false)).toBe(true);
    expect(await cached.holdsImportedKeys()).toBe(false);
    expect(questions.imports).toBe(1);
  });

  it('asks the store once for a digest however many look-ups of it arrive at once', async () => {
    const { store, keys, key, reads } = countingStore();
    keys.set('known', key('k1'));
    const cached = withKeyCache(store);
    const unknown = await Promise.all(Array.from({ length: 100 }, () => cached.findKeyBySecretHash('unknown')));
    expect(unknown.every((found) => found === null)).toBe(true);
    const known = await Promise.all(Array.from({ length: 100 }, () => cached.findKeyBySecretHash('known')));
    expect(known.every((found) => found?.key.id === 'k1')).toBe(true);
    expect(reads.bySecret).toBe(2);
  });

  it('asks the store again for a look-up arriving after a change, rather than join one asked before it', async () => {
    const { store, keys, key, reads } = countingStore();
    // The first look-up's answer is held until the test lets it go.
    let letGo: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    const cached = withKeyCache({
      ...store,
      insertKey: async () => null,
      async findKeyBySecretHash(digest) {
        const answer = store.findKeyBySecretHash(digest);
        if (reads.bySecret === 1) await held;
        return answer;
      },
    });
    const before = cached.findKeyBySecretHash('digest');
    // The key is created while the first look-up is on its way: one arriving after must find it.
    keys.set('digest', key('k1'));
    await cached.insertKey({ id: 'k1' } as never, audit, 10);
    const after = cached.findKeyBySecretHash('digest');
    expect((await after)?.key.id).toBe('k1');
    letGo();
    expect(await before).toBeNull();
    expect(reads.bySecret).toBe(2);
    expect((await cached.findKeyBySecretHash('digest'))?.key.id).toBe('k1');
  });

  it('lets the look-ups that joined a question that failed ask again on their own', async () => {
    const { store, keys, key, reads } = countingStore();
    keys.set('digest', key('k1'));
    let failing = true;
    const cached = withKeyCache({
      ...store,
      async findKeyBySecretHash(digest) {
        const answer = await store.findKeyBySecretHash(digest);
        if (failing) {
          failing = false;
          throw new Error('the store blinked');
        }
        return answer;
      },
    });
    const [first, ...joined] = await Promise.allSettled(
      Array.from({ length: 5 }, () => cached.findKeyBySecretHash('digest')),
    );
    expect(first?.status).toBe('rejected');
    expect(joined.map((settled) => settled.status === 'fulfilled' && settled.value?.key.id)).toEqual([
      'k1',
      'k1',
      'k1',
      'k1',
    ]);
    expect(reads.bySecret).toBe(5);
  });
});
