import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import { httpError } from './errors.js';
import type { Operation } from './operation.js';

export interface ListLimitSettings {
  /** List requests one organization may have answered at once. */
  readonly inFlight: number;
  /** List requests of one organization that may wait for their turn; more are refused. */
  readonly queued: number;
}

/** Ends a list request's turn, handing it to the next one waiting. */
export type Release = () => void;

interface Turns {
  inFlight: number;
  readonly waiting: ((release: Release | null) => void)[];
}

/** Seconds a refused list request is told to wait: a turn lasts about as long as one list takes. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Turns at listing, per organization. A list reads and renders many rows, and on the embedded
 * store each read holds the event loop: an organization listing in a loop would leave every
 * other request waiting behind its reads. Each organization therefore lists a few at a time;
 * the rest wait in order, and beyond a short queue are refused. This instance counts alone:
 * what it protects is its own event loop and connections.
 */
export class ListLimits {
  readonly #settings: ListLimitSettings;
  readonly #turns = new Map<string, Turns>();

  constructor(settings: ListLimitSettings) {
    this.#settings = settings;
  }

  /**
   * A turn for one list request of `organizationId`: now, once the ones queued before it
   * have had theirs, or null when its queue is full. A request whose client has gone
   * (`abandoned`) leaves the queue, and gets null instead of a turn: nobody would read its list.
   */
  take(organizationId: string, abandoned?: AbortSignal): Promise<Release | null> | null {
    let turns = this.#turns.get(organizationId);
    if (!turns) {
      turns = { inFlight: 0, waiting: [] };
      this.#turns.set(organizationId, turns);
    }
    const release = this.#releaseOf(organizationId, turns);
    if (turns.inFlight < this.#settings.inFlight) {
      turns.inFlight += 1;
      return Promise.resolve(release);
    }
    if (turns.waiting.length >= this.#settings.queued) return null;
    // Gone before it could queue: its abort has fired already and would never reach the queue.
    if (abandoned?.aborted) return Promise.resolve(null);
    const queue = turns.waiting;
    return new Promise((resolve) => {
      queue.push(resolve);
      abandoned?.addEventListener(
        'abort',
        () => {
          const at = queue.indexOf(resolve);
          if (at < 0) return;
          queue.splice(at, 1);
          resolve(null);
        },
        { once: true },
      );
    });
  }

  /** Organizations holding or waiting for a turn; none are remembered once idle. */
  get busyOrganizations(): number {
    return this.#turns.size;
  }

  #releaseOf(organizationId: string, turns: Turns): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // A turn ends only once the event loop has turned. The embedded store answers without
      // I/O, in promise callbacks alone: a list runs to its end within the callback of the
      // socket it came in on, and the next socket's list would find its turn free, so every
      // list read in one pass over the sockets would run back to back while the requests of
      // other organizations waited for the next pass. Held over to the next pass, the turns
      // queue the rest of them instead, as they would on a store that answers over a network.
      setImmediate(() => {
        const next = turns.waiting.shift();
        // The turn passes straight to the next request waiting: none can jump the queue.
        if (next) return next(this.#releaseOf(organizationId, turns));
        turns.inFlight -= 1;
        if (turns.inFlight === 0) this.#turns.delete(organizationId);
      });
    };
  }
}

/**
 * Holds a list request until its organization's turn, for as long as its answer is being
 * rendered; refuses it, the dialect's way and with `Retry-After`, when too many are queued.
 */
export const limitLists: MiddlewareHandler<AppEnv> = async (c, next) => {
  const limits = c.get('listLimits');
  if (!limits) return next();
  const turn = limits.take(c.get('principal').organizationId, c.req.raw.signal);
  const release = turn && (await turn);
  if (!release) {
    // Refused, or given up by its client while queued: then the answer reaches nobody.
    if (!turn) c.get('metrics')?.listRefusals.inc();
    c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    const refused = httpError(
      'rate_limited',
      'Too many list requests of this organization at once; try again shortly.',
    );
    return c.get('renderError')(c, refused.error);
  }
  try {
    await next();
  } finally {
    release();
  }
};

/** `operation`, listing many rows: its requests take turns with the other lists of their organization. */
export const takesTurns = (operation: Operation): Operation => ({
  ...operation,
  options: { ...operation.options, lists: true },
});
