import { describe, expect, it } from 'vitest';
import { BASE_BACKOFF_MS, createRetryPolicy, MAX_BACKOFF_MS, parseRetryAfter } from './retry.ts';

const NOW = Date.UTC(2026, 11, 6, 8, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delay-seconds as milliseconds, with surrounding whitespace', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('1', NOW)).toBe(1_000);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
  });

  it('reads an IMF-fixdate against the given clock', () => {
    expect(parseRetryAfter('Sun, 06 Dec 2026 08:00:03 GMT', NOW)).toBe(3_000);
    expect(parseRetryAfter('Mon, 07 Dec 2026 08:00:00 GMT', NOW)).toBe(86_400_000);
  });

  it('reads the obsolete forms a recipient must accept: RFC 850 (two-digit year) and asctime', () => {
    expect(parseRetryAfter('Sunday, 06-Dec-26 08:00:02 GMT', NOW)).toBe(2_000);
    expect(parseRetryAfter('Sun Dec  6 08:00:04 2026', NOW)).toBe(4_000);
    expect(parseRetryAfter('Sun Dec 06 08:00:05 2026', NOW)).toBe(5_000);
  });

  it('asks for no wait when the date is past', () => {
    expect(parseRetryAfter('Sun, 06 Dec 2026 07:59:59 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT', NOW)).toBe(0);
    // A two-digit year more than 50 years ahead is in the past century.
    expect(parseRetryAfter('Monday, 01-Jan-90 00:00:00 GMT', NOW)).toBe(0);
  });

  it('refuses what is neither form: garbage, negative or fractional seconds, impossible dates', () => {
    for (const value of [
      undefined,
      '',
      '   ',
      'soon',
      '-5',
      '1.5',
      '1e3',
      '0x10',
      '+3',
      'Sun, 31 Feb 2026 08:00:00 GMT',
      'Sun, 06 Dec 2026 25:00:00 GMT',
      'Sun, 06 Dec 2026 08:00:00 UTC',
      '2026-12-06T08:00:05Z',
    ]) {
      expect(parseRetryAfter(value, NOW), String(value)).toBeUndefined();
    }
  });
});

describe('the retry policy', () => {
  const policy = createRetryPolicy({ now: () => NOW });

  it('retries what says "try again later" (and no answer), up to maxRetries retries', () => {
    expect([0, 429, 503].map((s) => policy.shouldRetry(1, s))).toEqual([true, true, true]);
    expect([200, 201, 400, 404, 409, 500].map((s) => policy.shouldRetry(1, s))).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(policy.shouldRetry(policy.maxRetries, 503)).toBe(true);
    expect(policy.shouldRetry(policy.maxRetries + 1, 503)).toBe(false);
    const careful = createRetryPolicy({ maxRetries: 7, retryableStatuses: [0, 500, 503] });
    expect(careful.shouldRetry(7, 500)).toBe(true);
    expect(careful.shouldRetry(8, 500)).toBe(false);
  });

  it('waits what Retry-After asks, in either form', () => {
    expect(policy.backoffMs(1, '2', 0.5)).toBe(2_000);
    expect(policy.backoffMs(3, 'Sun, 06 Dec 2026 08:00:01 GMT', 0.5)).toBe(1_000);
    expect(policy.backoffMs(2, 'Sun, 06 Dec 2026 07:00:00 GMT', 0.5)).toBe(0);
  });

  it('caps a huge Retry-After, and the cap is an option', () => {
    expect(policy.maxBackoffMs).toBe(MAX_BACKOFF_MS);
    expect(policy.backoffMs(1, '3600', 0)).toBe(MAX_BACKOFF_MS);
    expect(policy.backoffMs(1, '9'.repeat(400), 0)).toBe(MAX_BACKOFF_MS);
    expect(policy.backoffMs(1, 'Fri, 31 Dec 9999 23:59:59 GMT', 0)).toBe(MAX_BACKOFF_MS);
    expect(createRetryPolicy({ maxBackoffMs: 2_000 }).backoffMs(1, '60', 0)).toBe(2_000);
  });

  it('backs off exponentially with the upper half jittered when Retry-After is absent or invalid', () => {
    expect(policy.backoffMs(1, undefined, 0)).toBe(BASE_BACKOFF_MS / 2);
    expect(policy.backoffMs(1, 'garbage', 0.999)).toBeCloseTo(BASE_BACKOFF_MS * 0.9995);
    expect(policy.backoffMs(2, '-1', 0.5)).toBe(BASE_BACKOFF_MS * 2 * 0.75);
    expect(policy.backoffMs(3, undefined, 0)).toBe(BASE_BACKOFF_MS * 2);
    expect(policy.backoffMs(20, undefined, 0)).toBe(MAX_BACKOFF_MS);
  });

  it('reads an HTTP-date against the clock it was given', () => {
    let now = NOW;
    const clocked = createRetryPolicy({ now: () => now });
    const header = 'Sun, 06 Dec 2026 08:00:04 GMT';
    expect(clocked.backoffMs(1, header, 0)).toBe(4_000);
    now += 3_000;
    expect(clocked.backoffMs(1, header, 0)).toBe(1_000);
  });
});
