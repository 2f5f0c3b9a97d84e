/**
 * The Dockerfile and compose.yaml, checked for their structure: no container engine runs where
 * keyplane is tested, so they are not built or run here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

interface Instruction {
  readonly keyword: string;
  readonly argument: string;
}

/** The Dockerfile's instructions by stage, with continued lines joined and comments left out. */
function stagesOf(dockerfile: string): Instruction[][] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Instruction[][] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), argument: rest.join(' ') };
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

describe('the Dockerfile', () => {
  const stages = stagesOf(read('Dockerfile'));
  const runtime = stages.at(-1) ?? [];
  const all = (keyword: string, stage = runtime) => stage.filter((i) => i.keyword === keyword).map((i) => i.argument);

  it('builds the artifact in a build stage with the command the repository defines', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages[0] ?? [];
    expect(all('FROM', build)[0]).toMatch(/^node:20-slim AS build$/);
    expect(all('RUN', build).join(' ')).toContain('pnpm install --frozen-lockfile && pnpm bundle');
    // `pnpm bundle` is the server's bundle script, which writes apps/server/dist-bundle.
    expect(JSON.parse(read('package.json')).scripts.bundle).toBe('pnpm --filter @keyplane/server bundle');
    expect(JSON.parse(read('apps/server/package.json')).scripts.bundle).toBe('node scripts/bundle.mjs');
    expect(read('apps/server/scripts/bundle.mjs')).toContain("join(server, 'dist-bundle')");
  });

  it('copies only that artifact into the runtime stage, and runs it with node as a user other than root', () => {
    expect(all('FROM')[0]).toMatch(/^node:20-slim$/);
    expect(all('COPY')).toEqual(['--from=build /src/apps/server/dist-bundle/ /app/']);
    const users = all('USER');
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    // Nothing after USER runs as root again, and the server is the artifact's main.mjs.
    const afterUser = runtime.slice(runtime.findIndex((i) => i.keyword === 'USER'));
    expect(afterUser.filter((i) => i.keyword === 'RUN')).toEqual([]);
    expect(JSON.parse(all('CMD')[0] ?? '[]')).toEqual(['node', 'main.mjs']);
    expect(all('WORKDIR')).toEqual(['/app']);
  });

  it('keeps the embedded store in a volume, so that the root filesystem can be read-only', () => {
    expect(all('VOLUME')).toEqual(['/data']);
    expect(all('ENV').join(' ')).toContain('KEYPLANE_DATA_DIR=/data');
    expect(all('RUN').join(' ')).toContain('chown node:node /data');
  });

  it('checks liveness on /healthz with node, the slim image having no curl', () => {
    const [check = ''] = all('HEALTHCHECK');
    const command = JSON.parse(check.slice(check.indexOf('CMD') + 3).trim()) as string[];
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(command[2]).toContain("'/healthz'");
  });
});

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as {
    services: Record<
      string,
      { image?: string; build?: string; read_only?: boolean; environment?: Record<string, string> }
    >;
  };

  it('runs PostgreSQL, Redis and two keyplane instances sharing them, read-only', () => {
    const { postgres, redis, ...instances } = compose.services;
    expect(postgres?.image).toMatch(/^postgres:/);
    expect(redis?.image).toMatch(/^redis:/);
    expect(Object.keys(instances)).toHaveLength(2);
    const environments = Object.values(instances).map((instance) => {
      expect(instance.build).toBe('.');
      expect(instance.read_only).toBe(true);
      return instance.environment ?? {};
    });
    expect(environments[0]).toEqual(environments[1]);
    for (const name of [
      'DATABASE_URL',
      'REDIS_URL',
      'KEYPLANE_ROOT_KEY',
      'KEYPLANE_HASH_SECRET',
      'KEYPLANE_TOKEN_SIGNING_KEYS',
    ]) {
      expect(environments[0], name).toHaveProperty(name);
    }
  });
});
