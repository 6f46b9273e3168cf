/**
 * The one place where AWS SDK errors become domain errors. Throttling, timeouts, 5xx and
 * network failures mean "the store is unavailable, retry later" (503); everything else is
 * an internal error whose SDK message never reaches a client.
 */
import { AppError, DependencyUnavailableError, ErrorCodes } from '../errors.ts';

/** DynamoDB error names that mean "slow down". */
export const THROTTLING_ERRORS: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

const UNAVAILABLE_ERRORS: ReadonlySet<string> = new Set([
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

interface SdkLikeError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as SdkLikeError | undefined)?.name === 'ConditionalCheckFailedException';
}

/** Maps an SDK error to an `AppError`; an `AppError` passes through unchanged. */
export function toStoreError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const e = (error ?? {}) as SdkLikeError;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode ?? 0;
  if (THROTTLING_ERRORS.has(name)) return new DependencyUnavailableError(error, 1);
  if (UNAVAILABLE_ERRORS.has(name) || status >= 500 || NETWORK_CODES.has(e.code ?? '') || /socket hang up/i.test(String((error as Error)?.message))) {
    return new DependencyUnavailableError(error, 2);
  }
  return new AppError(500, ErrorCodes.Internal, 'store error', { cause: error });
}
