/**
 * The Node server's response class (`createServer({ ServerResponse })`). Every answer
 * leaves with the security headers and the request id, whoever writes it:
 * - `send()` is the handlers' fast path (`http/reply.ts`): one `writeHead` with the whole
 *   head as a flat list, the constant part rendered once;
 * - anything else (the adapter's own answers, Node's implicit head) goes through
 *   `writeHead`, which adds what is missing first.
 */
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';
import { requestIdOf } from '../http/context.ts';
import type { NativeResponse, ResponseHeaders } from '../http/reply.ts';
import { SECURITY_HEADER_ENTRIES } from '../http/security-headers.ts';

const SECURITY_HEAD: readonly string[] = SECURITY_HEADER_ENTRIES.flat();

export class CoffeeResponse<Request extends IncomingMessage = IncomingMessage>
  extends ServerResponse<Request>
  implements NativeResponse
{
  #requestId: string | undefined;
  #secured = false;

  /** The client's `x-request-id` when it is a sane one, else a fresh one; fixed per request. */
  get requestId(): string {
    if (this.#requestId === undefined) {
      const given = this.req.headers['x-request-id'];
      this.#requestId = requestIdOf(typeof given === 'string' ? given : undefined);
    }
    return this.#requestId;
  }

  send(status: number, headers: ResponseHeaders, body: string): void {
    const head = [...SECURITY_HEAD, 'x-request-id', this.requestId];
    for (const name in headers) head.push(name, headers[name]!);
    head.push('content-length', String(Buffer.byteLength(body)));
    this.#secured = true;
    super.writeHead(status, head);
    this.end(body);
  }

  override writeHead(
    statusCode: number,
    statusMessage?: string,
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this;
  override writeHead(statusCode: number, headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this;
  override writeHead(statusCode: number, ...rest: unknown[]): this {
    if (!this.#secured) {
      this.#secured = true;
      for (const [name, value] of SECURITY_HEADER_ENTRIES) if (!this.hasHeader(name)) this.setHeader(name, value);
      this.setHeader('x-request-id', this.requestId);
    }
    return super.writeHead(statusCode, ...(rest as [string, OutgoingHttpHeaders]));
  }
}
