import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeSettings, readConfig, SETTINGS } from '../src/config.js';
import { environmentExample, withConfigurationTable } from '../src/configuration-docs.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const ENV_EXAMPLE = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');

describe('the one configuration schema', () => {
  it('documents every variable with its default, its values and its meaning', () => {
    for (const setting of describeSettings()) {
      expect(setting.meaning.length, setting.name).toBeGreaterThan(10);
      expect(setting.default, setting.name).not.toBe('');
      expect(setting.bounds, setting.name).not.toBe('text');
    }
  });

  it('is what the README table and .env.example say: run `pnpm generate` when this fails', () => {
    expect(withConfigurationTable(README)).toBe(README);
    expect(ENV_EXAMPLE).toBe(environmentExample());
    for (const name of Object.keys(SETTINGS)) expect(README).toContain(`| \`${name}\` |`);
  });

  it('reads the log level and the metrics port, within bounds', () => {
    expect(readConfig({}).logLevel).toBe('info');
    expect(readConfig({}).metricsPort).toBeUndefined();
    expect(readConfig({ KEYPLANE_LOG_LEVEL: 'debug', KEYPLANE_METRICS_PORT: '9464' })).toMatchObject({
      logLevel: 'debug',
      metricsPort: 9464,
    });
    expect(() => readConfig({ KEYPLANE_LOG_LEVEL: 'loud' })).toThrow(/KEYPLANE_LOG_LEVEL/);
    expect(() => readConfig({ KEYPLANE_METRICS_PORT: '70000' })).toThrow(/KEYPLANE_METRICS_PORT/);
  });
});
