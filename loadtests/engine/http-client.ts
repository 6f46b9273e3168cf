/**
 * A lean HTTP/1.1 keep-alive client for the load generator: a fixed pool of sockets, one
 * request in flight per socket, requests waiting in FIFO order for a free socket.
 *
 * Why not `node:http` or `fetch`: against the same target, both fall well short of plain
 * autocannon's request rate, so the generator, not the service, would set the pace
 * (docs/design-decisions.md). This client does what autocannon's own client does (raw sockets, requests
 * written as one string, responses parsed by `http-parser-js`, autocannon's parser) and
 * keeps up with it, while letting the engine decide when each request goes out (an open
 * model), which autocannon's closed request loop cannot.
 *
 * `request()` never rejects: a network error, a timeout or a closed client answers status
 * 0 with `error` set, which is how the engines and the result schema count network errors.
 */
import net from 'node:net';
import tls from 'node:tls';
import { HTTPParser } from 'http-parser-js';

export interface HttpRequest {
  method: string;
  path: string;
  headers: Readonly<Record<string, string>>;
  body?: string;
  /** Sent as the `traceparent` header; a field of its own so a request needs no headers object for it. */
  traceparent?: string;
}

export interface HttpResponse {
  /** 0 on a network error. */
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** When the answer (or the error) came, in `performance.now()` ms. */
  receivedAt: number;
  /** When the request was written to a socket, in `performance.now()` ms (absent when it never was). */
  sentAt?: number;
  error?: string;
}

export interface HttpClientOptions {
  /** `http://host:port` or `https://host:port`. */
  origin: string;
  /** Sockets in the pool (default 50). */
  connections?: number;
  /** A request without a complete answer after this long fails with status 0 (default 10 s). */
  timeoutMs?: number;
  /** Headers sent with every request (serialized once). */
  headers?: Readonly<Record<string, string>>;
  /**
   * A socket idle for longer is replaced rather than reused, so a request is not written
   * into a socket the server is closing (Node's default keep-alive timeout is 5 s).
   */
  maxIdleMs?: number;
}

/** Called with the answer; `context` is passed through so callers need no closure per request. */
export type ResponseCallback<C> = (context: C, response: HttpResponse) => void;

interface Pending {
  head: string;
  body: string | undefined;
  callback: ResponseCallback<unknown>;
  context: unknown;
  deadline: number;
  /** When it was written to a socket (`performance.now()` ms). */
  sentAt?: number;
}

function answer(pending: Pending, response: HttpResponse): void {
  pending.callback(pending.context, response);
}

type Socket = net.Socket | tls.TLSSocket;

const CRLF = '\r\n';

function headersRecord(raw: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const existing = headers[name];
    headers[name] = existing === undefined ? value : `${existing}, ${value}`;
  }
  return headers;
}

/**
 * An answer whose headers and body are decoded only when read: a load run at full speed
 * looks at the status of most answers and at nothing else.
 */
class Answer implements HttpResponse {
  private decodedHeaders: Record<string, string> | undefined;
  private decodedBody: string | undefined;

  constructor(
    readonly status: number,
    private readonly rawHeaders: string[],
    private readonly chunks: Buffer[],
    readonly receivedAt: number,
    readonly sentAt: number | undefined,
  ) {}

  get headers(): Record<string, string> {
    return (this.decodedHeaders ??= headersRecord(this.rawHeaders));
  }

  get body(): string {
    if (this.decodedBody === undefined) {
      const { chunks } = this;
      this.decodedBody =
        chunks.length === 0
          ? ''
          : chunks.length === 1
            ? (chunks[0] as Buffer).toString()
            : Buffer.concat(chunks).toString();
    }
    return this.decodedBody;
  }

  toJSON(): { status: number; headers: Record<string, string>; body: string; receivedAt: number } {
    return { status: this.status, headers: this.headers, body: this.body, receivedAt: this.receivedAt };
  }
}

class Connection {
  private socket: Socket | undefined;
  private parser: InstanceType<typeof HTTPParser> | undefined;
  private current: Pending | undefined;
  private status = 0;
  private rawHeaders: string[] = [];
  private chunks: Buffer[] = [];
  private keepAlive = true;
  private lastUsed = 0;

  constructor(
    private readonly client: HttpClient,
    private readonly connect: () => Socket,
    private readonly maxIdleMs: number,
  ) {}

  get busy(): boolean {
    return this.current !== undefined;
  }

  send(pending: Pending, now: number): void {
    if (this.socket && now - this.lastUsed > this.maxIdleMs) this.drop();
    if (!this.socket) this.open();
    this.current = pending;
    pending.sentAt = now;
    const socket = this.socket as Socket;
    if (pending.body === undefined) socket.write(pending.head);
    else socket.write(pending.head + pending.body);
  }

  /** Fails the request in flight if it is past its deadline. */
  expire(now: number): void {
    if (this.current && now > this.current.deadline) this.fail('timeout');
  }

  destroy(reason: string): void {
    this.fail(reason);
  }

  private open(): void {
    const socket = this.connect();
    socket.setNoDelay(true);
    const parser = new HTTPParser(HTTPParser.RESPONSE);
    parser[HTTPParser.kOnHeadersComplete] = (info) => {
      this.status = info.statusCode;
      this.rawHeaders = info.headers;
      this.keepAlive = info.shouldKeepAlive;
    };
    parser[HTTPParser.kOnBody] = (chunk, offset, length) => {
      this.chunks.push(chunk.subarray(offset, offset + length));
    };
    parser[HTTPParser.kOnMessageComplete] = () => this.complete();
    socket.on('data', (data: Buffer) => {
      if (this.parser !== parser) return;
      const outcome = parser.execute(data);
      if (outcome instanceof Error) this.fail(`malformed response: ${outcome.message}`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (this.socket === socket) this.fail(error.code ?? error.message);
    });
    socket.on('end', () => {
      if (this.socket === socket) this.fail('connection closed by the server');
    });
    socket.on('close', () => {
      if (this.socket === socket) this.fail('connection closed');
    });
    this.socket = socket;
    this.parser = parser;
  }

  private complete(): void {
    const pending = this.current;
    const receivedAt = performance.now();
    const response = new Answer(this.status, this.rawHeaders, this.chunks, receivedAt, pending?.sentAt);
    this.chunks = [];
    this.rawHeaders = [];
    this.current = undefined;
    this.lastUsed = receivedAt;
    if (!this.keepAlive) this.drop();
    if (pending) answer(pending, response);
    this.client.release(this);
  }

  private drop(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.parser = undefined;
    this.chunks = [];
    socket?.destroy();
  }

  private fail(reason: string): void {
    const pending = this.current;
    this.drop();
    if (!pending) return;
    this.current = undefined;
    answer(pending, {
      status: 0,
      headers: {},
      body: '',
      receivedAt: performance.now(),
      ...(pending.sentAt !== undefined ? { sentAt: pending.sentAt } : {}),
      error: reason,
    });
    this.client.release(this);
  }
}

export class HttpClient {
  private readonly idle: Connection[] = [];
  private readonly all: Connection[] = [];
  private queue: Pending[] = [];
  private queueHead = 0;
  /** The host line and the fixed headers, serialized once. */
  private readonly fixedHead: string;
  private readonly timeoutMs: number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor({ origin, connections = 50, timeoutMs = 10_000, maxIdleMs = 4_000, headers = {} }: HttpClientOptions) {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`unsupported protocol ${url.protocol} in ${origin}`);
    const secure = url.protocol === 'https:';
    const port = Number(url.port || (secure ? 443 : 80));
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    let fixedHead = `host: ${url.host}${CRLF}`;
    for (const name in headers) fixedHead += `${name}: ${headers[name]}${CRLF}`;
    this.fixedHead = fixedHead;
    this.timeoutMs = timeoutMs;
    const connect = secure
      ? () =>
          tls.connect({
            host: hostname,
            port,
            servername: net.isIP(hostname) ? undefined : hostname,
            ALPNProtocols: ['http/1.1'],
          })
      : () => net.connect({ host: hostname, port });
    for (let i = 0; i < connections; i++) {
      const connection = new Connection(this, connect, maxIdleMs);
      this.all.push(connection);
      this.idle.push(connection);
    }
    // One sweeper for all deadlines is much cheaper than a timer per request.
    this.sweeper = setInterval(
      () => {
        const now = performance.now();
        for (const connection of this.all) connection.expire(now);
      },
      Math.min(250, Math.max(10, timeoutMs / 4)),
    );
    this.sweeper.unref();
  }

  /** Requests waiting for a free socket. */
  get waiting(): number {
    return this.queue.length - this.queueHead;
  }

  request(request: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve) =>
      this.send(request, (done: (r: HttpResponse) => void, response) => done(response), resolve),
    );
  }

  /**
   * Sends a request and calls `callback(context, response)` with the answer, always
   * asynchronously. The engine's hot path: no promise, no closure per request.
   */
  send<C>({ method, path, headers, body, traceparent }: HttpRequest, callback: ResponseCallback<C>, context: C): void {
    if (this.closed) {
      const receivedAt = performance.now();
      queueMicrotask(() => callback(context, { status: 0, headers: {}, body: '', receivedAt, error: 'client closed' }));
      return;
    }
    let head = `${method} ${path} HTTP/1.1${CRLF}${this.fixedHead}`;
    for (const name in headers) head += `${name}: ${headers[name]}${CRLF}`;
    if (traceparent !== undefined) head += `traceparent: ${traceparent}${CRLF}`;
    if (body !== undefined) head += `content-length: ${Buffer.byteLength(body)}${CRLF}`;
    head += CRLF;
    const now = performance.now();
    const pending: Pending = {
      head,
      body,
      callback: callback as ResponseCallback<unknown>,
      context,
      deadline: now + this.timeoutMs,
    };
    const connection = this.idle.pop();
    if (connection) connection.send(pending, now);
    else this.queue.push(pending);
  }

  /** Called by a connection that has answered: hands it the next waiting request. */
  release(connection: Connection): void {
    if (this.closed) return;
    while (this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead] as Pending;
      this.queue[this.queueHead] = undefined as unknown as Pending;
      this.queueHead++;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      const now = performance.now();
      // A request that waited past its deadline fails without being sent.
      if (now > next.deadline) {
        answer(next, { status: 0, headers: {}, body: '', receivedAt: now, error: 'timeout waiting for a connection' });
        continue;
      }
      connection.send(next, now);
      return;
    }
    this.idle.push(connection);
  }

  /** Closes every socket; requests in flight or waiting answer status 0. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const connection of this.all) connection.destroy('client closed');
    const now = performance.now();
    const waiting = this.queue.slice(this.queueHead);
    this.queue = [];
    this.queueHead = 0;
    for (const pending of waiting)
      answer(pending, { status: 0, headers: {}, body: '', receivedAt: now, error: 'client closed' });
  }
}
