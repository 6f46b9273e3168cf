/**
 * How handlers answer. On the Node server the answer is written straight to the socket's
 * response in one `writeHead` (security headers and request id pre-rendered, see
 * `server/response.ts`); elsewhere (Lambda, `app.request` in tests) it is a Hono response.
 *
 * Why: building a Fetch `Response` and having the adapter copy it onto Node's response
 * cost about a seventh of GET /menu's throughput (`npm run bench`, README "Performance").
 * `RESPONSE_ALREADY_SENT` is @hono/node-server's documented way to say "already written".
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

/** Answers `body` with `status` and `headers` (which name the content type). */
export function reply(c: Context, status: number, body: string, headers: ResponseHeaders): Response {
  const native = nativeResponse(c);
  if (native) {
    // An error after the answer went out cannot change it (it is logged where it happened).
    if (!native.headersSent) native.send(status, headers, body);
    return RESPONSE_ALREADY_SENT;
  }
  return c.body(body, status as 200, headers);
}

/** Answers `value` as JSON. */
export function replyJson(c: Context, value: unknown, status = 200, headers?: ResponseHeaders): Response {
  return reply(c, status, JSON.stringify(value), headers ? { ...JSON_TYPE, ...headers } : JSON_TYPE);
}
