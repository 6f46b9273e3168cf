/**
 * Requests refused before the app runs: by Node's HTTP parser (broken framing, headers over
 * 16 KiB, an unknown method) or by @hono/node-server (no or an invalid Host, a backslash
 * in the path). They are answered in the service's error contract like every other error
 * (problem+json with a stable code, then the connection is closed), and counted in the
 * request metrics and the access log with the status the client received.
 */
import { randomUUID } from 'node:crypto';
import { AppError, ErrorCodes, toProblem } from '../errors.ts';
import { SECURITY_HEADER_ENTRIES } from '../http/security-headers.ts';
import type { Telemetry } from '../telemetry/types.ts';

/** The route of a request no route saw (as the app names an unmatched path). */
export const REFUSED_ROUTE = 'unmatched';
/** The method of a request whose request line did not parse (OpenTelemetry's name for it). */
export const UNKNOWN_METHOD = '_OTHER';
const MAX_LOGGED_PATH = 256;

function invalidRequest(field: string, message: string): AppError {
  return new AppError(400, ErrorCodes.Validation, `${field} ${message}`, { errors: [{ field, message }] });
}

/** What a request Node's parser refused is answered with, by the parser's error code. */
export function parserRefusal(code: string | undefined): AppError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new AppError(431, ErrorCodes.PayloadTooLarge, 'The request headers are too large');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new AppError(413, ErrorCodes.PayloadTooLarge, 'The chunk extensions are too large');
    case 'HPE_INVALID_METHOD':
      // 400 rather than RFC 9110's 501: a method token the parser does not know is the client's
      // error, and the error metrics and SLOs must not count a scanner's junk as the server's.
      return new AppError(400, ErrorCodes.Validation, 'The request method is not one this server implements', {
        errors: [{ field: '(method)', message: 'is not an HTTP method this server implements' }],
      });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError(408, ErrorCodes.RequestTimeout, 'The request did not arrive in time');
    default:
      return new AppError(400, ErrorCodes.Validation, 'The request is not valid HTTP/1.1', {
        errors: [
          {
            field: '(request)',
            message: 'is not valid HTTP/1.1 (e.g. a repeated Content-Length, or Content-Length with Transfer-Encoding)',
          },
        ],
      });
  }
}

/**
 * What a request @hono/node-server could not turn into a Fetch request is answered with,
 * naming the header or the part of the request line at fault.
 */
export function adapterRefusal(error: unknown, headers: { host?: string | undefined }): AppError {
  const message = error instanceof Error ? error.message : '';
  if (/backslash/i.test(message)) return invalidRequest('(path)', 'must not contain a backslash');
  const host = headers.host;
  if (!host) return invalidRequest('Host', 'header is required');
  if (/host/i.test(message) || !URL.canParse(`http://${host}/`))
    return invalidRequest('Host', 'header must be a host name or address with an optional port');
  return invalidRequest('(request-target)', 'is not a valid request target');
}

/** A whole HTTP/1.1 answer carrying `error` as problem+json, for writing straight to a socket. */
export function rawProblemResponse(error: AppError, requestId: string): string {
  const { problem, headers } = toProblem(error);
  const body = JSON.stringify(problem);
  const lines = [
    `HTTP/1.1 ${problem.status} ${problem.title}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ...SECURITY_HEADER_ENTRIES.map(([name, value]) => `${name}: ${value}`),
    `x-request-id: ${requestId}`,
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** The same answer as a Fetch response (the adapter writes it, adding the security headers). */
export function problemFetchResponse(error: AppError): Response {
  const { problem, headers } = toProblem(error);
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { ...headers, connection: 'close' },
  });
}

export interface RefusedRequest {
  method: string;
  path: string;
  requestId: string;
  error: AppError;
}

const NO_HEADERS = { get: () => undefined };

/** Counts refused requests as the app counts the requests it answers. Never throws. */
export class Refusals {
  readonly #telemetry: Telemetry | undefined;

  constructor(telemetry?: Telemetry) {
    this.#telemetry = telemetry;
  }

  static newRequestId(): string {
    return randomUUID();
  }

  record({ method, path, requestId, error }: RefusedRequest): void {
    if (!this.#telemetry) return;
    try {
      const scope = this.#telemetry.startRequest({
        method,
        path: path.slice(0, MAX_LOGGED_PATH),
        route: REFUSED_ROUTE,
        requestId,
        headers: NO_HEADERS,
      });
      scope.end({ route: REFUSED_ROUTE, status: error.status, error, errorCode: error.code });
    } catch {
      // Telemetry degrades on its own; a refusal is answered all the same.
    }
  }

  /** An answer the server had to make that no request explains (it is logged, once per cause). */
  failed(error: unknown): void {
    try {
      this.#telemetry?.logger.error({ err: error }, 'the HTTP adapter failed a request');
    } catch {
      // as above
    }
  }
}
