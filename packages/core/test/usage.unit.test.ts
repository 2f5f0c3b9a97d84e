import { describe, expect, it } from 'vitest';
import type { ApiKey, KeyUsageStore } from '../src/index.js';
import { KeyUsage } from '../src/usage.js';

const stored = (id: string, lastUsedAt: Date | null = null) => ({ id, lastUsedAt }) as ApiKey;

/** A usage port that records each batch written, and fails while told to. */
function recordingStore() {
  const batches: { id: string; usedAt: Date }[][] = [];
  let failing = false;
  const store: KeyUsageStore = {
    async recordKeyUsage(usage) {
      if (failing) throw new Error('unreachable');
      batches.push(usage.map((use) => ({ ...use })));
    },
  };
  return { store, batches, fail: (value: boolean) => (failing = value) };
}

describe('key usage', () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

  it('writes the latest use of each key in one batch, showing it on reads while pending and once written', async () => {
    const { store, batches } = recordingStore();
    // What memory says was written since it read each key: here, whatever this usage wrote.
    const written = new Map<string, Date>();
    const usage = new KeyUsage(
      {
        recordKeyUsage: async (uses) => {
          await store.recordKeyUsage(uses);
          for (const { id, usedAt } of uses) written.set(id, usedAt);
        },
      },
      60_000,
      (keyId) => written.get(keyId),
    );
    usage.record('k1', at(2));
    usage.record('k1', at(1));
    usage.record('k2', at(3));
    expect(usage.overlay(stored('k1')).lastUsedAt).toEqual(at(2));
    await usage.flush();
    expect(batches).toEqual([
      [
        { id: 'k1', usedAt: at(2) },
        { id: 'k2', usedAt: at(3) },
      ],
    ]);
    // Written, it is still shown over a key as memory held it before the use.
    expect(usage.overlay(stored('k1')).lastUsedAt).toEqual(at(2));
    await usage.flush();
    expect(batches).toHaveLength(1);
    // A use pending is shown over an older one written.
    usage.record('k2', at(4));
    expect(usage.overlay(stored('k2', at(0))).lastUsedAt).toEqual(at(4));
    await usage.close();
  });

  it('never moves a key’s last use back, nor copies a key it has nothing newer for', async () => {
    const usage = new KeyUsage(recordingStore().store, 60_000);
    usage.record('k1', at(5));
    expect(usage.overlay(stored('k1', at(9))).lastUsedAt).toEqual(at(9));
    const untouched = stored('k2', at(1));
    expect(usage.overlay(untouched)).toBe(untouched);
    await usage.close();
  });

  it('keeps what it could not write for the next attempt', async () => {
    const { store, batches, fail } = recordingStore();
    const usage = new KeyUsage(store, 60_000);
    usage.record('k1', at(1));
    fail(true);
    await usage.flush();
    expect(batches).toEqual([]);
    fail(false);
    usage.record('k2', at(2));
    await usage.close();
    expect(batches).toEqual([
      [
        { id: 'k1', usedAt: at(1) },
        { id: 'k2', usedAt: at(2) },
      ],
    ]);
  });
});
