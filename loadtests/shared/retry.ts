/**
 * The retry policy for requests a journey marks retryable (placing an order): after a 429,
 * a 503 or a network error, send the same request again (same Idempotency-Key, so the
 * service answers the order the first attempt may have created), at most `MAX_RETRIES`
 * times, waiting what Retry-After says or else an exponential back-off with jitter. The
 * fault experiments rely on this to prove no order is lost or duplicated. Pure.
 */

export const MAX_RETRIES = 3;
export const MAX_BACKOFF_MS = 5_000;
export const RETRYABLE_STATUSES: readonly number[] = [0, 429, 503];

export function isRetryable(status: number): boolean {
  return RETRYABLE_STATUSES.includes(status);
}

/**
 * Back-off before retry `attempt` (1-based): Retry-After (seconds) when the answer has it,
 * else 100 ms doubling per attempt, the upper half jittered by `jitter` in [0, 1); never
 * more than `maxMs`.
 */
export function backoffMs(attempt: number, retryAfter: string | undefined, jitter: number, maxMs = MAX_BACKOFF_MS): number {
  const seconds = retryAfter === undefined || retryAfter.trim() === '' ? NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(maxMs, seconds * 1000);
  const base = 100 * 2 ** (attempt - 1);
  return Math.min(maxMs, base / 2 + (base / 2) * jitter);
}
