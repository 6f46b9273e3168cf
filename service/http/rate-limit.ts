/**
 * A token bucket per principal (or per client address when anonymous). Hand-written
 * because the Hono rate limiters on npm either need a store (Redis) or count fixed
 * windows, which lets a client burst twice the limit at a window edge; this is 40 lines.
 */
export interface RateLimitOptions {
  /** Sustained requests per second per key. */
  rps: number;
  /** Requests a key may send at once after being idle. */
  burst: number;
  /** Most keys tracked; the least recently refilled are dropped beyond it. */
  maxKeys?: number;
  now?: () => number;
}

export interface RateLimiter {
  /** 0 when the request may go ahead, else the seconds to wait. */
  take(key: string): number;
}

export function createRateLimiter({
  rps,
  burst,
  maxKeys = 50_000,
  now = () => performance.now(),
}: RateLimitOptions): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      let bucket = buckets.get(key);
      if (bucket) {
        bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.at) / 1000) * rps);
        bucket.at = t;
        // Re-insert so Map order tracks recency for eviction.
        buckets.delete(key);
      } else {
        bucket = { tokens: burst, at: t };
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
      }
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return (1 - bucket.tokens) / rps;
    },
  };
}
