/**
 * Requests refused before the app runs, over raw sockets, on fresh and reused (keep-alive)
 * connections: each is answered with problem+json, the right status and a stable code, and
 * the connection is closed after the answer. Then: the metrics and the access log count
 * each refused request with the status the client received.
 */
import { METHODS } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../local-stack.ts';

const RUNS = 40;

interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One client connection that reads whole responses (framed by Content-Length) as they come. */
class RawConnection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #closed = false;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (data: Buffer) => this.#push(Buffer.concat([this.#buffer, data])));
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /** The next whole response; throws when the server closes the connection before one. */
  async response(): Promise<WireResponse> {
    for (;;) {
      const parsed = this.#parse();
      if (parsed) return parsed;
      if (this.#closed)
        throw new Error(
          `the connection closed without a (whole) response: ${JSON.stringify(this.#buffer.toString('latin1').slice(0, 200))}`,
        );
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Resolves once the server has closed the connection, with whatever it sent that was not read. */
  async closed(): Promise<string> {
    while (!this.#closed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.#buffer.toString('latin1');
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #push(buffer: Buffer): void {
    this.#buffer = buffer;
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #parse(): WireResponse | undefined {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine = '', ...lines] = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length']);
    if (!Number.isInteger(length))
      throw new Error(`a response without Content-Length: ${statusLine} ${JSON.stringify(headers)}`);
    if (this.#buffer.length < end + 4 + length) return undefined;
    const body = this.#buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }
}

interface Problem {
  status: number;
  code: string;
  type: string;
  title: string;
  detail: string;
  errors?: { field: string; message: string }[];
}

/** Asserts a problem+json answer with `status` and `code`, and answers its body. */
function expectProblem(res: WireResponse, status: number, code: string, context: string): Problem {
  expect({ status: res.status, type: res.headers['content-type'] }, context).toEqual({
    status,
    type: 'application/problem+json',
  });
  const problem = JSON.parse(res.body) as Problem;
  expect(problem, context).toMatchObject({ status, code });
  for (const member of ['type', 'title', 'detail'] as const)
    expect(typeof problem[member], `${context}: ${member}`).toBe('string');
  expect(res.headers['x-content-type-options'], context).toBe('nosniff');
  expect(res.headers['x-request-id'], context).toMatch(/^[\w.:-]+$/);
  return problem;
}

const GOOD_REQUEST = 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n';
type Connection = 'fresh' | 'reused' | 'pipelined';
const CONNECTIONS: readonly Connection[] = ['fresh', 'reused', 'pipelined'];

let stack: LocalStack;
let port: number;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n'))
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  stack = await startLocalStack({
    telemetry: { metrics: 'prometheus', logLevel: 'info', logDestination: destination },
  });
  port = Number(new URL(stack.url).port);
});

afterAll(async () => {
  await stack?.stop();
});

/**
 * Sends `request` on a connection in the given state (fresh; after an answered request;
 * in the same packet behind a good one), and answers the response to `request`, after
 * checking that the good request before it was answered normally.
 */
async function refusedOn(
  connection: Connection,
  request: string | Buffer,
): Promise<{ res: WireResponse; conn: RawConnection }> {
  const conn = await RawConnection.open(port);
  if (connection === 'reused') {
    conn.send(GOOD_REQUEST);
    expect((await conn.response()).status).toBe(200);
  }
  conn.send(connection === 'pipelined' ? Buffer.concat([Buffer.from(GOOD_REQUEST), Buffer.from(request)]) : request);
  if (connection === 'pipelined') expect((await conn.response()).status).toBe(200);
  return { res: await conn.response(), conn };
}

/** The connection is closed by the server after the answer, with nothing more sent. */
async function expectClosedAfter(conn: RawConnection, res: WireResponse, context: string): Promise<void> {
  expect(res.headers.connection?.toLowerCase(), context).toBe('close');
  expect(await conn.closed(), context).toBe('');
}

const connection = fc.constantFrom(...CONNECTIONS);

describe('requests the adapter refuses (Host, path)', () => {
  const badHost = fc.oneof(
    fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z]{1,8}$/)).map(([a, b]) => `${a} ${b}`),
    fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.integer({ min: 65_536, max: 999_999 })).map(([h, p]) => `${h}:${p}`),
    fc
      .tuple(fc.stringMatching(/^[a-z]{0,6}$/), fc.constantFrom('é', 'ü', 'ß', 'ñ'), fc.stringMatching(/^[a-z]{0,6}$/))
      .map(([a, c, b]) => `${a}${c}${b}.example`),
    fc.constantFrom('a b', 'x:99999', 'café', 'host:port', '[::1', 'a/b'),
  );

  it('answers a missing or invalid Host with 400 naming Host, then closes', async () => {
    await fc.assert(
      fc.asyncProperty(connection, fc.option(badHost, { nil: undefined }), async (state, host) => {
        const request = Buffer.from(
          `GET /menu HTTP/1.1\r\n${host === undefined ? '' : `Host: ${host}\r\n`}\r\n`,
          'utf8',
        );
        const { res, conn } = await refusedOn(state, request);
        const context = `${state} Host=${host}`;
        expect(expectProblem(res, 400, 'validation_failed', context).errors?.[0]?.field, context).toBe('Host');
        await expectClosedAfter(conn, res, context);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers a backslash in the path with 400 naming the path, then closes', async () => {
    const path = fc
      .tuple(fc.stringMatching(/^[a-z/]{0,10}$/), fc.stringMatching(/^[a-z]{0,10}$/))
      .map(([a, b]) => `/${a}\\${b}`);
    await fc.assert(
      fc.asyncProperty(connection, path, async (state, target) => {
        const { res, conn } = await refusedOn(state, `GET ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
        const context = `${state} ${target}`;
        expect(expectProblem(res, 400, 'validation_failed', context).errors?.[0]?.field, context).toBe('(path)');
        await expectClosedAfter(conn, res, context);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("requests Node's parser refuses", () => {
  it('answers headers over 16 KiB with 431, then closes', async () => {
    await fc.assert(
      fc.asyncProperty(
        connection,
        fc.integer({ min: 16 * 1024 + 1, max: 64 * 1024 }),
        fc.integer({ min: 1, max: 4 }),
        async (state, size, headers) => {
          const each = Math.ceil(size / headers);
          const padding = Array.from({ length: headers }, (_, i) => `X-Pad-${i}: ${'p'.repeat(each)}\r\n`).join('');
          const { res, conn } = await refusedOn(state, `GET /menu HTTP/1.1\r\nHost: localhost\r\n${padding}\r\n`);
          const context = `${state} ${headers} headers of ${each} bytes`;
          expectProblem(res, 431, 'payload_too_large', context);
          await expectClosedAfter(conn, res, context);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('answers an unknown method with 400 naming the method, then closes', async () => {
    const method = fc.stringMatching(/^[A-Za-z]{2,12}$/).filter((m) => !METHODS.includes(m));
    await fc.assert(
      fc.asyncProperty(connection, method, async (state, verb) => {
        const { res, conn } = await refusedOn(state, `${verb} /menu HTTP/1.1\r\nHost: localhost\r\n\r\n`);
        expectProblem(res, 400, 'validation_failed', `${state} ${verb}`);
        await expectClosedAfter(conn, res, `${state} ${verb}`);
      }),
      { numRuns: RUNS },
    );
  });

  const body = '{"email":"framing@example.com","name":"Framing"}';
  /** Requests whose framing is broken in the head (lengths, encodings) or in a chunked body. */
  const framingError = fc.oneof(
    fc
      .tuple(fc.nat({ max: 100 }), fc.nat({ max: 100 }))
      .filter(([a, b]) => a !== b)
      .map(([a, b]) => `Content-Length: ${a}\r\nContent-Length: ${b}\r\n\r\n`),
    fc.constant(`Content-Length: ${body.length}\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
    fc.constant(`Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`),
    fc.constantFrom(
      'Content-Length: -1\r\n\r\n',
      'Content-Length: 1x\r\n\r\n',
      'Transfer-Encoding: chunked, gzip\r\n\r\n',
    ),
    fc
      .stringMatching(/^[g-z]{1,4}$/)
      .map((size) => `Transfer-Encoding: chunked\r\n\r\n${size}\r\n${body}\r\n0\r\n\r\n`),
    fc.constant(`Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}XX\r\n0\r\n\r\n`),
  );

  it('answers broken framing (lengths, encodings, chunks) with 400 naming the request, then closes', async () => {
    await fc.assert(
      fc.asyncProperty(connection, framingError, async (state, framing) => {
        const { res, conn } = await refusedOn(
          state,
          `POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${framing}`,
        );
        const context = `${state} ${JSON.stringify(framing.slice(0, 80))}`;
        expect(expectProblem(res, 400, 'validation_failed', context).errors?.[0]?.field, context).toBe('(request)');
        await expectClosedAfter(conn, res, context);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers a body whose chunks break after the app started reading it, then closes', async () => {
    const conn = await RawConnection.open(port);
    conn.send(
      `POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"ema\r\n`,
    );
    // The head and a first chunk are in; the next chunk's size line is not hexadecimal.
    await new Promise((resolve) => setTimeout(resolve, 50));
    conn.send('zz\r\nil":1}\r\n0\r\n\r\n');
    const res = await conn.response();
    expect(expectProblem(res, 400, 'validation_failed', 'broken second chunk').errors?.[0]?.field).toBe('(request)');
    await expectClosedAfter(conn, res, 'broken second chunk');
  });

  it('keeps a connection usable after a request it answered normally', async () => {
    const conn = await RawConnection.open(port);
    for (let i = 0; i < 3; i++) {
      conn.send(GOOD_REQUEST);
      expect((await conn.response()).status).toBe(200);
    }
    conn.destroy();
  });
});

describe('what the metrics and the access log count', () => {
  /** The sum of the Prometheus samples of `metric` whose labels include every one of `labels`. */
  const total = (text: string, metric: string, labels: string[]) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${metric}{`) && labels.every((label) => line.includes(label)))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  const requests = (text: string, statusClass: string, route?: string) =>
    total(text, 'coffee_http_server_duration_count', [
      `coffee_status_class="${statusClass}"`,
      ...(route ? [`http_route="${route}"`] : []),
    ]);
  const errors = (text: string, code: string) => total(text, 'coffee_errors_total', [`error_type="${code}"`]);

  it('counts each refused request with the status the client received, and nothing as internal', async () => {
    const scrape = () => stack.telemetry.prometheus!();
    const before = await scrape();
    logs.length = 0;
    const sent: [string, number][] = [];
    const refuse = async (request: string, state: Connection = 'reused') => {
      const { res, conn } = await refusedOn(state, request);
      sent.push([res.headers['x-request-id'] ?? '', res.status]);
      await conn.closed();
    };
    await refuse('GET /menu HTTP/1.1\r\nHost: a b\r\n\r\n');
    await refuse(`GET /menu HTTP/1.1\r\nHost: localhost\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`);
    await refuse('BREW /menu HTTP/1.1\r\nHost: localhost\r\n\r\n', 'fresh');
    await refuse(
      'POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    );
    expect(sent.map(([, status]) => status)).toEqual([400, 431, 400, 400]);

    await stack.telemetry.flush();
    const access = logs.filter((line) => line.message === 'request');
    for (const [requestId, status] of sent)
      expect(
        access.filter((line) => line.request_id === requestId).map((line) => line.status),
        requestId,
      ).toEqual([status]);
    expect(access.find((line) => line.request_id === sent[3]![0])).toMatchObject({
      route: '/users',
      error_code: 'validation_failed',
    });
    expect(logs.filter((line) => line.level === 'error' || line.level === 50)).toEqual([]);

    const after = await scrape();
    const delta = (count: (text: string) => number) => count(after) - count(before);
    expect(delta((t) => errors(t, 'validation_failed'))).toBe(3);
    expect(delta((t) => errors(t, 'payload_too_large'))).toBe(1);
    expect(errors(after, 'internal')).toBe(0);
    expect(delta((t) => requests(t, '4xx', 'unmatched'))).toBe(3);
    expect(delta((t) => requests(t, '4xx', '/users'))).toBe(1);
    // Nothing the client sent wrong counts as the server's error.
    expect(delta((t) => requests(t, '5xx'))).toBe(0);
  });
});
