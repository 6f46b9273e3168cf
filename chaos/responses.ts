/**
 * One HTTP exchange as the experiment saw it, whoever sent it (the load-test engine, the
 * audited order workload, a steady-state probe). Error bodies are kept (truncated) so the
 * error-contract invariant can read them; success bodies are not.
 */

export const ResponseSources = { Load: 'load', OrderClient: 'order-client', Probe: 'probe' } as const;
export type ResponseSource = (typeof ResponseSources)[keyof typeof ResponseSources];

export interface RecordedResponse {
  source: ResponseSource;
  method: string;
  /** `METHOD /template` as in the catalog's ROUTES when known, else `METHOD /path`. */
  route: string;
  /** Epoch ms when the request was sent. */
  at: number;
  latencyMs: number;
  /** Absent when no HTTP response came (timeout, reset, connection refused). */
  status?: number;
  networkError?: string;
  contentType?: string;
  retryAfter?: string;
  /** Kept for responses of 400 and above, at most `MAX_KEPT_BODY` characters. */
  body?: string;
}

export const MAX_KEPT_BODY = 4_096;

/** Builds a record from a fetch `Response` whose body was read as `body`. */
export function fromFetch(
  base: Pick<RecordedResponse, 'source' | 'method' | 'route' | 'at' | 'latencyMs'>,
  response: Response,
  body: string,
): RecordedResponse {
  const record: RecordedResponse = { ...base, status: response.status };
  const contentType = response.headers.get('content-type');
  const retryAfter = response.headers.get('retry-after');
  if (contentType !== null) record.contentType = contentType;
  if (retryAfter !== null) record.retryAfter = retryAfter;
  if (response.status >= 400) record.body = body.slice(0, MAX_KEPT_BODY);
  return record;
}

/** A short name for a fetch failure: `timeout`, or the socket error code (ECONNRESET, ECONNREFUSED...). */
export function networkErrorName(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; name?: string } };
  if (e.name === 'TimeoutError' || e.cause?.name === 'TimeoutError') return 'timeout';
  return e.cause?.code ?? e.message ?? 'network error';
}
