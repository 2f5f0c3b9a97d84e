// Every command of the CLI in one file on purpose: it is the CLI's table of contents, each
// command a few lines of commander wiring over one client call (over 300 lines for that).
import {
  aerospike,
  type components,
  createKeyplaneClient,
  diga,
  discue,
  type KeyplaneClient,
  kadosei,
  keyplane,
} from '@keyplane/client';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT } from './errors.js';
import { createOutput, type Output, record, secret, table } from './output.js';

type Schemas = components['schemas'];

const DEFAULT_URL = 'http://127.0.0.1:3000';

interface Globals {
  readonly url: string;
  readonly key?: string;
  readonly json?: boolean;
}

interface Context {
  readonly output: Output;
  readonly url: string;
  /** The credential as `Authorization: Bearer`: keyplane's own operations, Kadosei, diga. */
  readonly bearer: KeyplaneClient;
  /** The credential as `X-API-KEY`: discue. */
  readonly apiKey: KeyplaneClient;
}

function context(command: Command, needsKey = true): Context {
  const globals = command.optsWithGlobals<Globals>();
  const output = createOutput(globals.json === true);
  const url = globals.url;
  const key = globals.key;
  if (needsKey && !key) throw new CliError('no credential: pass --key or set KEYPLANE_KEY', EXIT.usage);
  const client = (credential?: { bearer: string } | { apiKey: string }) =>
    createKeyplaneClient({ baseUrl: url, ...(credential ? { credential } : {}) });
  return {
    output,
    url,
    bearer: client(key ? { bearer: key } : undefined),
    apiKey: client(key ? { apiKey: key } : undefined),
  };
}

function integer(name: string, min: number, max: number) {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} is a whole number from ${min} to ${max}.`);
    }
    return parsed;
  };
}

/** The most credits a key holds: what JSON and the store keep exactly. */
const MAX_CREDITS = Number.MAX_SAFE_INTEGER;

type Refill = NonNullable<Schemas['KeyplaneCreditsRequest']>['refill'];

/** `daily:N`, `monthly:N` or `monthly:N:DAY`; `none`: no refill. */
function refillOf(value: string): Refill | null {
  if (value === 'none') return null;
  const [interval, amount, day, ...rest] = value.split(':');
  const count = Number(amount);
  const refillDay = day === undefined ? undefined : Number(day);
  const valid =
    (interval === 'daily' || interval === 'monthly') &&
    rest.length === 0 &&
    Number.isSafeInteger(count) &&
    count >= 1 &&
    (refillDay === undefined ||
      (interval === 'monthly' && Number.isInteger(refillDay) && refillDay >= 1 && refillDay <= 31));
  if (!valid) throw new InvalidArgumentError("expected daily:N, monthly:N, monthly:N:DAY (DAY 1 to 31) or 'none'");
  return {
    interval: interval as 'daily' | 'monthly',
    amount: count,
    ...(refillDay === undefined ? {} : { refillDay }),
  };
}

type NamedLimit = Schemas['KeyplaneNamedRateLimit'];

/** `NAME:LIMIT:DURATION_MS[:auto]`, gathered as the option repeats. */
function collectLimit(value: string, previous: NamedLimit[] = []): NamedLimit[] {
  const [name = '', limit, durationMs, auto, ...rest] = value.split(':');
  const count = Number(limit);
  const duration = Number(durationMs);
  const valid =
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name) &&
    Number.isSafeInteger(count) &&
    count >= 1 &&
    Number.isInteger(duration) &&
    duration >= 1_000 &&
    duration <= 86_400_000 &&
    (auto === undefined || auto === 'auto') &&
    rest.length === 0;
  if (!valid) throw new InvalidArgumentError('expected NAME:LIMIT:DURATION_MS[:auto], DURATION_MS 1000 to 86400000');
  return [...previous, { name, limit: count, durationMs: duration, autoApply: auto === 'auto' }];
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function instant(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new InvalidArgumentError('expected a date and time, e.g. 2030-01-01T00:00:00Z');
  return new Date(time).toISOString();
}

async function applicationOf(context: Context, id: string | undefined): Promise<string> {
  return id ?? (await kadosei.defaultApplication(context.bearer)).id;
}

type Application = Schemas['KadoseiApplication'];
type Key = Schemas['KadoseiApiKey'];

const applicationRow = (a: Application) => [a.id, a.name, a.isDefault ? 'yes' : 'no', a.createdAt];
const applicationColumns = ['id', 'name', 'default', 'created'];

function keyRecord(key: Key) {
  return record({
    id: key.id,
    name: key.name,
    application: key.applicationId,
    prefix: key.prefix,
    status: key.status,
    permissions: key.permissions ?? ['(unrestricted)'],
    created: key.createdAt,
    expires: key.expiresAt ?? 'never',
    'last used': key.lastUsedAt,
  });
}

/** Registers every command on the program. */
export function registerCommands(program: Command): void {
  program
    .addOption(new Option('--url <url>', 'keyplane server URL').env('KEYPLANE_URL').default(DEFAULT_URL))
    .addOption(new Option('--key <key>', 'credential: a keyplane key or access token').env('KEYPLANE_KEY'))
    .option('--json', 'print the answer as JSON, for scripts');

  const organizations = program.command('organizations').alias('orgs').description('organizations (root key only)');
  organizations
    .command('create <name>')
    .description('create an organization, its default application and its first admin key')
    .action(async (name: string, _options, command: Command) => {
      const c = context(command);
      const created = await keyplane.createOrganization(c.bearer, name);
      c.output.result(created, () => {
        c.output.line(
          record({
            id: created.id,
            name: created.name,
            created: created.createdAt,
            'default application': created.defaultApplicationId,
            'admin key id': created.adminKey.id,
          }),
        );
        secret(c.output, 'admin key', created.adminKey.key);
      });
      if (c.output.json) c.output.note('warning: adminKey.key is shown only this once; store it now.');
    });

  const applications = program.command('applications').alias('apps').description('applications, which hold keys');
  applications
    .command('list')
    .description('every application of the organization')
    .action(async (_options, command: Command) => {
      const c = context(command);
      const list = await kadosei.listApplications(c.bearer);
      c.output.result(list, () => c.output.line(table(applicationColumns, list.map(applicationRow))));
    });
  applications
    .command('create <name>')
    .description('create an application')
    .option('--description <text>', 'what the application is for')
    .action(async (name: string, options: { description?: string }, command: Command) => {
      const c = context(command);
      const body = { name, ...(options.description ? { description: options.description } : {}) };
      const created = await kadosei.createApplication(c.bearer, body);
      c.output.result(created, () => c.output.line(table(applicationColumns, [applicationRow(created)])));
    });
  applications
    .command('show <id>')
    .description('one application')
    .action(async (id: string, _options, command: Command) => {
      const c = context(command);
      const application = await kadosei.getApplication(c.bearer, id);
      c.output.result(application, () =>
        c.output.line(
          record({
            id: application.id,
            name: application.name,
            default: application.isDefault ? 'yes' : 'no',
            description: application.description,
            created: application.createdAt,
          }),
        ),
      );
    });

  const keys = program.command('keys').description('API keys');
  const applicationOption = () =>
    new Option('--application <id>', "the key's application (default: the organization's default application)");
  keys
    .command('create <name>')
    .description('create a key; its secret is shown only this once')
    .addOption(applicationOption())
    .option('--permission <permission>', 'a permission, resource.action[:target] (repeatable)', collect)
    .option('--expires-at <time>', 'when the key stops working (ISO 8601)', instant)
    .action(
      async (
        name: string,
        options: { application?: string; permission?: string[]; expiresAt?: string },
        command: Command,
      ) => {
        const c = context(command);
        const applicationId = await applicationOf(c, options.application);
        const created = await kadosei.createKey(c.bearer, applicationId, {
          name,
          ...(options.permission ? { permissions: options.permission } : {}),
          ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
        });
        c.output.result(created, () => {
          const { key, ...shown } = created;
          c.output.line(keyRecord(shown));
          secret(c.output, 'key', key);
        });
        if (c.output.json) c.output.note('warning: key is shown only this once; store it now.');
      },
    );
  keys
    .command('list')
    .description("an application's keys")
    .addOption(applicationOption())
    .action(async (options: { application?: string }, command: Command) => {
      const c = context(command);
      const list = await kadosei.listKeys(c.bearer, await applicationOf(c, options.application));
      c.output.result(list, () =>
        c.output.line(
          table(
            ['id', 'name', 'prefix', 'status', 'permissions', 'expires', 'last used'],
            list.map((k) => [k.id, k.name, k.prefix, k.status, k.permissions, k.expiresAt ?? 'never', k.lastUsedAt]),
          ),
        ),
      );
    });
  keys
    .command('show <id>')
    .description('one key (never its secret)')
    .addOption(applicationOption())
    .action(async (id: string, options: { application?: string }, command: Command) => {
      const c = context(command);
      const key = await kadosei.getKey(c.bearer, await applicationOf(c, options.application), id);
      c.output.result(key, () => c.output.line(keyRecord(key)));
    });
  keys
    .command('update <id>')
    .description('rename, enable or disable a key, change its expiry or (diga) permissions')
    .addOption(applicationOption())
    .option('--name <name>', 'new name')
    .addOption(new Option('--enable', 'enable the key').conflicts('disable'))
    .option('--disable', 'disable the key: it stops working at once')
    .addOption(
      new Option('--expires-at <time>', "new expiry (ISO 8601), or 'never'").argParser((value: string) =>
        value === 'never' ? null : instant(value),
      ),
    )
    .option('--permission <permission>', "replace the key's permissions, in diga's vocabulary (repeatable)", collect)
    .action(
      async (
        id: string,
        options: {
          application?: string;
          name?: string;
          enable?: boolean;
          disable?: boolean;
          expiresAt?: string | null;
          permission?: string[];
        },
        command: Command,
      ) => {
        const c = context(command);
        const applicationId = await applicationOf(c, options.application);
        // The key must be there before anything changes: an unknown id changes nothing.
        await kadosei.getKey(c.bearer, applicationId, id);
        const change: Schemas['DiscueApiKeyRequest'] = {
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.enable ? { status: 'enabled' as const } : {}),
          ...(options.disable ? { status: 'disabled' as const } : {}),
          ...(options.expiresAt !== undefined
            ? { expires_at: options.expiresAt === null ? null : Date.parse(options.expiresAt) }
            : {}),
        };
        if (Object.keys(change).length === 0 && !options.permission) {
          throw new CliError('nothing to update: give --name, --enable, --disable, --expires-at or --permission', 1);
        }
        // discue's PUT takes name, status and expiry; diga's PATCH the permissions (its own vocabulary).
        if (Object.keys(change).length > 0) await discue.updateKey(c.apiKey, id, change);
        if (options.permission) {
          await diga.updateKey(c.bearer, id, {
            restricted: true,
            permissions: options.permission as Schemas['DigaPermission'][],
          });
        }
        const key = await kadosei.getKey(c.bearer, applicationId, id);
        c.output.result(key, () => c.output.line(keyRecord(key)));
      },
    );
  keys
    .command('rotate <id>')
    .description('give a key a new secret, shown only this once')
    .option(
      '--grace <seconds>',
      'how long the previous secret keeps working (default 0: it stops at once)',
      integer('--grace', 0, 2_592_000),
    )
    .action(async (id: string, options: { grace?: number }, command: Command) => {
      const c = context(command);
      const rotated = await keyplane.rotateKey(c.bearer, id, options.grace ?? 0);
      c.output.result(rotated, () => {
        c.output.line(
          record({ id: rotated.id, 'previous key works until': rotated.previousKeyExpiresAt ?? 'stopped' }),
        );
        secret(c.output, 'key', rotated.key);
      });
      if (c.output.json) c.output.note('warning: key is shown only this once; store it now.');
    });
  keys
    .command('credits <id>')
    .description("a key's credits; with an option, sets, adds or takes them, or changes their refill")
    .addOption(new Option('--set <n>', 'set the credits to n').argParser(integer('--set', 0, MAX_CREDITS)))
    .addOption(
      new Option('--add <n>', 'add n credits').argParser(integer('--add', 0, MAX_CREDITS)).conflicts(['set', 'take']),
    )
    .addOption(
      new Option('--take <n>', 'take n credits (refused when fewer remain)')
        .argParser(integer('--take', 0, MAX_CREDITS))
        .conflicts(['set']),
    )
    .addOption(
      new Option(
        '--refill <refill>',
        "refill to an amount daily or monthly: daily:N, monthly:N or monthly:N:DAY, or 'none'",
      )
        .argParser(refillOf)
        .conflicts(['add', 'take']),
    )
    .addOption(new Option('--unlimited', 'no credits counted any more').conflicts(['set', 'add', 'take', 'refill']))
    .action(
      async (
        id: string,
        options: { set?: number; add?: number; take?: number; refill?: Refill | null; unlimited?: boolean },
        command: Command,
      ) => {
        const c = context(command);
        let credits = (await keyplane.getKey(c.bearer, id)).credits;
        if (options.unlimited) credits = (await keyplane.updateKey(c.bearer, id, { credits: null })).credits;
        else if (options.refill !== undefined) {
          // A refill is given with the credits it counts from: those set now, or those that remain.
          const remaining = options.set ?? credits?.remaining ?? 0;
          const refill = options.refill === null ? {} : { refill: options.refill };
          credits = (await keyplane.updateKey(c.bearer, id, { credits: { remaining, ...refill } })).credits;
        } else if (options.set !== undefined)
          credits = await keyplane.changeKeyCredits(c.bearer, id, 'set', options.set);
        else if (options.add !== undefined)
          credits = await keyplane.changeKeyCredits(c.bearer, id, 'increment', options.add);
        else if (options.take !== undefined)
          credits = await keyplane.changeKeyCredits(c.bearer, id, 'decrement', options.take);
        c.output.result({ keyId: id, credits }, () =>
          c.output.line(
            record({
              id,
              remaining: credits === null ? 'unlimited' : credits.remaining,
              refill:
                credits?.refill == null
                  ? 'none'
                  : `${credits.refill.amount} ${credits.refill.interval}${
                      credits.refill.interval === 'monthly' ? ` on day ${credits.refill.refillDay ?? 1}` : ''
                    }`,
            }),
          ),
        );
      },
    );
  keys
    .command('limits <id>')
    .description("a key's named rate limits; with --limit or --none, in place of those it has")
    .addOption(
      new Option('--limit <limit>', 'NAME:LIMIT:DURATION_MS, with :auto to count every verification (repeatable)')
        .argParser(collectLimit)
        .conflicts('none'),
    )
    .option('--none', 'no named limits')
    .action(async (id: string, options: { limit?: NamedLimit[]; none?: boolean }, command: Command) => {
      const c = context(command);
      const replacing = options.none ? [] : options.limit;
      const key = replacing
        ? await keyplane.updateKey(c.bearer, id, { ratelimits: replacing })
        : await keyplane.getKey(c.bearer, id);
      c.output.result({ keyId: id, ratelimits: key.ratelimits }, () =>
        c.output.line(
          table(
            ['name', 'limit', 'per (ms)', 'every verification'],
            key.ratelimits.map((limit) => [limit.name, limit.limit, limit.durationMs, limit.autoApply ? 'yes' : 'no']),
          ),
        ),
      );
    });
  keys
    .command('revoke <id>')
    .description('revoke (delete) a key: it stops working at once')
    .addOption(applicationOption())
    .action(async (id: string, options: { application?: string }, command: Command) => {
      const c = context(command);
      await kadosei.revokeKey(c.bearer, await applicationOf(c, options.application), id);
      c.output.result({ id, revoked: true }, () => c.output.line(`revoked ${id}`));
    });

  program
    .command('verify <key>')
    .description(`verify a key, with permissions it must hold; exits ${EXIT.notValid} when it is not valid`)
    .option('--permission <permission>', 'a permission the key must hold (repeatable)', collect)
    .addOption(
      new Option('--cost <n>', 'the credits it spends of a key with credits (default 1)').argParser(
        integer('--cost', 0, MAX_CREDITS),
      ),
    )
    .action(async (key: string, options: { permission?: string[]; cost?: number }, command: Command) => {
      const c = context(command);
      const verdict = await keyplane.verifyKey(c.bearer, key, options.permission, options.cost);
      c.output.result(verdict, () =>
        c.output.line(
          record({
            valid: verdict.valid ? 'yes' : 'no',
            code: verdict.code,
            id: verdict.keyId,
            name: verdict.name,
            application: verdict.applicationId,
            permissions: verdict.permissions === null ? ['(unrestricted)'] : verdict.permissions,
            expires: verdict.expiresAt === null ? 'never' : verdict.expiresAt,
            ...(verdict.credits ? { 'credits left': verdict.credits.remaining } : {}),
            ...(verdict.ratelimits
              ? {
                  limits: verdict.ratelimits.map(
                    (limit) => `${limit.name} ${limit.remaining}/${limit.limit}${limit.exceeded ? ' (exceeded)' : ''}`,
                  ),
                }
              : {}),
          }),
        ),
      );
      if (!verdict.valid) process.exitCode = EXIT.notValid;
    });

  const tokens = program.command('tokens').description('OAuth access tokens (client-credentials grant)');
  tokens
    .command('issue')
    .description("an access token for a key's id and secret")
    .requiredOption('--client-id <id>', "the key's id")
    .requiredOption('--client-secret <secret>', "the key's secret")
    .option('--scope <scope>', 'space-separated scopes, fewer than the key holds')
    .action(async (options: { clientId: string; clientSecret: string; scope?: string }, command: Command) => {
      const c = context(command, false);
      const token = await aerospike.token(c.bearer, options.clientId, options.clientSecret, options.scope);
      c.output.result(token, () => {
        c.output.line(record({ type: token.token_type, 'expires in (s)': token.expires_in, scope: token.scope }));
        secret(c.output, 'access token', token.access_token);
      });
      if (c.output.json) c.output.note('warning: access_token is shown only this once; store it now.');
    });

  const audit = program.command('audit').description('the audit log');
  audit
    .command('tail')
    .description('the newest audit events, oldest first; --follow keeps printing new ones until interrupted')
    .option('--limit <n>', 'how many of the newest events to show first', integer('--limit', 1, 100), 20)
    .option('--follow', 'keep polling for new events (Ctrl-C stops)')
    .option('--interval <ms>', 'how often --follow polls', integer('--interval', 100, 60_000), 2000)
    .action(async (options: { limit: number; follow?: boolean; interval: number }, command: Command) => {
      const c = context(command);
      await tail(c, options);
    });
}

type AuditEvent = Schemas['KeyplaneAuditEvent'];

async function tail(c: Context, options: { limit: number; follow?: boolean; interval: number }) {
  const columns = ['occurred', 'action', 'target', 'actor', 'request'];
  const row = (e: AuditEvent) => [e.occurredAt, e.action, e.targetId, e.actorKeyId ?? 'root', e.requestId];
  const first = await keyplane.listAuditEvents(c.bearer, { limit: options.limit });
  const oldestFirst = [...first.data].reverse();
  if (!options.follow) {
    c.output.result(first, () => c.output.line(table(columns, oldestFirst.map(row))));
    return;
  }
  // Following: one event a line (JSON lines with --json), each printed once, until SIGINT. The
  // columns are as wide as their widest possible value, so later lines stay aligned.
  const widths = [24, 20, 36, 36];
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  const print = (events: AuditEvent[]) => {
    for (const event of events) c.output.line(c.output.json ? JSON.stringify(event) : line(row(event)));
  };
  const stopped = new AbortController();
  process.once('SIGINT', () => stopped.abort());
  if (!c.output.json) c.output.line(line(columns.map((column) => column.toUpperCase())));
  print(oldestFirst);
  // The ids of the newest events printed: a poll reads back, newest first, until it meets one.
  let newest = new Set(first.data.map((event) => event.id));
  while (!stopped.signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.interval);
      stopped.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (stopped.signal.aborted) break;
    const fresh: AuditEvent[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await keyplane.listAuditEvents(c.bearer, { limit: 100, ...(cursor ? { cursor } : {}) });
      const met = page.data.findIndex((event) => newest.has(event.id));
      fresh.push(...(met === -1 ? page.data : page.data.slice(0, met)));
      if (met !== -1 || !page.nextCursor) break;
      cursor = page.nextCursor;
    }
    if (fresh.length > 0) newest = new Set(fresh.map((event) => event.id));
    print(fresh.reverse());
  }
}
