/**
 * How handlers answer. On the Node server the answer is written straight to the socket's
 * response in one `writeHead` (security headers and request id pre-rendered, see
 * `server/response.ts`); elsewhere (Lambda, `app.request` in tests) it is a Hono response.
 *
 * Why: building a Fetch `Response` and having the adapter copy it onto Node's response
 * is a large share of a cached GET's cost (docs/performance.md, "Native answers").
 * `RESPONSE_ALREADY_SENT` is @hono/node-server's documented way to say "already written".
 * So a header is set with `setResponseHeader`, never with `c.header` or on `c.res` after
 * `next()`: only that reaches the client on both entry points.
 */
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';

export type ResponseHeaders = Readonly<Record<string, string>>;

/** What the Node server's response offers (`server/response.ts`); absent elsewhere. */
export interface NativeResponse {
  readonly requestId: string;
  readonly statusCode: number;
  readonly headersSent: boolean;
  send(status: number, headers: ResponseHeaders, body: string): void;
  /** A header for the answer `send` writes later (Node's `ServerResponse#setHeader`). */
  setHeader(name: string, value: string): unknown;
}

const JSON_TYPE: ResponseHeaders = { 'content-type': 'application/json' };

/** The Node server's response when the request came through it. */
export function nativeResponse(c: Context): NativeResponse | undefined {
  const outgoing = (c.env as { outgoing?: Partial<NativeResponse> } | undefined)?.outgoing;
  return typeof outgoing?.send === 'function' ? (outgoing as NativeResponse) : undefined;
}

/** True when `res` stands for an answer already written natively. */
export function wasSentNatively(res: Response): boolean {
  return res === RESPONSE_ALREADY_SENT;
}

/** Contexts whose Hono response `reply` has built (off the Node server only). */
const answered = new WeakSet<Context>();

/** Answers `body` with `status` and `headers` (which name the content type). */
export function reply(c: Context, status: number, body: string, headers: ResponseHeaders): Response {
  const native = nativeResponse(c);
  if (native) {
    // An error after the answer went out cannot change it (it is logged where it happened).
    if (!native.headersSent) native.send(status, headers, body);
    return RESPONSE_ALREADY_SENT;
  }
  answered.add(c);
  return c.body(body, status as 200, headers);
}

/** Thrown by `setResponseHeader` once the answer exists: the header could not reach the client everywhere. */
export class LateResponseHeaderError extends Error {
  override readonly name = 'LateResponseHeaderError';
  constructor(header: string) {
    super(
      `The response header ${header} was set after the answer was made; set it before \`reply\` (in a middleware, before \`await next()\`)`,
    );
  }
}

/**
 * The one way for handlers and middlewares to set a response header: it reaches the client
 * on the Node server and on Lambda alike, on a success and on a problem answer. Set it
 * before the answer is made: in a handler before `reply`/`replyJson`, in a middleware
 * before `await next()`. On the Node server the answer goes straight to the socket, so a
 * header set afterwards would be lost there and kept on Lambda; it throws
 * `LateResponseHeaderError` on both instead.
 *
 * @example
 * app.use(async (c, next) => {
 *   setResponseHeader(c, 'x-served-by', 'coffee');
 *   await next();
 * });
 */
export function setResponseHeader(c: Context, name: string, value: string): void {
  const native = nativeResponse(c);
  if (native) {
    if (native.headersSent) throw new LateResponseHeaderError(name);
    native.setHeader(name, value);
    return;
  }
  if (c.finalized || answered.has(c)) throw new LateResponseHeaderError(name);
  c.header(name, value);
}

/** Answers `value` as JSON. */
export function replyJson(c: Context, value: unknown, status = 200, headers?: ResponseHeaders): Response {
  return reply(c, status, JSON.stringify(value), headers ? { ...JSON_TYPE, ...headers } : JSON_TYPE);
}
