/**
 * A fault-injecting HTTP proxy for the DynamoDB wire protocol.
 *
 * It listens on 127.0.0.1 (an ephemeral port by default) and forwards every request to a
 * DynamoDB endpoint (the embedded dynalite, DynamoDB Local, or a real endpoint), unless a
 * fault rule hits it. Point the service's DynamoDB endpoint at `proxy.url`.
 *
 * Why a proxy and not an SDK middleware: on the wire, the SDK's real deserializer, error
 * classification, retry strategy, retry quota and request timeouts all run, exactly as
 * they would against a throttled or failing DynamoDB. A middleware would skip them.
 *
 * Rules are matched by operation (`X-Amz-Target`), table and index (from the JSON body)
 * and fire with a probability drawn from a seeded source. Latency rules that fire add up;
 * the first other rule that fires decides the request's fate. The proxy records every
 * request with the SDK's attempt header (`amz-sdk-request: attempt=N; max=M`) and
 * invocation id, so a test can count how often the SDK retried one call.
 *
 * Forwarding keeps the Host header, so a SigV4 signature made for the proxy's address
 * still verifies at a local endpoint; a real AWS endpoint validates the signature against
 * the Host it receives, which this proxy does not rewrite (use it with local endpoints, or
 * with AWS through a client configured with the proxy as its endpoint).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { crc32 } from 'node:zlib';
import {
  DynamoDbErrors,
  type DynamoDbErrorName,
  type DynamoDbFault,
  type DynamoDbFaultRule,
  type FaultPhase,
  type LatencySpec,
} from './fault-catalog.ts';
import { createRandom, normal, type Random } from './random.ts';

/** What happened to one request. */
export const ProxyOutcomes = {
  Forwarded: 'forwarded',
  Error: 'error',
  Hang: 'hang',
  ConnectionReset: 'connection-reset',
  /** The upstream endpoint could not be reached; the client's connection was dropped. */
  UpstreamError: 'upstream-error',
  /** The client closed the connection while the proxy was delaying it. */
  ClientGone: 'client-gone',
} as const;
export type ProxyOutcome = (typeof ProxyOutcomes)[keyof typeof ProxyOutcomes];

export interface ProxyRequestRecord {
  /** Epoch ms when the request body was complete. */
  at: number;
  operation: string;
  table?: string;
  index?: string;
  /** The SDK's `amz-sdk-invocation-id`: one per logical call, shared by its retries. */
  invocationId?: string;
  /** From `amz-sdk-request: attempt=N; max=M`. */
  attempt?: number;
  maxAttempts?: number;
  outcome: ProxyOutcome;
  /** The rule that decided the outcome (latency-only rules are in `delayedBy`). */
  ruleId?: string;
  error?: DynamoDbErrorName;
  phase?: FaultPhase;
  /** Added latency in ms, when a latency rule fired. */
  addedLatencyMs?: number;
  /** Status sent to the client (absent for hangs, resets and dropped connections). */
  status?: number;
  /** Whether the upstream applied the request (forwarded and answered). */
  reachedUpstream: boolean;
  /** Until the response was sent or the connection closed. */
  durationMs: number;
}

export interface ProxyStats {
  requests: number;
  forwarded: number;
  byOutcome: Record<ProxyOutcome, number>;
  byOperation: Record<string, number>;
  injectedByRule: Record<string, number>;
  /** Largest `attempt` seen from the SDK: 1 means it never retried. */
  maxAttemptSeen: number;
}

export interface DynamoDbFaultProxyOptions {
  /** The DynamoDB endpoint to forward to, e.g. `http://127.0.0.1:8000`. */
  upstream: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  rules?: DynamoDbFaultRule[];
  /** Seed of the fault decisions; default 1. Ignored when `random` is given. */
  seed?: number;
  random?: Random;
  /** Records kept (oldest dropped first). Default 50,000. */
  maxRecords?: number;
  /** Called for every finished request (e.g. to build a fault timeline). */
  onRecord?: (record: ProxyRequestRecord) => void;
}

export interface DynamoDbFaultProxy {
  /** `http://127.0.0.1:PORT`: the endpoint to give the service. */
  readonly url: string;
  readonly upstream: string;
  readonly rules: readonly Readonly<DynamoDbFaultRule>[];
  /** Replaces the rules (ids are generated for rules without one). */
  setRules(rules: DynamoDbFaultRule[]): void;
  /** Adds a rule and returns its id. */
  addRule(rule: DynamoDbFaultRule): string;
  removeRule(id: string): boolean;
  /** The kill switch: no more faults; requests already held keep their fate. */
  clearRules(): void;
  stats(): ProxyStats;
  /** Requests received and not yet recorded (delayed, hanging or being forwarded). */
  inFlight(): number;
  records(): readonly ProxyRequestRecord[];
  /** Attempts seen per SDK invocation id (a call the SDK retried twice has 3). */
  attemptsByInvocation(): Map<string, number>;
  resetStats(): void;
  /** Drops held connections, stops listening and closes upstream sockets. */
  close(): Promise<void>;
}

const DEFAULT_MAX_HANG_MS = 60_000;
const DEFAULT_MAX_LATENCY_MS = 30_000;
const TARGET_PREFIX = 'DynamoDB_20120810.';
const REQUEST_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A DynamoDB-style request id: 52 characters of A-Z and 0-9. */
function requestId(): string {
  const bytes = randomBytes(52);
  let id = '';
  for (const byte of bytes) id += REQUEST_ID_ALPHABET[byte % REQUEST_ID_ALPHABET.length];
  return id;
}

/** The exact body DynamoDB sends for an error: `{"__type":"...","message":"..."}`. */
export function dynamoDbErrorBody(name: DynamoDbErrorName, message?: string): string {
  const error = DynamoDbErrors[name];
  return JSON.stringify({ __type: error.type, message: message ?? error.message });
}

/**
 * The status, headers and body DynamoDB answers an error with. `x-amz-crc32` is the CRC32
 * of the body bytes (SDKs that check it reject a response whose checksum is wrong).
 */
export function dynamoDbErrorResponse(name: DynamoDbErrorName, message?: string) {
  const body = dynamoDbErrorBody(name, message);
  const bytes = Buffer.from(body, 'utf8');
  return {
    status: DynamoDbErrors[name].status,
    headers: {
      'x-amzn-RequestId': requestId(),
      'x-amz-crc32': String(crc32(bytes) >>> 0),
      'Content-Type': 'application/x-amz-json-1.0',
      'Content-Length': String(bytes.length),
    },
    body: bytes,
  };
}

/** Draws one latency from a spec, clamped to [0, maxMs]. */
export function drawLatency(spec: LatencySpec, random: Random): number {
  const cap = spec.type === 'fixed' ? Number.POSITIVE_INFINITY : (spec.maxMs ?? DEFAULT_MAX_LATENCY_MS);
  let ms: number;
  switch (spec.type) {
    case 'fixed':
      ms = spec.ms;
      break;
    case 'jitter':
      ms = spec.ms + (random() * 2 - 1) * spec.jitterMs;
      break;
    case 'normal':
      ms = spec.meanMs + normal(random) * spec.stdDevMs;
      break;
    case 'lognormal':
      ms = spec.medianMs * Math.exp(spec.sigma * normal(random));
      break;
    case 'exponential':
      ms = -spec.meanMs * Math.log(1 - random());
      break;
  }
  return Math.round(Math.min(cap, Math.max(0, ms)));
}

interface ParsedRequest {
  operation: string;
  tables: string[];
  index?: string;
}

function parseRequest(target: string | undefined, body: Buffer): ParsedRequest {
  const operation = target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : (target ?? '');
  let tables: string[] = [];
  let index: string | undefined;
  try {
    const json = JSON.parse(body.toString('utf8')) as { TableName?: unknown; IndexName?: unknown; RequestItems?: unknown };
    if (typeof json.TableName === 'string') tables = [json.TableName];
    else if (json.RequestItems && typeof json.RequestItems === 'object') tables = Object.keys(json.RequestItems);
    if (typeof json.IndexName === 'string') index = json.IndexName;
  } catch {
    // Not JSON: only the operation can match.
  }
  return index === undefined ? { operation, tables } : { operation, tables, index };
}

function matches(rule: DynamoDbFaultRule, request: ParsedRequest): boolean {
  const { operations, tables, indexes } = rule.match ?? {};
  if (operations && !operations.includes(request.operation)) return false;
  if (tables && !request.tables.some((t) => tables.includes(t))) return false;
  if (indexes && (request.index === undefined || !indexes.includes(request.index))) return false;
  return true;
}

function validateRule(rule: DynamoDbFaultRule): void {
  const p = rule.probability ?? 1;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`fault rule ${rule.id ?? ''}: probability must be within 0..1, got ${p}`);
  const { fault } = rule;
  if (fault.kind === 'error') {
    const error = DynamoDbErrors[fault.error];
    if (!error) throw new RangeError(`fault rule ${rule.id ?? ''}: unknown DynamoDB error ${String(fault.error)}`);
    if (error.sdkErrorType === 'THROTTLING' && fault.phase === 'after') {
      throw new RangeError(`fault rule ${rule.id ?? ''}: ${fault.error} is a throttle, which DynamoDB never applies: phase must be 'before'`);
    }
  }
}

function parseAttemptHeader(value: string | undefined): { attempt?: number; maxAttempts?: number } {
  const attempt = /attempt=(\d+)/.exec(value ?? '')?.[1];
  const max = /max=(\d+)/.exec(value ?? '')?.[1];
  return {
    ...(attempt ? { attempt: Number(attempt) } : {}),
    ...(max ? { maxAttempts: Number(max) } : {}),
  };
}

interface UpstreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Starts the proxy.
 *
 * @example
 * const dynamo = await startEmbeddedDynamo();
 * const proxy = await startDynamoDbFaultProxy({ upstream: dynamo.endpoint, seed: 7 });
 * proxy.setRules([{ match: { operations: ['PutItem'] }, probability: 0.5,
 *   fault: { kind: 'error', error: 'ProvisionedThroughputExceededException' } }]);
 * // ... point the service at proxy.url; proxy.clearRules() is the kill switch.
 */
export async function startDynamoDbFaultProxy({
  upstream,
  port = 0,
  host = '127.0.0.1',
  rules: initialRules = [],
  seed = 1,
  random = createRandom(seed),
  maxRecords = 50_000,
  onRecord,
}: DynamoDbFaultProxyOptions): Promise<DynamoDbFaultProxy> {
  const upstreamUrl = new URL(upstream);
  const transport = upstreamUrl.protocol === 'https:' ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: 256 });
  let rules: (DynamoDbFaultRule & { id: string })[] = [];
  let nextRuleId = 1;
  let records: ProxyRequestRecord[] = [];
  let stats = emptyStats();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  let pending = 0;

  function withId(rule: DynamoDbFaultRule): DynamoDbFaultRule & { id: string } {
    validateRule(rule);
    return { ...rule, id: rule.id ?? `rule-${nextRuleId++}` };
  }
  rules = initialRules.map(withId);

  function record(entry: ProxyRequestRecord): void {
    stats.requests += 1;
    if (entry.reachedUpstream) stats.forwarded += 1;
    stats.byOutcome[entry.outcome] += 1;
    stats.byOperation[entry.operation] = (stats.byOperation[entry.operation] ?? 0) + 1;
    if (entry.ruleId) stats.injectedByRule[entry.ruleId] = (stats.injectedByRule[entry.ruleId] ?? 0) + 1;
    if (entry.attempt !== undefined) stats.maxAttemptSeen = Math.max(stats.maxAttemptSeen, entry.attempt);
    records.push(entry);
    if (records.length > maxRecords) records = records.slice(records.length - maxRecords);
    onRecord?.(entry);
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function forward(req: http.IncomingMessage, body: Buffer): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const outgoing = transport.request(
        {
          protocol: upstreamUrl.protocol,
          hostname: upstreamUrl.hostname,
          port: upstreamUrl.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, 'content-length': String(body.length) },
          agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  /** Picks the fate of a request: the summed latency of latency rules, and the first other rule that fires. */
  function decide(request: ParsedRequest) {
    let before = 0;
    let after = 0;
    let latencyRule: string | undefined;
    let terminal: { id: string; fault: Exclude<DynamoDbFault, { kind: 'latency' }> } | undefined;
    for (const rule of rules) {
      if (!matches(rule, request)) continue;
      if (random() >= (rule.probability ?? 1)) continue;
      if (rule.fault.kind === 'latency') {
        const ms = drawLatency(rule.fault.latency, random);
        if (rule.fault.phase === 'after') after += ms;
        else before += ms;
        latencyRule ??= rule.id;
        continue;
      }
      terminal = { id: rule.id, fault: rule.fault };
      break;
    }
    return { before, after, latencyRule, terminal };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const started = Date.now();
    const request = parseRequest(req.headers['x-amz-target'] as string | undefined, body);
    const invocationId = req.headers['amz-sdk-invocation-id'];
    const base = {
      at: started,
      operation: request.operation,
      ...(request.tables[0] !== undefined ? { table: request.tables[0] } : {}),
      ...(request.index !== undefined ? { index: request.index } : {}),
      ...(typeof invocationId === 'string' ? { invocationId } : {}),
      ...parseAttemptHeader(req.headers['amz-sdk-request'] as string | undefined),
    };
    const { before, after, latencyRule, terminal } = decide(request);
    const added = before + after;
    const finish = (entry: Omit<ProxyRequestRecord, keyof typeof base | 'durationMs'>) =>
      record({
        ...base,
        ...(added > 0 ? { addedLatencyMs: added } : {}),
        ...(entry.ruleId === undefined && latencyRule !== undefined ? { ruleId: latencyRule } : {}),
        ...entry,
        durationMs: Date.now() - started,
      });
    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true;
    });

    if (before > 0) await sleep(before);
    if (clientGone || closed) return finish({ outcome: 'client-gone', reachedUpstream: false });

    const fault = terminal?.fault;
    const phase: FaultPhase = fault?.phase ?? 'before';
    const faultFields = terminal ? { ruleId: terminal.id, phase } : {};

    let upstreamResponse: UpstreamResponse | undefined;
    if (!fault || phase === 'after') {
      try {
        upstreamResponse = await forward(req, body);
      } catch {
        // DynamoDB unreachable: drop the client's connection as a dead endpoint would.
        req.socket.destroy();
        return finish({ outcome: 'upstream-error', reachedUpstream: false });
      }
      if (after > 0) await sleep(after);
      if (clientGone || closed) return finish({ outcome: 'client-gone', reachedUpstream: true });
    }
    const reachedUpstream = upstreamResponse !== undefined;

    if (!fault) {
      const forwarded = upstreamResponse as UpstreamResponse;
      res.writeHead(forwarded.status, forwarded.headers);
      res.end(forwarded.body);
      return finish({ outcome: 'forwarded', status: forwarded.status, reachedUpstream });
    }
    switch (fault.kind) {
      case 'error': {
        const error = dynamoDbErrorResponse(fault.error, fault.message);
        res.writeHead(error.status, error.headers);
        res.end(error.body);
        return finish({ outcome: 'error', error: fault.error, status: error.status, reachedUpstream, ...faultFields });
      }
      case 'connection-reset': {
        resetSocket(req.socket);
        return finish({ outcome: 'connection-reset', reachedUpstream, ...faultFields });
      }
      case 'hang': {
        // Hold the connection until the client gives up, or drop it at the safety cap.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            req.socket.destroy();
            resolve();
          }, fault.maxMs ?? DEFAULT_MAX_HANG_MS);
          timers.add(timer);
          res.once('close', () => {
            clearTimeout(timer);
            timers.delete(timer);
            resolve();
          });
        });
        return finish({ outcome: 'hang', reachedUpstream, ...faultFields });
      }
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      pending += 1;
      handle(req, res, Buffer.concat(chunks))
        .catch(() => {
          req.socket.destroy();
        })
        .finally(() => {
          pending -= 1;
        });
    });
  });
  // The SDK keeps sockets alive; a long idle timeout avoids resets the rules did not ask for.
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${hostPart}:${address.port}`,
    upstream,
    get rules() {
      return rules;
    },
    setRules(next) {
      rules = next.map(withId);
    },
    addRule(rule) {
      const withRuleId = withId(rule);
      rules = [...rules, withRuleId];
      return withRuleId.id;
    },
    removeRule(id) {
      const before = rules.length;
      rules = rules.filter((rule) => rule.id !== id);
      return rules.length < before;
    },
    clearRules() {
      rules = [];
    },
    stats() {
      return structuredClone(stats);
    },
    inFlight() {
      return pending;
    },
    records() {
      return records;
    },
    attemptsByInvocation() {
      const attempts = new Map<string, number>();
      for (const r of records) {
        if (r.invocationId === undefined) continue;
        attempts.set(r.invocationId, Math.max(attempts.get(r.invocationId) ?? 0, r.attempt ?? 1));
      }
      return attempts;
    },
    resetStats() {
      records = [];
      stats = emptyStats();
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

function emptyStats(): ProxyStats {
  return {
    requests: 0,
    forwarded: 0,
    byOutcome: { forwarded: 0, error: 0, hang: 0, 'connection-reset': 0, 'upstream-error': 0, 'client-gone': 0 },
    byOperation: {},
    injectedByRule: {},
    maxAttemptSeen: 0,
  };
}

/** Sends a TCP RST (not a FIN), as a crashed middlebox or endpoint would. */
function resetSocket(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}
