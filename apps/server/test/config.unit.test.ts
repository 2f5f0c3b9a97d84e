import { randomBytes } from 'node:crypto';
import { generateSecret } from '@keyplane/core';
import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../src/config.js';

const withRootKey = (rootKey: string) => readConfig({ KEYPLANE_ROOT_KEY: rootKey });

describe('the root key setting', () => {
  it.each([
    ['a single character', 'a'],
    ['31 random characters', randomBytes(32).toString('base64url').slice(0, 31)],
    ['32 identical characters', 'a'.repeat(32)],
    ['32 characters of two kinds', 'ab'.repeat(16)],
  ])('refuses %s, naming the variable, why, and how to make a good one', (_, rootKey) => {
    expect(() => withRootKey(rootKey)).toThrow(ConfigError);
    expect(() => withRootKey(rootKey)).toThrow(/KEYPLANE_ROOT_KEY: .*at least 32 characters/);
    expect(() => withRootKey(rootKey)).toThrow(/openssl rand -base64 32/);
  });

  it('accepts a keyplane key', () => {
    const rootKey = generateSecret();
    expect(withRootKey(rootKey).rootKey).toBe(rootKey);
  });

  it('accepts 32 random bytes written in base64url', () => {
    const rootKey = randomBytes(32).toString('base64url');
    expect(rootKey).toHaveLength(43);
    expect(withRootKey(rootKey).rootKey).toBe(rootKey);
  });

  it('accepts 32 random bytes written in base64, as openssl rand -base64 32 prints them', () => {
    const rootKey = randomBytes(32).toString('base64');
    expect(withRootKey(rootKey).rootKey).toBe(rootKey);
  });

  it('is optional: without it a root key is generated', () => {
    expect(readConfig({}).rootKey).toBeUndefined();
  });
});
