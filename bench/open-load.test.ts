import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLoad } from './open-load.ts';
import { ResponseFramer } from './response-framer.ts';

describe('ResponseFramer', () => {
  const frame = (...parts: string[]) => {
    const framer = new ResponseFramer();
    return parts.map((p) => framer.push(Buffer.from(p)));
  };

  it('ends a response at its Content-Length, however the bytes are split', () => {
    expect(frame('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel', 'lo')).toEqual([undefined, 200]);
    expect(frame('HTTP/1.1 201 Created\r\ncontent-length: 2\r', '\n\r\n{}')).toEqual([undefined, 201]);
  });

  it('ends a chunked response at its last chunk and trailers', () => {
    expect(
      frame(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n',
        '2;x=y\r\nde\r\n0\r\n',
        'a: b\r\n\r\n',
      ),
    ).toEqual([undefined, undefined, 200]);
  });

  it('knows answers without a body, an interim 100 and a closing connection', () => {
    expect(frame('HTTP/1.1 204 No Content\r\n\r\n')).toEqual([204]);
    expect(frame('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')).toEqual([404]);
    const framer = new ResponseFramer();
    expect(framer.push(Buffer.from('HTTP/1.1 503 x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'))).toBe(503);
    expect(framer.closeAfter).toBe(true);
  });

  it('refuses what it cannot frame', () => {
    expect(() => frame('SSH-2.0-x\r\n\r\n')).toThrow(/status line/);
    expect(() => frame('HTTP/1.1 200 OK\r\n\r\nbody')).toThrow(/neither Content-Length nor chunked/);
    expect(() => frame('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab')).toThrow(/after a complete response/);
  });
});

describe('openLoad', () => {
  let server: Server;
  let url: string;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${req.headers['x-k']} ${body}`);
        // Every fifth answer is chunked, every seventh a failure that closes its socket.
        const k = Number(req.headers['x-k']);
        if (k % 7 === 6) return res.writeHead(503, { connection: 'close', 'content-length': 0 }).end();
        if (k % 5 === 4) return res.writeHead(200).end('chunked answer');
        res.writeHead(201, { 'content-length': 2 }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends every request at the rate over its sockets and counts what came back', async () => {
    const result = await openLoad({
      url,
      rate: 200,
      durationS: 0.5,
      connections: 3,
      request: (k) => ({ method: 'POST', path: `/orders?k=${k}`, headers: { 'x-k': String(k) }, body: `b${k}` }),
    });
    expect(result.sent).toBe(100);
    expect(result.ok + result.errors).toBe(100);
    expect(result.errors).toBe(14);
    expect(seen.sort()).toEqual(Array.from({ length: 100 }, (_, k) => `POST /orders?k=${k} ${k} b${k}`).sort());
  });

  it('counts a refused connection as errors and still ends', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await openLoad({
      url: `http://127.0.0.1:${port}`,
      rate: 100,
      durationS: 0.2,
      connections: 2,
      request: () => ({ method: 'GET', path: '/menu' }),
    });
    expect(result).toMatchObject({ sent: 20, ok: 0, errors: 20 });
  });
});
