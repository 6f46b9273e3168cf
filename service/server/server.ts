/**
 * The Node server: listens, and on SIGTERM/SIGINT stops accepting, drains in-flight
 * requests (bounded), flushes telemetry and closes the store.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createServer } from 'node:http';
import type { Hono } from 'hono';
import { AppError, ErrorCodes } from '../errors.ts';
import type { Telemetry } from '../telemetry/types.ts';
import { ClientErrorAnswers } from './client-error.ts';
import { adapterRefusal, problemFetchResponse, Refusals } from './refusal.ts';
import { CoffeeResponse } from './response.ts';

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  /** Stops accepting, waits for in-flight requests (at most `drainMs`), closes idle sockets. */
  close(drainMs?: number): Promise<void>;
}

export interface ListenOptions {
  port?: number;
  host?: string;
  /** Counts the requests refused before the app runs (the app counts the others). */
  telemetry?: Telemetry;
}

/**
 * Hands each request to the adapter, which answers what it cannot turn into a Fetch
 * request (no or a bad Host, a backslash in the path) through `refuse`. The adapter builds
 * the request synchronously, so the response being handed over is the one refused.
 */
class RequestHandler {
  readonly #refusals: Refusals;
  readonly #listener: (req: IncomingMessage, res: CoffeeResponse) => Promise<void>;
  #arriving: CoffeeResponse | undefined;

  constructor(app: Hono<any>, refusals: Refusals) {
    this.#refusals = refusals;
    // The handlers answer natively (`http/reply.ts`), so the adapter's replacement of the
    // global Request/Response buys nothing; leaving the globals alone also keeps its
    // RESPONSE_ALREADY_SENT a plain Fetch response, which is what the adapter checks for.
    this.#listener = getRequestListener(app.fetch, {
      overrideGlobalObjects: false,
      errorHandler: (error) => this.#refuse(error),
    });
  }

  handle(req: IncomingMessage, res: CoffeeResponse): void {
    this.#arriving = res;
    void this.#listener(req, res);
    this.#arriving = undefined;
  }

  #refuse(error: unknown): Response {
    const res = this.#arriving;
    this.#arriving = undefined;
    if (!res) {
      // The app's fetch failed instead of answering (its onError answers every error it sees).
      this.#refusals.failed(error);
      return problemFetchResponse(new AppError(500, ErrorCodes.Internal, 'internal', { cause: error }));
    }
    const refusal = adapterRefusal(error, res.req.headers);
    this.#refusals.record({
      method: res.req.method ?? '',
      path: res.req.url ?? '',
      requestId: res.requestId,
      error: refusal,
    });
    return problemFetchResponse(refusal);
  }
}

export async function listen(
  app: Hono<any>,
  { port = 0, host = '127.0.0.1', telemetry }: ListenOptions = {},
): Promise<RunningServer> {
  const refusals = new Refusals(telemetry);
  const handler = new RequestHandler(app, refusals);
  // A request without Host goes to the adapter too, so that it is refused in the contract.
  const server = createServer(
    { keepAliveTimeout: 65_000, ServerResponse: CoffeeResponse, requireHostHeader: false },
    (req, res) => handler.handle(req, res),
  );
  // Headers and whole requests are bounded, so a slow client cannot hold a socket forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  new ClientErrorAnswers(refusals).attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostPart}:${address.port}`,
    port: address.port,
    server,
    async close(drainMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), drainMs);
      // Keep-alive sockets that finish a request while draining are closed as they go idle.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      await closed;
      clearTimeout(timer);
      clearInterval(sweep);
    },
  };
}
