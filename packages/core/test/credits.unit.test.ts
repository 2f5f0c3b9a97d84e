import { describe, expect, it } from 'vitest';
import { type CreditRefill, changeCredits, creditsAt, type KeyCredits, periodStart, spend } from '../src/index.js';

const at = (text: string) => new Date(text);
const monthly = (refillDay: number | null, amount = 100): CreditRefill => ({ interval: 'monthly', amount, refillDay });
const daily: CreditRefill = { interval: 'daily', amount: 10, refillDay: null };
const credits = (remaining: number, refill: CreditRefill | null, refilledAt: string): KeyCredits => ({
  remaining,
  refill,
  refilledAt: at(refilledAt),
});

describe('refill periods (UTC)', () => {
  it.each([
    ['2026-03-15T13:45:00.000Z', '2026-03-15T00:00:00.000Z'],
    ['2026-03-15T00:00:00.000Z', '2026-03-15T00:00:00.000Z'],
    ['2026-03-14T23:59:59.999Z', '2026-03-14T00:00:00.000Z'],
    ['1969-12-31T12:00:00.000Z', '1969-12-31T00:00:00.000Z'],
  ])('a daily period holding %s starts at %s', (time, start) => {
    expect(periodStart(daily, at(time)).toISOString()).toBe(start);
  });

  it.each([
    [null, '2026-03-15T10:00:00.000Z', '2026-03-01T00:00:00.000Z'],
    [15, '2026-03-15T10:00:00.000Z', '2026-03-15T00:00:00.000Z'],
    [15, '2026-03-14T23:59:59.999Z', '2026-02-15T00:00:00.000Z'],
    [31, '2026-02-28T00:00:00.000Z', '2026-02-28T00:00:00.000Z'],
    [31, '2026-02-27T23:00:00.000Z', '2026-01-31T00:00:00.000Z'],
    [31, '2024-02-29T05:00:00.000Z', '2024-02-29T00:00:00.000Z'],
    [30, '2026-03-29T00:00:00.000Z', '2026-02-28T00:00:00.000Z'],
    [31, '2026-04-30T12:00:00.000Z', '2026-04-30T00:00:00.000Z'],
    [5, '2026-01-04T00:00:00.000Z', '2025-12-05T00:00:00.000Z'],
  ])('a monthly period on day %s holding %s starts at %s', (day, time, start) => {
    expect(periodStart(monthly(day), at(time)).toISOString()).toBe(start);
  });
});

describe('credits as they stand', () => {
  it('refill at the boundary, once per period, and once for a key idle through several', () => {
    const written = credits(3, monthly(31), '2026-01-10T08:00:00.000Z');
    expect(creditsAt(written, at('2026-01-30T23:59:59.999Z'))).toBe(written);
    const refilled = creditsAt(written, at('2026-01-31T00:00:00.000Z'));
    expect(refilled).toEqual(credits(100, monthly(31), '2026-01-31T00:00:00.000Z'));
    // Spent in the period, then read again in it: no second refill.
    const spent = spend(refilled, 40, at('2026-02-10T00:00:00.000Z'));
    expect(spent).toEqual({ spent: true, credits: { ...refilled, remaining: 60 } });
    expect(creditsAt(spent.credits, at('2026-02-27T23:00:00.000Z'))).toBe(spent.credits);
    // February's last day stands for the 31st; then nothing used for five months: one refill.
    expect(creditsAt(spent.credits, at('2026-02-28T00:00:00.000Z')).remaining).toBe(100);
    expect(creditsAt(credits(7, monthly(31), '2026-02-28T00:00:00.000Z'), at('2026-07-15T00:00:00.000Z'))).toEqual(
      credits(100, monthly(31), '2026-06-30T00:00:00.000Z'),
    );
  });

  it('never refill credits without a refill', () => {
    const none = credits(0, null, '2020-01-01T00:00:00.000Z');
    expect(creditsAt(none, at('2030-01-01T00:00:00.000Z'))).toBe(none);
  });

  it('count from when they were given, not from the period the key was made in', () => {
    const given = credits(5, daily, '2026-03-15T18:00:00.000Z');
    expect(creditsAt(given, at('2026-03-15T23:59:59.999Z')).remaining).toBe(5);
    expect(creditsAt(given, at('2026-03-16T00:00:00.000Z')).remaining).toBe(10);
  });
});

describe('spending', () => {
  const now = at('2026-03-15T12:00:00.000Z');
  it.each([
    [5, 1, true, 4],
    [5, 5, true, 0],
    [5, 6, false, 5],
    [0, 1, false, 0],
    [0, 0, true, 0],
    [5, 0, true, 5],
  ])('%i remaining, cost %i: spent %s, %i left', (remaining, cost, spent, left) => {
    const outcome = spend(credits(remaining, null, '2026-03-01T00:00:00.000Z'), cost, now);
    expect(outcome).toEqual({ spent, credits: credits(left, null, '2026-03-01T00:00:00.000Z') });
  });

  it('refills before judging a cost, and keeps the refill when the cost is refused', () => {
    const outcome = spend(credits(0, daily, '2026-03-14T09:00:00.000Z'), 11, now);
    expect(outcome).toEqual({ spent: false, credits: credits(10, daily, '2026-03-15T00:00:00.000Z') });
  });
});

describe('credits operations', () => {
  const now = at('2026-03-15T12:00:00.000Z');
  const held = credits(10, daily, '2026-03-15T00:00:00.000Z');
  it.each([
    ['set', 3, 3],
    ['set', 0, 0],
    ['increment', 5, 15],
    ['decrement', 10, 0],
    ['decrement', 4, 6],
  ] as const)('%s %i leaves %i', (operation, value, remaining) => {
    expect(changeCredits(held, operation, value, now)).toEqual({ ok: true, credits: { ...held, remaining } });
  });

  it('refuse to take more than remain, or to pass the most a key holds, changing nothing', () => {
    expect(changeCredits(held, 'decrement', 11, now)).toEqual({
      ok: false,
      message: 'Only 10 credits remain; none were taken.',
    });
    expect(changeCredits(held, 'increment', Number.MAX_SAFE_INTEGER, now).ok).toBe(false);
  });

  it('give unlimited credits a count only by setting it', () => {
    expect(changeCredits(null, 'set', 7, now)).toEqual({
      ok: true,
      credits: { remaining: 7, refill: null, refilledAt: now },
    });
    expect(changeCredits(null, 'increment', 7, now).ok).toBe(false);
    expect(changeCredits(null, 'decrement', 7, now).ok).toBe(false);
  });

  it('work on the credits refilled, when a period began', () => {
    const stale = credits(2, daily, '2026-03-14T00:00:00.000Z');
    expect(changeCredits(stale, 'increment', 1, now)).toEqual({
      ok: true,
      credits: credits(11, daily, '2026-03-15T00:00:00.000Z'),
    });
  });
});
