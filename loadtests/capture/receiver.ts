/**
 * An OTLP/HTTP receiver on 127.0.0.1 (port 0 by default): `POST /v1/traces` and
 * `POST /v1/logs`, JSON or protobuf, gzip or not, answered as the OTLP/HTTP specification
 * says (200 with an empty response in the request's encoding; 400 with a message for a bad
 * payload, counted, the receiver going on; 415 for another content type). What it decodes
 * goes into a `TraceStore`, which decides what is kept.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import {
  decodeLogs,
  decodeTraces,
  encodingOf,
  OtlpEncodings,
  OtlpPayloadError,
  type OtlpEncoding,
} from './otlp-decode.ts';
import { TraceStore, type TraceStoreOptions } from './trace-store.ts';

const gunzipAsync = promisify(gunzip);

export const OtlpPaths = { Traces: '/v1/traces', Logs: '/v1/logs' } as const;

/** A body larger than this is refused (413): the service's exporter sends batches far smaller. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface OtlpReceiverOptions extends TraceStoreOptions {
  host?: string;
  port?: number;
  /** How often unmarked traces past their hold time are dropped. Default 1 s. */
  sweepIntervalMs?: number;
}

export interface OtlpReceiver {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT (`http://127.0.0.1:PORT`). */
  readonly url: string;
  readonly store: TraceStore;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge(`the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const coding = (req.headers['content-encoding'] ?? '').toLowerCase();
  if (coding === 'gzip') {
    try {
      return await gunzipAsync(body);
    } catch (error) {
      throw new OtlpPayloadError(`the body says gzip but is not: ${(error as Error).message}`);
    }
  }
  if (coding && coding !== 'identity') throw new OtlpPayloadError(`unsupported Content-Encoding "${coding}"`);
  return body;
}

function answer(res: ServerResponse, status: number, encoding: OtlpEncoding | undefined, message?: string): void {
  if (encoding === OtlpEncodings.Protobuf && message === undefined) {
    res.writeHead(status, { 'content-type': OtlpEncodings.Protobuf, 'content-length': 0 }).end();
    return;
  }
  // An error is a google.rpc.Status; its JSON form is readable in either case.
  const body = JSON.stringify(message === undefined ? {} : { code: 3, message });
  res.writeHead(status, { 'content-type': OtlpEncodings.Json, 'content-length': Buffer.byteLength(body) }).end(body);
}

class Receiver {
  constructor(readonly store: TraceStore) {}

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    void this.#handle(req, res);
  };

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== OtlpPaths.Traces && path !== OtlpPaths.Logs) return answer(res, 404, undefined, `no route ${path}`);
    if (req.method !== 'POST') return answer(res, 405, undefined, `${path} takes POST`);
    this.store.counts.requests++;
    const encoding = encodingOf(req.headers['content-type']);
    if (!encoding) {
      req.resume();
      return this.#refuse(res, 415, `Content-Type must be ${OtlpEncodings.Json} or ${OtlpEncodings.Protobuf}`);
    }
    try {
      const body = await readBody(req);
      if (path === OtlpPaths.Traces) this.store.addSpans(decodeTraces(body, encoding));
      else this.store.addLogs(decodeLogs(body, encoding));
      answer(res, 200, encoding);
    } catch (error) {
      if (error instanceof BodyTooLarge) return this.#refuse(res, 413, error.message);
      if (error instanceof OtlpPayloadError) return this.#refuse(res, 400, error.message);
      this.#refuse(res, 500, `the receiver failed: ${(error as Error).message}`);
    }
  }

  #refuse(res: ServerResponse, status: number, message: string): void {
    this.store.counts.badPayloads++;
    this.store.counts.lastError = message;
    answer(res, status, undefined, message);
  }
}

/** Starts the receiver; `close` stops it (the store and what it kept stay readable). */
export async function startOtlpReceiver({
  host = '127.0.0.1',
  port = 0,
  sweepIntervalMs = 1_000,
  ...storeOptions
}: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const store = new TraceStore(storeOptions);
  const receiver = new Receiver(store);
  const server = createServer({ keepAliveTimeout: 30_000 }, receiver.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const sweeper = setInterval(() => store.sweep(), sweepIntervalMs);
  sweeper.unref();
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    store,
    async close() {
      clearInterval(sweeper);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
