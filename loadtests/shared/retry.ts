/**
 * The one retry policy of the toolkit's clients: the load engines (Node and k6) for the
 * requests a journey marks retryable, and the chaos order workload. After a retryable
 * answer the same request is sent again (same Idempotency-Key, so the service answers the
 * order the first attempt may have created), waiting what `Retry-After` says (either form
 * of RFC 9110: delay-seconds or an HTTP-date) or else an exponential back-off with jitter,
 * never more than one cap. The fault experiments rely on it to prove no order is lost or
 * duplicated. Pure (no Node API): the k6 script imports it.
 */

export const MAX_RETRIES = 3;
/**
 * The longest wait before one retry, whatever `Retry-After` asks. A client with a deadline
 * of its own (the chaos order workload settles its orders before the experiment ends)
 * passes a shorter one.
 */
export const MAX_BACKOFF_MS = 5_000;
/** Answers that say "try again later"; 0 stands for no answer (a network error or timeout). */
export const RETRYABLE_STATUSES: readonly number[] = [0, 429, 503];
/** The first back-off without `Retry-After`; it doubles per attempt. */
export const BASE_BACKOFF_MS = 100;

export interface RetryPolicyOptions {
  /** Retries after the first attempt. Default `MAX_RETRIES` (3). */
  maxRetries?: number;
  /** Cap on one wait. Default `MAX_BACKOFF_MS` (5 s). */
  maxBackoffMs?: number;
  /** Statuses worth another attempt (0: no answer). Default `RETRYABLE_STATUSES`. */
  retryableStatuses?: readonly number[];
  /** Epoch ms now, against which an HTTP-date `Retry-After` is read. Default `Date.now`. */
  now?: () => number;
}

export interface RetryPolicy {
  readonly maxRetries: number;
  readonly maxBackoffMs: number;
  isRetryable(status: number): boolean;
  /** Whether attempt `attempt` (1-based) that got `status` (0: no answer) is tried again. */
  shouldRetry(attempt: number, status: number): boolean;
  /**
   * The wait before the retry that follows attempt `attempt` (1-based): what `retryAfter`
   * asks when it is valid, else `BASE_BACKOFF_MS` doubling per attempt with its upper half
   * jittered by `jitter` in [0, 1); never more than `maxBackoffMs`.
   */
  backoffMs(attempt: number, retryAfter: string | undefined, jitter: number): number;
}

/**
 * @example
 * const retry = createRetryPolicy({ maxBackoffMs: 2_000 });
 * if (retry.shouldRetry(attempt, status)) await sleep(retry.backoffMs(attempt, headers['retry-after'], random()));
 */
export function createRetryPolicy({
  maxRetries = MAX_RETRIES,
  maxBackoffMs = MAX_BACKOFF_MS,
  retryableStatuses = RETRYABLE_STATUSES,
  now = Date.now,
}: RetryPolicyOptions = {}): RetryPolicy {
  const retryable = new Set(retryableStatuses);
  return {
    maxRetries,
    maxBackoffMs,
    isRetryable: (status) => retryable.has(status),
    shouldRetry: (attempt, status) => attempt <= maxRetries && retryable.has(status),
    backoffMs(attempt, retryAfter, jitter) {
      const asked = parseRetryAfter(retryAfter, now());
      if (asked !== undefined) return Math.min(maxBackoffMs, asked);
      const base = BASE_BACKOFF_MS * 2 ** (attempt - 1);
      return Math.min(maxBackoffMs, base / 2 + (base / 2) * jitter);
    },
  };
}

/**
 * The wait in ms a `Retry-After` value asks for (RFC 9110 section 10.2.3): delay-seconds,
 * or an HTTP-date read against `nowMs` (a date in the past asks for no wait). Undefined
 * when the header is absent or not one of those forms (a negative or fractional number,
 * garbage), so the caller falls back to its own back-off. Not capped.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = parseHttpDate(text, nowMs);
  return date === undefined ? undefined : Math.max(0, date - nowMs);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// The three forms RFC 9110 section 5.6.7 makes a recipient accept, with their captures
// in the order day, month, year, hour, minute, second.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/** Epoch ms of an HTTP-date in any of its three forms, or undefined when it is not one. */
function parseHttpDate(text: string, nowMs: number): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850_DATE.exec(text);
  if (m) return utc(fullYear(Number(m[3]), nowMs), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = ASCTIME_DATE.exec(text);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return undefined;
}

/** RFC 9110: a two-digit year more than 50 years ahead is the most recent past year with those digits. */
function fullYear(twoDigits: number, nowMs: number): number {
  const thisYear = new Date(nowMs).getUTCFullYear();
  let year = thisYear - (thisYear % 100) + twoDigits;
  if (year > thisYear + 50) year -= 100;
  else if (year < thisYear - 50) year += 100;
  return year;
}

function utc(
  year: number,
  month: string,
  day: number,
  hour: string,
  minute: string,
  second: string,
): number | undefined {
  const monthIndex = MONTHS.indexOf(month);
  const [h, min, s] = [Number(hour), Number(minute), Number(second)];
  // Second 60 is a leap second; anything else out of range is not a date.
  if (h > 23 || min > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, monthIndex, day, h, min, s);
  // Date.UTC rolls 31 Feb over into March: such a day does not exist.
  return new Date(Date.UTC(year, monthIndex, day)).getUTCDate() === day ? ms : undefined;
}
