import type { ApiKey, CreditRefill, KeyCredits } from './model.js';
import type { KeyplaneStore } from './ports.js';

/** What a credits operation does with its value. */
export type CreditOperation = 'set' | 'increment' | 'decrement';

/** The most credits a key may hold: what a JSON number and a database `bigint` both keep exactly. */
export const MAX_CREDITS = Number.MAX_SAFE_INTEGER;

const DAY_MS = 86_400_000;

/** The last day of a month (UTC), 28 to 31. */
const lastDayOf = (year: number, month: number) => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

/** Midnight UTC of a month's refill day; a day past the month's end is its last day. */
const refillDayIn = (year: number, month: number, day: number) =>
  Date.UTC(year, month, Math.min(day, lastDayOf(year, month)));

/**
 * When the refill period holding `at` began (UTC): midnight of its day, or of its month's
 * refill day (the last day of a month too short for it).
 */
export function periodStart(refill: CreditRefill, at: Date): Date {
  const time = at.getTime();
  if (refill.interval === 'daily') return new Date(time - (((time % DAY_MS) + DAY_MS) % DAY_MS));
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  const thisMonth = refillDayIn(year, month, refill.refillDay ?? 1);
  return new Date(thisMonth <= time ? thisMonth : refillDayIn(year, month - 1, refill.refillDay ?? 1));
}

/**
 * The credits as they stand at `at`: refilled to the refill's amount when a period began since
 * the last refill, however many periods began meanwhile (an idle key is refilled once).
 */
export function creditsAt(credits: KeyCredits, at: Date): KeyCredits {
  if (credits.refill === null) return credits;
  const started = periodStart(credits.refill, at);
  return started.getTime() > credits.refilledAt.getTime()
    ? { ...credits, remaining: credits.refill.amount, refilledAt: started }
    : credits;
}

/** What spending `cost` does: the credits afterwards (refilled first when due), and whether it was spent. */
export function spend(credits: KeyCredits, cost: number, at: Date): { credits: KeyCredits; spent: boolean } {
  const current = creditsAt(credits, at);
  if (current.remaining < cost) return { credits: current, spent: false };
  return { credits: { ...current, remaining: current.remaining - cost }, spent: true };
}

/**
 * The credits after an operation, or why it cannot be done: a key without credits has none to
 * add or take (set them first), fewer may not be taken than remain, and no more than
 * `MAX_CREDITS` held. `set` on a key without credits gives it credits with no refill.
 */
export function changeCredits(
  credits: KeyCredits | null,
  operation: CreditOperation,
  value: number,
  at: Date,
): { ok: true; credits: KeyCredits } | { ok: false; message: string } {
  if (credits === null) {
    if (operation === 'set') return { ok: true, credits: { remaining: value, refill: null, refilledAt: at } };
    return { ok: false, message: 'The key has unlimited credits: set them before adding or taking any.' };
  }
  const current = creditsAt(credits, at);
  const remaining =
    operation === 'set' ? value : operation === 'increment' ? current.remaining + value : current.remaining - value;
  if (remaining < 0) return { ok: false, message: `Only ${current.remaining} credits remain; none were taken.` };
  if (remaining > MAX_CREDITS) return { ok: false, message: `A key holds at most ${MAX_CREDITS} credits.` };
  return { ok: true, credits: { ...current, remaining } };
}

/**
 * Whether credits given in place of `current` let a key be verified more: none counted any more,
 * more remaining than stand now, or a refill it had not, larger, or more often.
 */
export function liftsCredits(
  current: KeyCredits | null,
  next: { readonly remaining: number; readonly refill: CreditRefill | null } | null,
  at: Date,
): boolean {
  if (current === null) return false;
  if (next === null) return true;
  const standing = creditsAt(current, at);
  if (next.remaining > standing.remaining) return true;
  if (next.refill === null) return false;
  const before = current.refill;
  return (
    before === null ||
    next.refill.amount > before.amount ||
    (next.refill.interval === 'daily' && before.interval === 'monthly')
  );
}

/** A key with its credits as they stand at `at` (a refill due since they were written, done). */
export const withCreditsAt = (key: ApiKey, at: Date): ApiKey =>
  key.credits === null ? key : { ...key, credits: creditsAt(key.credits, at) };

/**
 * A key with its credits as the store holds them now, as they stand at `at`: memory holds what
 * a key's credits are, never how many remain.
 */
export async function withStoredCredits(
  store: Pick<KeyplaneStore, 'findKeyCredits'>,
  key: ApiKey,
  at: Date,
): Promise<ApiKey> {
  if (key.credits === null) return key;
  return withCreditsAt({ ...key, credits: await store.findKeyCredits(key.id) }, at);
}
