/**
 * The service's one error hierarchy. Every error that reaches a client is an `AppError`
 * with a stable `code`, an HTTP `status` and a safe `detail`; the `cause` is kept for the
 * logs and never sent. SDK errors become `AppError`s in the store adapter and nowhere else.
 */

/** Stable error codes: the `code` member of every problem+json body. */
export const ErrorCodes = {
  Validation: 'validation_failed',
  MalformedJson: 'malformed_json',
  Unauthenticated: 'unauthenticated',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  Conflict: 'conflict',
  EmailTaken: 'email_taken',
  VersionMismatch: 'version_mismatch',
  IllegalTransition: 'illegal_transition',
  IdempotencyKeyReused: 'idempotency_key_reused',
  PayloadTooLarge: 'payload_too_large',
  RequestTimeout: 'request_timeout',
  UnsupportedMediaType: 'unsupported_media_type',
  PreconditionRequired: 'precondition_required',
  RateLimited: 'rate_limited',
  DependencyUnavailable: 'dependency_unavailable',
  InjectedFault: 'injected_fault',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** One offending input: where it is and what is wrong with it. */
export interface FieldError {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  cause?: unknown;
  errors?: FieldError[];
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  headers?: Record<string, string>;
}

export class AppError extends Error {
  override readonly name: string = 'AppError';
  readonly errors?: FieldError[];
  readonly retryAfter?: number;
  readonly headers?: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.errors) this.errors = options.errors;
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    if (options.headers) this.headers = options.headers;
  }
}

export class ValidationError extends AppError {
  override readonly name = 'ValidationError';
  constructor(errors: FieldError[]) {
    const first = errors[0];
    super(400, ErrorCodes.Validation, first ? `${first.field}: ${first.message}` : 'The request is invalid', {
      errors,
    });
  }
}

export class UnauthenticatedError extends AppError {
  override readonly name = 'UnauthenticatedError';
  constructor(message = 'A valid bearer token is required', cause?: unknown) {
    super(401, ErrorCodes.Unauthenticated, message, { cause, headers: { 'www-authenticate': 'Bearer' } });
  }
}

export class ForbiddenError extends AppError {
  override readonly name = 'ForbiddenError';
  constructor(message = 'You may not do this') {
    super(403, ErrorCodes.Forbidden, message);
  }
}

export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  constructor(what: string) {
    super(404, ErrorCodes.NotFound, `${what} was not found`);
  }
}

export class ConflictError extends AppError {
  override readonly name = 'ConflictError';
  constructor(code: ErrorCode, message: string) {
    super(code === ErrorCodes.IdempotencyKeyReused ? 422 : 409, code, message);
  }
}

/** DynamoDB throttled, timed out or could not be reached: the client may retry later. */
export class DependencyUnavailableError extends AppError {
  override readonly name = 'DependencyUnavailableError';
  constructor(cause: unknown, retryAfter = 1) {
    super(503, ErrorCodes.DependencyUnavailable, 'The order store is unavailable; retry later', {
      cause,
      retryAfter,
    });
  }
}

export class RateLimitedError extends AppError {
  override readonly name = 'RateLimitedError';
  constructor(retryAfter: number) {
    super(429, ErrorCodes.RateLimited, 'Too many requests; slow down', { retryAfter });
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** An RFC 9457 problem details body. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Turns any thrown value into the problem body and headers a client may see. Anything that
 * is not an `AppError` is an internal error whose message is hidden.
 */
export function toProblem(error: unknown, instance?: string): { problem: Problem; headers: Record<string, string> } {
  const app = error instanceof AppError ? error : new AppError(500, ErrorCodes.Internal, 'internal');
  const detail = app.code === ErrorCodes.Internal ? 'An unexpected error occurred; it has been logged' : app.message;
  const problem: Problem = {
    type: `https://coffee-cloud.dev/problems/${app.code.replaceAll('_', '-')}`,
    title: TITLES[app.status] ?? 'Error',
    status: app.status,
    code: app.code,
    detail,
  };
  if (instance) problem.instance = instance;
  if (app.errors) problem.errors = app.errors;
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE, ...app.headers };
  if (app.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(app.retryAfter)));
  return { problem, headers };
}
