/** The real binary (`dist/main.js`, as npm links it) against the real built server. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createKeyplaneClient, kadosei } from '@keyplane/client';
import { type KeyplaneProcess, startKeyplane } from '@keyplane/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

let server: KeyplaneProcess;
let admin: string;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `keyplane <args>` with KEYPLANE_URL and KEYPLANE_KEY from `env` (the admin's by default). */
function keyplane(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const { KEYPLANE_URL: _url, KEYPLANE_KEY: _key, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...inherited, KEYPLANE_URL: server.url, KEYPLANE_KEY: admin, ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function json<T>(args: string[], env?: Record<string, string>): Promise<T> {
  const run = await keyplane([...args, '--json'], env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

function occurrences(text: string, part: string) {
  return text.split(part).length - 1;
}

beforeAll(async () => {
  server = await startKeyplane();
  admin = server.rootKey;
  const organization = await keyplane(['organizations', 'create', 'Acme', '--json'], { KEYPLANE_KEY: server.rootKey });
  expect(organization.code, organization.stderr).toBe(0);
  admin = (JSON.parse(organization.stdout) as { adminKey: { key: string } }).adminKey.key;
});

afterAll(() => server?.stop());

// Each run of the binary is a Node start-up; under a loaded machine a long test takes a while.
// The timeout is only a hang guard.
describe('keyplane (the CLI)', { timeout: 300_000 }, () => {
  it('creates an organization, its admin key shown once with a warning', async () => {
    const run = await keyplane(['orgs', 'create', 'Globex'], { KEYPLANE_KEY: server.rootKey });
    expect(run.code).toBe(0);
    const [, secret] = /^admin key: (kp_\S+)$/m.exec(run.stdout) ?? [];
    expect(secret).toBeDefined();
    expect(occurrences(run.stdout, secret as string)).toBe(1);
    expect(run.stdout).toMatch(/^name\s+Globex$/m);
    expect(run.stderr).toMatch(/^warning: the admin key is shown only this once/m);
    expect(run.stderr).not.toContain(secret);
  });

  it('manages a key through its life: create, list, show, update, rotate, verify, revoke', async () => {
    // api_keys.read: the key's access tokens may read keys.
    const created = await keyplane([
      'keys',
      'create',
      'ci',
      '--permission',
      'invoices.read',
      '--permission',
      'api_keys.read',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const [, secret] = /^key: (kp_\S+)$/m.exec(created.stdout) ?? [];
    if (!secret) throw new Error(`no secret in:\n${created.stdout}`);
    expect(occurrences(created.stdout, secret)).toBe(1);
    expect(created.stderr).toMatch(/^warning: the key is shown only this once/m);
    const [, id] = /^id\s+(\S+)$/m.exec(created.stdout) ?? [];
    const [, applicationId] = /^application\s+(\S+)$/m.exec(created.stdout) ?? [];
    if (!id || !applicationId) throw new Error(`no id in:\n${created.stdout}`);

    const table = await keyplane(['keys', 'list']);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+PREFIX\s+STATUS\s+PERMISSIONS\s+EXPIRES\s+LAST USED$/);
    const row = rows.find((line) => line.startsWith(id));
    const cells = row?.split(/\s{2,}/) ?? [];
    expect(cells).toEqual([id, 'ci', secret.slice(0, 7), 'enabled', expect.any(String), 'never', '-']);
    expect(cells[4]?.split(',').sort()).toEqual(['api_keys.read', 'invoices.read']);
    expect(header?.indexOf('NAME')).toBe(row?.indexOf('ci'));
    const listed = await json<{ id: string; name: string }[]>(['keys', 'list']);
    expect(listed).toContainEqual(expect.objectContaining({ id, name: 'ci', status: 'enabled' }));
    expect(JSON.stringify(listed)).not.toContain(secret);

    expect(await json(['keys', 'show', id])).toMatchObject({ id, name: 'ci', status: 'enabled' });

    const disabled = await json(['keys', 'update', id, '--disable', '--name', 'ci-paused']);
    expect(disabled).toMatchObject({ id, name: 'ci-paused', status: 'disabled' });
    const whileDisabled = await keyplane(['verify', secret]);
    expect(whileDisabled.code).toBe(6);
    expect(whileDisabled.stdout).toMatch(/^code\s+DISABLED$/m);
    expect(await json(['keys', 'update', id, '--enable', '--expires-at', '2099-01-01T00:00:00Z'])).toMatchObject({
      status: 'enabled',
      expiresAt: '2099-01-01T00:00:00.000Z',
    });

    const rotation = await keyplane(['keys', 'rotate', id, '--json']);
    expect(rotation.code).toBe(0);
    const rotated = JSON.parse(rotation.stdout) as { id: string; key: string; previousKeyExpiresAt: null };
    expect(rotated).toMatchObject({ id, previousKeyExpiresAt: null });
    expect(rotation.stderr).toMatch(/^warning: key is shown only this once/m);

    expect((await keyplane(['verify', secret])).code).toBe(6);
    const valid = await keyplane(['verify', rotated.key, '--permission', 'invoices.read']);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toMatch(/^valid\s+yes$/m);
    expect(await json(['verify', rotated.key])).toMatchObject({ valid: true, code: 'VALID', keyId: id });
    const lacking = await keyplane(['verify', rotated.key, '--permission', 'reports.read', '--json']);
    expect(lacking.code).toBe(6);
    expect(JSON.parse(lacking.stdout)).toMatchObject({ valid: false, code: 'INSUFFICIENT_PERMISSIONS' });

    const token = await keyplane(['tokens', 'issue', '--client-id', id, '--client-secret', rotated.key, '--json'], {
      KEYPLANE_KEY: '',
    });
    expect(token.code, token.stderr).toBe(0);
    const { access_token } = JSON.parse(token.stdout) as { access_token: string };
    expect(JSON.parse(token.stdout)).toMatchObject({ token_type: 'Bearer' });
    expect(token.stderr).toMatch(/^warning: access_token is shown only this once/m);
    const human = await keyplane(['tokens', 'issue', '--client-id', id, '--client-secret', rotated.key]);
    expect(human.stdout).toMatch(/^access token: \S+$/m);
    const byToken = ['keys', 'list', '--application', applicationId];
    expect(await keyplane(byToken, { KEYPLANE_KEY: access_token })).toMatchObject({ code: 0 });

    expect(await keyplane(['keys', 'revoke', id])).toMatchObject({ code: 0, stdout: `revoked ${id}\n` });
    const revoked = await keyplane(['verify', rotated.key, '--json']);
    expect(revoked.code).toBe(6);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ valid: false, code: 'NOT_FOUND' });
    // The token was the key's: revoked with it.
    expect((await keyplane(byToken, { KEYPLANE_KEY: access_token })).code).toBe(3);

    const audit = await json<{ data: { action: string; targetId: string }[] }>(['audit', 'tail', '--limit', '10']);
    expect(audit.data.filter((event) => event.targetId === id).map((event) => event.action)).toEqual(
      expect.arrayContaining(['api_key.created', 'api_key.disabled', 'api_key.rotated', 'api_key.deleted']),
    );
    const tail = await keyplane(['audit', 'tail', '--limit', '3']);
    const lines = tail.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^OCCURRED\s+ACTION\s+TARGET\s+ACTOR\s+REQUEST$/);
    // Oldest first, as a tail: the revocation is the last line.
    expect(lines.at(-1)).toContain('api_key.deleted');
  });

  it('shows and sets a key’s credits, and verifies spending them', async () => {
    const created = await json<{ id: string; key: string }>(['keys', 'create', 'metered']);
    const shown = await keyplane(['keys', 'credits', created.id]);
    expect(shown.stdout).toMatch(/^remaining\s+unlimited$/m);
    expect(await json(['keys', 'credits', created.id, '--set', '10', '--refill', 'monthly:100:31'])).toEqual({
      keyId: created.id,
      credits: { remaining: 10, refill: { interval: 'monthly', amount: 100, refillDay: 31 } },
    });
    const human = await keyplane(['keys', 'credits', created.id]);
    expect(human.stdout).toMatch(/^refill\s+100 monthly on day 31$/m);
    const spent = await keyplane(['verify', created.key, '--cost', '4']);
    expect(spent.code).toBe(0);
    expect(spent.stdout).toMatch(/^credits left\s+6$/m);
    expect(await json(['keys', 'credits', created.id, '--add', '4'])).toMatchObject({ credits: { remaining: 10 } });
    expect(await json(['keys', 'credits', created.id, '--take', '10'])).toMatchObject({ credits: { remaining: 0 } });
    const exceeded = await keyplane(['verify', created.key, '--json']);
    expect(exceeded.code).toBe(6);
    expect(JSON.parse(exceeded.stdout)).toMatchObject({ valid: false, code: 'USAGE_EXCEEDED' });
    // Refused: more taken than remain; and a refill that cannot be read, before any request.
    expect((await keyplane(['keys', 'credits', created.id, '--take', '1'])).code).not.toBe(0);
    const unreadable = await keyplane(['keys', 'credits', created.id, '--refill', 'weekly:5']);
    expect(unreadable.code).not.toBe(0);
    expect(unreadable.stderr).toContain('daily:N');
    expect(await json(['keys', 'credits', created.id, '--unlimited'])).toEqual({ keyId: created.id, credits: null });
    expect(await json(['verify', created.key])).toMatchObject({ valid: true, code: 'VALID' });
  });

  it('shows and sets a key’s named rate limits, which its verifications count against', async () => {
    const created = await json<{ id: string; key: string }>(['keys', 'create', 'limited']);
    expect(await json(['keys', 'limits', created.id])).toEqual({ keyId: created.id, ratelimits: [] });
    const set = await keyplane([
      'keys',
      'limits',
      created.id,
      '--limit',
      'all:1:60000:auto',
      '--limit',
      'search:5:1000',
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^all\s+1\s+60000\s+yes$/m);
    expect(set.stdout).toMatch(/^search\s+5\s+1000\s+no$/m);
    const counted = await keyplane(['verify', created.key]);
    expect(counted.code).toBe(0);
    expect(counted.stdout).toMatch(/^limits\s+all 0\/1$/m);
    const limited = await keyplane(['verify', created.key, '--json']);
    expect(limited.code).toBe(6);
    expect(JSON.parse(limited.stdout)).toMatchObject({ valid: false, code: 'RATE_LIMITED' });
    const unreadable = await keyplane(['keys', 'limits', created.id, '--limit', 'all:1:10']);
    expect(unreadable.code).not.toBe(0);
    expect(unreadable.stderr).toContain('NAME:LIMIT:DURATION_MS');
    expect(await json(['keys', 'limits', created.id, '--none'])).toEqual({ keyId: created.id, ratelimits: [] });
    expect((await keyplane(['verify', created.key])).code).toBe(0);
  });

  it('shows, creates and lists applications', async () => {
    const created = await json<{ id: string }>(['applications', 'create', 'billing', '--description', 'invoices']);
    expect(await json(['apps', 'show', created.id])).toMatchObject({ name: 'billing', description: 'invoices' });
    const table = await keyplane(['apps', 'list']);
    expect(table.stdout).toMatch(new RegExp(`^${created.id}\\s+billing\\s+no\\s+\\S+$`, 'm'));
    const key = await json<{ applicationId: string }>(['keys', 'create', 'in-billing', '--application', created.id]);
    expect(key.applicationId).toBe(created.id);
  });

  it('follows the audit log until interrupted', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, 'audit', 'tail', '--follow', '--json', '--interval', '100'],
      {
        env: { ...process.env, KEYPLANE_URL: server.url, KEYPLANE_KEY: admin },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const lineMatching = (test: (event: { action: string; targetId: string }) => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => {
          const events = stdout
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line));
          if (events.some(test)) {
            child.stdout?.off('data', check);
            resolve();
          }
        };
        child.stdout?.on('data', check);
        check();
      });
    const firstPrinted = lineMatching(() => true);
    await firstPrinted;

    const client = createKeyplaneClient({ baseUrl: server.url, credential: { bearer: admin } });
    const application = await kadosei.defaultApplication(client);
    const fresh = await kadosei.createKey(client, application.id, { name: 'followed' });
    await lineMatching((event) => event.targetId === fresh.id && event.action === 'api_key.created');

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const printed = stdout.split('\n').filter(Boolean);
    expect(new Set(printed).size).toBe(printed.length);
  });

  it('says what happened in its exit code', async () => {
    const unknown = await keyplane(['keys', 'show', randomUUID()]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: keyplane answered 404/m);

    const wrongKey = await keyplane(['keys', 'list'], { KEYPLANE_KEY: 'kp_wrong' });
    expect(wrongKey.code).toBe(3);
    const notRoot = await keyplane(['organizations', 'create', 'Initech']);
    expect(notRoot.code).toBe(3);

    const invalid = await keyplane(['keys', 'create', 'bad', '--permission', 'Not A Permission']);
    expect(invalid.code).toBe(4);

    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    await new Promise((resolve) => probe.close(resolve));
    const port = typeof address === 'object' && address ? address.port : 1;
    const unreachable = await keyplane(['--url', `http://127.0.0.1:${port}`, 'keys', 'list']);
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toContain(`cannot reach keyplane at http://127.0.0.1:${port}`);

    expect((await keyplane(['keys', 'show'])).code).toBe(1);
    expect((await keyplane(['keys', 'rotate', randomUUID(), '--grace', 'soon'])).code).toBe(1);
    expect((await keyplane(['keys', 'list'], { KEYPLANE_KEY: '' })).code).toBe(1);
    const help = await keyplane(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('organizations');
  });

  it('takes the URL and key from flags as well as from the environment', async () => {
    const run = await keyplane(['--url', server.url, '--key', admin, 'apps', 'list', '--json'], {
      KEYPLANE_URL: 'http://127.0.0.1:9',
      KEYPLANE_KEY: 'kp_wrong',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toContainEqual(expect.objectContaining({ isDefault: true }));
  });
});
