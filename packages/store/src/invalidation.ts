import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { SqlExecutor } from './sql.js';
import { liveInstances, releaseLease, renewLease } from './tables/instances.js';

/** The listening connection as an executor, for the queries it runs itself (its lease). */
const executorOf = (client: pg.Client): SqlExecutor => ({
  query: async <Row>(text: string, params: readonly unknown[] = []) =>
    (await client.query(text, params as unknown[])).rows as Row[],
  exec: async (script: string) => void (await client.query(script)),
});

/** What a cache in front of the store needs to stay exact while other instances write. */
export interface CacheCoherence {
  /** Whether this instance may answer from its cache now. */
  trusted(): boolean;
  /** Called once a key was changed here: returns when every live instance has dropped it. */
  published(keyId: string): Promise<void>;
  /** `keyId` was changed elsewhere (`*`: anything may have been), drop it. */
  onInvalidate(drop: (keyId: string) => void): void;
  close(): Promise<void>;
}

export interface InvalidationOptions {
  readonly connectionString: string;
  /** The schema the instances share (tests give each run its own); its name scopes the channels. */
  readonly schema?: string;
  /** How long one renewal of this instance's lease lasts. A writer waits for a silent instance at most this long. */
  readonly leaseMs: number;
  /** Most the clocks of an instance and the database may drift apart; the cache stops being trusted this early. */
  readonly driftMs?: number;
  /** Where the shared queries (the live instances, the notifications) go: the store's pool. */
  readonly pool: SqlExecutor;
  readonly onError?: (error: unknown) => void;
}

interface Channels {
  /** Names the schema the instances share, in channel and connection names. */
  readonly scope: string;
  readonly invalidations: string;
  readonly acknowledgements: string;
}

interface Waiter {
  readonly pending: Set<string>;
  readonly timers: NodeJS.Timeout[];
  readonly done: () => void;
}

/**
 * Keeps every instance's key cache exact on a shared PostgreSQL. A write that changes a key
 * is published on a channel (LISTEN/NOTIFY) and is acknowledged only once every live
 * instance has dropped the key and said so, or once the lease of an instance that stays
 * silent has run out. An instance answers from its cache only while it holds its own lease,
 * renewed through the very connection it listens on: a dropped connection, a pause past the
 * lease, or a database out of reach all end its trust in the cache at once, until it has
 * listened again and emptied the cache. The one assumption: the clocks of the instances and
 * the database drift apart by less than `driftMs`.
 */
export class InvalidationBus implements CacheCoherence {
  readonly instanceId = randomUUID();
  readonly #options: InvalidationOptions;
  readonly #driftMs: number;
  readonly #waiters = new Map<string, Waiter>();
  readonly #droppers: ((keyId: string) => void)[] = [];
  #client: pg.Client | null = null;
  #channels: Channels | null = null;
  #trustedUntil = 0;
  #renewal: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(options: InvalidationOptions) {
    this.#options = options;
    this.#driftMs = options.driftMs ?? Math.min(1_000, options.leaseMs / 4);
  }

  static async start(options: InvalidationOptions): Promise<InvalidationBus> {
    const bus = new InvalidationBus(options);
    await bus.#connect();
    return bus;
  }

  trusted(): boolean {
    return Date.now() < this.#trustedUntil;
  }

  onInvalidate(drop: (keyId: string) => void): void {
    this.#droppers.push(drop);
  }

  async published(keyId: string): Promise<void> {
    const channels = this.#channels ?? (await this.#channelsOf(this.#options.pool));
    const live = await liveInstances(this.#options.pool, this.instanceId);
    const event = randomUUID();
    const acknowledged = new Promise<void>((resolve) => {
      const pending = new Set(live.map(({ id }) => id));
      // Each silent instance is waited for only until its lease runs out: by then it no longer trusts its cache.
      const timers = live.map(({ id, remaining_ms }) =>
        setTimeout(() => this.#acknowledge(event, id), Math.ceil(Number(remaining_ms))),
      );
      this.#waiters.set(event, { pending, timers, done: resolve });
      if (pending.size === 0) this.#settle(event);
    });
    // Sent even with no other instance live: one starting now may already listen.
    await this.#options.pool.query('select pg_notify($1, $2)', [
      channels.invalidations,
      JSON.stringify({ event, key: keyId, from: this.instanceId }),
    ]);
    await acknowledged;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#renewal);
    clearTimeout(this.#reconnect);
    this.#trustedUntil = 0;
    for (const event of [...this.#waiters.keys()]) this.#settle(event);
    const client = this.#client;
    this.#client = null;
    if (!client) return;
    // Leaving: writers need not wait for this instance any more.
    await releaseLease(executorOf(client), this.instanceId).catch(() => {});
    await client.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const { connectionString, schema } = this.#options;
    const client = new pg.Client({
      connectionString,
      application_name: 'keyplane-listener',
      // A renewal or acknowledgement that hangs is a lost connection.
      query_timeout: Math.max(1_000, this.#options.leaseMs / 2),
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    const lost = (error?: unknown) => this.#lost(client, error);
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => this.#received(client, message));
    let channels: Channels;
    try {
      await client.connect();
      channels = await this.#channelsOf(executorOf(client));
      // Named by the schema it serves and the instance, for operators looking at pg_stat_activity.
      await client.query('select set_config($1, $2, false)', [
        'application_name',
        `keyplane-listener:${channels.scope}:${this.instanceId}`,
      ]);
      await client.query(`listen "${channels.invalidations}"; listen "${channels.acknowledgements}"`);
    } catch (error) {
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
      throw error;
    }
    this.#client = client;
    this.#channels = channels;
    // Whatever was published while this instance was not listening is unknown: forget everything.
    this.#drop('*');
    await this.#renew(client);
  }

  /** The channels of the schema the instances share: every schema has its own. */
  async #channelsOf(executor: SqlExecutor): Promise<Channels> {
    const [row] = await executor.query<{ scope: string }>('select left(md5(current_schema()), 16) as scope');
    const scope = (row as { scope: string }).scope;
    return { scope, invalidations: `keyplane_invalidations_${scope}`, acknowledgements: `keyplane_acks_${scope}` };
  }

  async #renew(client: pg.Client): Promise<void> {
    const started = Date.now();
    try {
      await renewLease(executorOf(client), this.instanceId, this.#options.leaseMs);
    } catch (error) {
      this.#lost(client, error);
      return;
    }
    if (client !== this.#client) return;
    this.#trustedUntil = started + this.#options.leaseMs - this.#driftMs;
    this.#renewal = setTimeout(() => void this.#renew(client), this.#options.leaseMs / 4);
    this.#renewal.unref();
  }

  #received(client: pg.Client, message: pg.Notification): void {
    const channels = this.#channels;
    if (!channels || !message.payload) return;
    if (message.channel === channels.acknowledgements) {
      const [event = '', instance = ''] = message.payload.split(':');
      this.#acknowledge(event, instance);
      return;
    }
    const { event, key, from } = JSON.parse(message.payload) as { event: string; key: string; from: string };
    if (from === this.instanceId) return;
    this.#drop(key);
    client
      .query('select pg_notify($1, $2)', [channels.acknowledgements, `${event}:${this.instanceId}`])
      .catch((error: unknown) => this.#lost(client, error));
  }

  #acknowledge(event: string, instance: string): void {
    const waiter = this.#waiters.get(event);
    if (!waiter) return;
    waiter.pending.delete(instance);
    if (waiter.pending.size === 0) this.#settle(event);
  }

  #settle(event: string): void {
    const waiter = this.#waiters.get(event);
    if (!waiter) return;
    this.#waiters.delete(event);
    for (const timer of waiter.timers) clearTimeout(timer);
    waiter.done();
  }

  #drop(keyId: string): void {
    for (const drop of this.#droppers) drop(keyId);
  }

  /** The listening connection is gone: stop trusting the cache now, and listen again. */
  #lost(client: pg.Client, error?: unknown): void {
    if (client !== this.#client) return;
    this.#client = null;
    this.#trustedUntil = 0;
    clearTimeout(this.#renewal);
    this.#drop('*');
    client.removeAllListeners('notification');
    client.end().catch(() => {});
    if (error) this.#options.onError?.(error);
    if (!this.#closed) this.#scheduleReconnect(250);
  }

  #scheduleReconnect(delayMs: number): void {
    this.#reconnect = setTimeout(() => {
      this.#connect().catch((error: unknown) => {
        this.#options.onError?.(error);
        if (!this.#closed) this.#scheduleReconnect(Math.min(delayMs * 2, 5_000));
      });
    }, delayMs);
    this.#reconnect.unref();
  }
}
