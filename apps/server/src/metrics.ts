import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds, from a fraction of a millisecond (a cached verification) to the statement timeout. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What one pool of store connections reports; sampled when `/metrics` is read. */
export interface PoolUse {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

/**
 * The server's Prometheus metrics, in a registry of their own: every app has its own, so that
 * several apps in one process (the tests) never share or collide. Served by `GET /metrics`.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'keyplane_http_requests_total',
    help: 'Requests answered, by dialect, operation (the contract operationId, or "unmatched") and status.',
    labelNames: ['dialect', 'operation', 'status'] as const,
    registers: [this.registry],
  });

  readonly latency = new Histogram({
    name: 'keyplane_http_request_duration_seconds',
    help: 'Time from a request reaching the app to its answer, by dialect and operation.',
    labelNames: ['dialect', 'operation'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly authenticationFailures = new Counter({
    name: 'keyplane_authentication_failures_total',
    help: 'Refused credentials, by reason: missing, invalid, token_expired.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly verifications = new Counter({
    name: 'keyplane_verifications_total',
    help: 'POST /v1/keys/verify answers, by outcome code (VALID, NOT_FOUND, DISABLED, EXPIRED, INSUFFICIENT_PERMISSIONS).',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly lockouts = new Counter({
    name: 'keyplane_auth_lockout_refusals_total',
    help: 'Requests refused because their client address is locked out after failed authentications.',
    registers: [this.registry],
  });

  readonly rateLimitRefusals = new Counter({
    name: 'keyplane_rate_limit_refusals_total',
    help: 'Requests refused because their key went over its request rate.',
    registers: [this.registry],
  });

  readonly listRefusals = new Counter({
    name: 'keyplane_list_refusals_total',
    help: 'List requests refused because their organization had too many lists running and waiting already.',
    registers: [this.registry],
  });

  readonly cacheLookups = new Counter({
    name: 'keyplane_key_cache_lookups_total',
    help: 'Key look-ups by the in-process key cache, by result: hit, absent (a digest known to name no key), joined (answered by the same look-up already asked) or miss (asked the store).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly invalidationFanOut = new Histogram({
    name: 'keyplane_cache_invalidation_fanout_seconds',
    help: 'Time for a key change to reach the caches of every instance (from the change to the last acknowledgement).',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly writeBatchSize = new Histogram({
    name: 'keyplane_store_write_batch_size',
    help: 'Rows written per batched store write (the last-use times written every few seconds).',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
    registers: [this.registry],
  });

  #samplePool: (() => PoolUse | undefined) | undefined;

  constructor() {
    const metrics = this;
    new Gauge({
      name: 'keyplane_store_pool_connections',
      help: 'Connections of the store pool (PostgreSQL), by state: total, idle, and requests waiting for one.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const use = metrics.#samplePool?.();
        if (!use) return;
        this.set({ state: 'total' }, use.total);
        this.set({ state: 'idle' }, use.idle);
        this.set({ state: 'waiting' }, use.waiting);
      },
    });
  }

  /**
   * With Redis: samples whether the limits are shared through it whenever the metrics are read.
   * Without, there is no such metric (a 0 would read as counting alone).
   */
  sampleSharingWith(sample: () => boolean | undefined): void {
    new Gauge({
      name: 'keyplane_rate_limits_shared',
      help: 'With REDIS_URL: 1 while the limits are counted in Redis, 0 while Redis is slow or unreachable and this instance counts alone.',
      registers: [this.registry],
      collect() {
        this.set(sample() ? 1 : 0);
      },
    });
  }

  /** Samples the store pool whenever the metrics are read. */
  samplePoolWith(sample: () => PoolUse | undefined): void {
    this.#samplePool = sample;
  }

  /** Adds the process's own metrics (CPU, memory, event loop lag, GC): for the one server of a process. */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Each label set's own series, looked up once: prom-client hashes the labels on every call otherwise. */
  readonly #answered = new Map<string, { count: { inc(): void }; time: { observe(seconds: number): void } }>();

  /** Counts one answered request and its duration. */
  observeRequest(dialect: string, operation: string, status: number, seconds: number): void {
    const labels = `${dialect} ${operation} ${status}`;
    let series = this.#answered.get(labels);
    if (!series) {
      series = {
        count: this.requests.labels(dialect, operation, String(status)),
        time: this.latency.labels(dialect, operation),
      };
      this.#answered.set(labels, series);
    }
    series.count.inc();
    series.time.observe(seconds);
  }

  readonly #cacheHits = this.cacheLookups.labels('hit');
  readonly #cacheMisses = this.cacheLookups.labels('miss');
  readonly #cacheAbsent = this.cacheLookups.labels('absent');
  readonly #cacheJoined = this.cacheLookups.labels('joined');

  /** Hooks for the key cache. */
  readonly keyCacheHooks = {
    onHit: () => this.#cacheHits.inc(),
    onAbsent: () => this.#cacheAbsent.inc(),
    onMiss: () => this.#cacheMisses.inc(),
    onJoined: () => this.#cacheJoined.inc(),
  };
}
