/**
 * The Node server: listens, and on SIGTERM/SIGINT stops accepting, drains in-flight
 * requests (bounded), flushes telemetry and closes the store.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createServer } from 'node:http';
import type { Hono } from 'hono';
import { answerClientErrors } from './client-error.ts';
import { CoffeeResponse } from './response.ts';

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  /** Stops accepting, waits for in-flight requests (at most `drainMs`), closes idle sockets. */
  close(drainMs?: number): Promise<void>;
}

export async function listen(app: Hono<any>, { port = 0, host = '127.0.0.1' }: { port?: number; host?: string } = {}): Promise<RunningServer> {
  // The handlers answer natively (`http/reply.ts`), so the adapter's replacement of the
  // global Request/Response buys nothing; leaving the globals alone also keeps its
  // RESPONSE_ALREADY_SENT a plain Fetch response, which is what the adapter checks for.
  const listener = getRequestListener(app.fetch, { overrideGlobalObjects: false });
  const server = createServer({ keepAliveTimeout: 65_000, ServerResponse: CoffeeResponse }, (req, res) => void listener(req, res));
  // Headers and whole requests are bounded, so a slow client cannot hold a socket forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  answerClientErrors(server);
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
