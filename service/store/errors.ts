/**
 * The one place where AWS SDK errors become domain errors. Throttling, timeouts, 5xx and
 * network failures mean "the store is unavailable, retry later" (503); a key or item over
 * DynamoDB's size limits is the request's fault (400); everything else is an internal error
 * whose SDK message never reaches a client.
 */
import { AppError, DependencyUnavailableError, ErrorCodes, ValidationError } from '../errors.ts';

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

/**
 * DynamoDB's ValidationException messages for a value over its size limits. The service
 * bounds its inputs below them (domain/limits.ts), so these mean an unchecked input got
 * through: still the request's fault, never a 500. Other ValidationExceptions are ours.
 */
const SIZE_LIMIT_MESSAGE =
  /size of hashkey has exceeded|size of all range keys has exceeded|item size has exceeded|key .*exceeds? .*(?:size|length)/i;

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
  if (name === 'ValidationException' && SIZE_LIMIT_MESSAGE.test(String((error as Error).message))) {
    return new ValidationError([
      { field: '(request)', message: "names a key or holds a value over the store's size limits" },
    ]);
  }
  if (
    UNAVAILABLE_ERRORS.has(name) ||
    status >= 500 ||
    NETWORK_CODES.has(e.code ?? '') ||
    /socket hang up/i.test(String((error as Error)?.message))
  ) {
    return new DependencyUnavailableError(error, 2);
  }
  return new AppError(500, ErrorCodes.Internal, 'store error', { cause: error });
}
