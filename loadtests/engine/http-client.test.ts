import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from './http-client.ts';

let server: Server | undefined;
let client: HttpClient | undefined;

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  client?.close();
  client = undefined;
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('HttpClient', () => {
  it('sends method, path, headers and body, and reuses its sockets', async () => {
    const sockets = new Set<unknown>();
    const origin = await serve((req, res) => {
      sockets.add(req.socket);
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.writeHead(201, { 'content-type': 'application/json', 'retry-after': '3' });
        res.end(JSON.stringify({ method: req.method, url: req.url, key: req.headers['idempotency-key'], body }));
      });
    });
    client = new HttpClient({ origin, connections: 2 });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        client!.request({
          method: 'POST',
          path: `/orders?i=${i}`,
          headers: { 'idempotency-key': `k${i}` },
          body: `{"n":${i}}`,
        }),
      ),
    );
    answers.forEach((answer, i) => {
      expect(answer.status).toBe(201);
      expect(answer.headers['retry-after']).toBe('3');
      expect(answer.headers['set-cookie']).toBe('a=1, b=2');
      expect(JSON.parse(answer.body)).toEqual({
        method: 'POST',
        url: `/orders?i=${i}`,
        key: `k${i}`,
        body: `{"n":${i}}`,
      });
    });
    expect(sockets.size).toBeLessThanOrEqual(2);
  });

  it('reads chunked answers and multi-byte text', async () => {
    const origin = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.write('café ');
      setTimeout(() => res.end('☕'.repeat(5000)), 5);
    });
    client = new HttpClient({ origin, connections: 1 });
    const answer = await client.request({ method: 'GET', path: '/', headers: {} });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(`café ${'☕'.repeat(5000)}`);
  });

  it('answers status 0 for a refused connection, and recovers when the server closes sockets', async () => {
    const closed = new HttpClient({ origin: 'http://127.0.0.1:1', connections: 1 });
    const refused = await closed.request({ method: 'GET', path: '/', headers: {} });
    closed.close();
    expect(refused.status).toBe(0);
    expect(refused.error).toMatch(/ECONNREFUSED/);

    const origin = await serve((_req, res) => {
      res.writeHead(200, { connection: 'close' });
      res.end('bye');
    });
    client = new HttpClient({ origin, connections: 1 });
    for (let i = 0; i < 3; i++) {
      const answer = await client.request({ method: 'GET', path: '/', headers: {} });
      expect(answer).toMatchObject({ status: 200, body: 'bye' });
    }
  });

  it('fails a request that gets no answer in time with status 0', async () => {
    const origin = await serve(() => {
      // never answers
    });
    client = new HttpClient({ origin, connections: 1, timeoutMs: 100 });
    const answer = await client.request({ method: 'GET', path: '/', headers: {} });
    expect(answer).toMatchObject({ status: 0, error: 'timeout' });
  });

  it('answers waiting and running requests with status 0 when closed', async () => {
    const origin = await serve(() => {});
    client = new HttpClient({ origin, connections: 1 });
    const pending = [
      client.request({ method: 'GET', path: '/a', headers: {} }),
      client.request({ method: 'GET', path: '/b', headers: {} }),
    ];
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.close();
    expect((await Promise.all(pending)).map((a) => a.status)).toEqual([0, 0]);
  });
});
