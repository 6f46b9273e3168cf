/**
 * A constant-rate HTTP/1.1 client (an open model): request k is sent at k / rate seconds
 * from the start whether or not earlier answers came back, over a pool of keep-alive
 * sockets. Below the target's saturation both sides of a comparison then serve the same
 * requests at the same pace, so their CPU per request compares like for like.
 * (autocannon's own rate limit sends each second's quota in a burst at the second's start.)
 *
 * Written on `node:net` rather than `node:http` or undici: the generator shares two cores
 * with the processes it measures, and at the bench's rates node:http's client spent more
 * CPU per request than the targets themselves (undici about two thirds of that); every
 * microsecond it spends is one the targets may have to wait for, which is noise in their
 * figures. Requests are written as bytes and answers are only framed (status line,
 * Content-Length or chunked), never parsed further.
 */
import { connect, type Socket } from 'node:net';
import { ResponseFramer } from './response-framer.ts';

export interface OpenRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface OpenLoadOptions {
  url: string;
  rate: number;
  durationS: number;
  connections: number;
  /** The k-th request (k = 0, 1, ...). */
  request: (k: number) => OpenRequest;
}

export interface OpenLoadResult {
  sent: number;
  ok: number;
  errors: number;
  /** Completed requests per second over the run. */
  achievedRps: number;
  /** The most requests sent and not answered (in flight or waiting for a socket) at a tick: a sign of saturation. */
  queuedPeak: number;
}

const TICK_MS = 2;
const DRAIN_TIMEOUT_MS = 10_000;

/** One keep-alive socket with at most one request in flight. */
class Connection {
  readonly socket: Socket;
  readonly #framer = new ResponseFramer();
  readonly #onAnswer: (conn: Connection, status: number) => void;
  #inFlight = false;

  constructor(
    host: string,
    port: number,
    onAnswer: (conn: Connection, status: number) => void,
    onGone: (conn: Connection, inFlight: boolean) => void,
  ) {
    this.#onAnswer = onAnswer;
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    this.socket.once('error', () => this.socket.destroy());
    this.socket.once('close', () => onGone(this, this.#inFlight));
  }

  send(bytes: Buffer): void {
    this.#inFlight = true;
    this.socket.write(bytes);
  }

  #receive(chunk: Buffer): void {
    let status: number | undefined;
    try {
      status = this.#framer.push(chunk);
    } catch {
      this.socket.destroy();
      return;
    }
    if (status === undefined) return;
    this.#inFlight = false;
    if (this.#framer.closeAfter) this.socket.end();
    this.#onAnswer(this, status);
  }
}

function requestBytes(host: string, { method, path, headers = {}, body }: OpenRequest): Buffer {
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  const payload = body === undefined ? undefined : Buffer.from(body);
  if (payload) head += `content-length: ${payload.length}\r\n`;
  head += '\r\n';
  return payload ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : Buffer.from(head, 'latin1');
}

export async function openLoad(options: OpenLoadOptions): Promise<OpenLoadResult> {
  const { url, rate, durationS, connections, request } = options;
  const { hostname, port, host } = new URL(url);
  const address = hostname.replace(/^\[|\]$/g, '');
  const total = Math.round(rate * durationS);
  const idle: Connection[] = [];
  const open = new Set<Connection>();
  const waiting: Buffer[] = [];
  let sent = 0;
  let done = 0;
  let ok = 0;
  let errors = 0;
  let queuedPeak = 0;
  let resolve: () => void = () => {};
  const drained = new Promise<void>((r) => (resolve = r));
  const settle = (success: boolean) => {
    done++;
    if (success) ok++;
    else errors++;
    if (done === total) resolve();
  };
  /** Set when the run is over: nothing more is sent, and closing sockets open no successors. */
  let closed = false;
  const dispatch = (bytes: Buffer) => {
    if (closed) return;
    const conn = idle.pop() ?? (open.size < connections ? newConnection() : undefined);
    if (conn) conn.send(bytes);
    else waiting.push(bytes);
  };
  const newConnection = (): Connection => {
    const conn = new Connection(
      address,
      Number(port),
      (c, status) => {
        settle(status < 400);
        // A socket the server closes takes nothing more; its successor is opened on 'close'.
        if (c.socket.writableEnded) return;
        const next = waiting.shift();
        if (next) c.send(next);
        else idle.push(c);
      },
      (c, inFlight) => {
        open.delete(c);
        const at = idle.indexOf(c);
        if (at >= 0) idle.splice(at, 1);
        if (inFlight) settle(false);
        // A request waiting for a socket gets a new one in place of the one that closed.
        const next = waiting.shift();
        if (next) dispatch(next);
      },
    );
    open.add(conn);
    return conn;
  };
  const start = performance.now();
  const tick = () => {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    while (sent < due) dispatch(requestBytes(host, request(sent++)));
    queuedPeak = Math.max(queuedPeak, sent - done);
    if (sent < total) setTimeout(tick, TICK_MS);
  };
  if (total === 0) resolve();
  else tick();
  const timeout = setTimeout(resolve, durationS * 1000 + DRAIN_TIMEOUT_MS);
  await drained;
  clearTimeout(timeout);
  closed = true;
  waiting.length = 0;
  for (const conn of open) conn.socket.destroy();
  const seconds = (performance.now() - start) / 1000;
  return { sent, ok, errors: errors + (total - done), achievedRps: done / seconds, queuedPeak };
}
