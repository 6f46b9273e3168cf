/**
 * Requests that Node's HTTP parser refuses (a repeated Content-Length, Content-Length with
 * Transfer-Encoding, a broken request line or chunk, headers over 16 KiB, an unknown
 * method) never reach the app, and Node answers them with a bare status and no body, and
 * not at all on a connection that already carried a request. This answers every one in the
 * service's error contract (see refusal.ts), then closes the connection:
 * - nothing in flight on the connection (fresh, or idle between keep-alive requests): the
 *   answer is written to the socket;
 * - the refused bytes are the body of the request in flight: that request's own response
 *   carries the answer, unless it is already under way;
 * - a pipelined request behind responses still being written: the answer follows them.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { toProblem, type AppError } from '../errors.ts';
import type { NativeResponse } from '../http/reply.ts';
import { parserRefusal, rawProblemResponse, Refusals, UNKNOWN_METHOD } from './refusal.ts';

/** Node's parser reports its error again for every later chunk: one answer per connection. */
const REFUSED = Symbol('coffee.refused');

type InFlight = ServerResponse & Partial<NativeResponse>;
type HttpSocket = Socket & {
  [REFUSED]?: true;
  /** The response being written on this connection (Node's; later pipelined ones wait in a queue). */
  _httpMessage?: InFlight | null;
  /** The request Node's parser is reading, when it has read its head. */
  parser?: { incoming?: IncomingMessage | null } | null;
};

export class ClientErrorAnswers {
  readonly #refusals: Refusals;

  constructor(refusals: Refusals) {
    this.#refusals = refusals;
  }

  /** Answers `clientError`s of `server` instead of Node. */
  attach(server: Server): void {
    server.on('clientError', (error: NodeJS.ErrnoException, duplex) =>
      this.#onClientError(duplex as HttpSocket, error),
    );
  }

  #onClientError(socket: HttpSocket, error: NodeJS.ErrnoException): void {
    if (socket[REFUSED]) return;
    socket[REFUSED] = true;
    // A client that reset the connection hears nothing.
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const refusal = parserRefusal(error.code);
    const reading = socket.parser?.incoming;
    if (reading && !reading.complete)
      this.#onTurnOf(socket, reading, (res) => this.#answerInFlight(socket, res as InFlight, refusal));
    else this.#onTurnOf(socket, undefined, () => this.#answerOnSocket(socket, refusal));
  }

  /**
   * Runs `then` with `req`'s response once it is the one being written (or, for no `req`,
   * once no response is in flight): pipelined responses go out in order before it.
   */
  #onTurnOf(socket: HttpSocket, req: IncomingMessage | undefined, then: (res: InFlight | undefined) => void): void {
    const res = socket._httpMessage;
    // `req` was answered already (before its body was read): the connection just closes.
    if (!res) return req ? void socket.destroySoon() : then(undefined);
    if (res.req === req) return then(res);
    // Node's own 'finish' listener, added first, has moved the next queued response in by now.
    res.once('finish', () => this.#onTurnOf(socket, req, then));
  }

  /** No response in flight: the refused request is a new one, and the answer goes on the wire. */
  #answerOnSocket(socket: HttpSocket, refusal: AppError): void {
    if (!socket.writable) return void socket.destroy();
    const requestId = Refusals.newRequestId();
    socket.write(rawProblemResponse(refusal, requestId));
    socket.destroySoon();
    this.#refusals.record({ method: UNKNOWN_METHOD, path: '', requestId, error: refusal });
  }

  /**
   * The body of the request in flight is what broke: its response answers (unless it is
   * under way already), and once that answer is out the request's body stream fails with
   * the refusal, so the app counts the request with the status and code the client got.
   */
  #answerInFlight(socket: HttpSocket, res: InFlight, refusal: AppError): void {
    const fail = () => {
      res.req.destroy(refusal);
      socket.destroySoon();
    };
    if (res.writableFinished) return fail();
    res.once('finish', fail);
    if (res.headersSent) return;
    res.shouldKeepAlive = false;
    const { problem, headers } = toProblem(refusal);
    if (res.send) res.send(problem.status, headers, JSON.stringify(problem));
    else res.writeHead(problem.status, headers).end(JSON.stringify(problem));
  }
}
