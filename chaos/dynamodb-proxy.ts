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
 * and fire with a probability drawn from a seeded source, at most `times` times; latency
 * rules that fire add up, the first other rule that fires decides the request's fate
 * (dynamodb-proxy-rules.ts). Every request is recorded with the SDK's attempt header
 * (`amz-sdk-request: attempt=N; max=M`) and invocation id, so a test can count how often
 * the SDK retried one call (dynamodb-proxy-log.ts).
 *
 * Forwarding keeps the Host header, so a SigV4 signature made for the proxy's address
 * still verifies at a local endpoint; a real AWS endpoint validates the signature against
 * the Host it receives, which this proxy does not rewrite (use it with local endpoints, or
 * with AWS through a client configured with the proxy as its endpoint).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ProxyLog } from './dynamodb-proxy-log.ts';
import { FaultRuleSet, type Decision, type TerminalFault } from './dynamodb-proxy-rules.ts';
import { dynamoDbErrorResponse, parseAttemptHeader, parseRequest, type ParsedRequest } from './dynamodb-proxy-wire.ts';
import type { DynamoDbErrorName, DynamoDbFaultRule, FaultPhase } from './fault-catalog.ts';
import { createRandom, type Random } from './random.ts';

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
  /** The rule that decided the outcome, else the first latency rule that fired. */
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

interface UpstreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** The fields of a record that the request's fate decides. */
type Fate = Pick<ProxyRequestRecord, 'outcome' | 'reachedUpstream' | 'ruleId' | 'error' | 'phase' | 'status'>;

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
export async function startDynamoDbFaultProxy(options: DynamoDbFaultProxyOptions): Promise<DynamoDbFaultProxy> {
  const proxy = new FaultProxy(options);
  await proxy.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return proxy;
}

/** The server, the rules in force, the log, and the timers of requests being delayed or held. */
class FaultProxy implements DynamoDbFaultProxy {
  readonly upstream: string;
  private readonly upstreamUrl: URL;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly ruleSet: FaultRuleSet;
  private readonly log: ProxyLog;
  private readonly server: http.Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private address = '';
  private closed = false;
  private pending = 0;

  constructor({
    upstream,
    rules = [],
    seed = 1,
    random = createRandom(seed),
    maxRecords = 50_000,
    onRecord,
  }: DynamoDbFaultProxyOptions) {
    this.upstream = upstream;
    this.upstreamUrl = new URL(upstream);
    this.transport = this.upstreamUrl.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets: 256 });
    this.ruleSet = new FaultRuleSet(random, rules);
    this.log = new ProxyLog(maxRecords, onRecord);
    this.server = http.createServer((req, res) => this.receive(req, res));
    // The SDK keeps sockets alive; a long idle timeout avoids resets the rules did not ask for.
    this.server.keepAliveTimeout = 30_000;
  }

  get url(): string {
    return this.address;
  }

  get rules(): readonly Readonly<DynamoDbFaultRule>[] {
    return this.ruleSet.list;
  }

  setRules(rules: DynamoDbFaultRule[]): void {
    this.ruleSet.replace(rules);
  }

  addRule(rule: DynamoDbFaultRule): string {
    return this.ruleSet.add(rule);
  }

  removeRule(id: string): boolean {
    return this.ruleSet.remove(id);
  }

  clearRules(): void {
    this.ruleSet.clear();
  }

  stats(): ProxyStats {
    return this.log.snapshot();
  }

  inFlight(): number {
    return this.pending;
  }

  records(): readonly ProxyRequestRecord[] {
    return this.log.list();
  }

  attemptsByInvocation(): Map<string, number> {
    return this.log.attemptsByInvocation();
  }

  resetStats(): void {
    this.log.reset();
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port: bound } = this.server.address() as AddressInfo;
    this.address = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
  }

  /** Reads the whole body, then handles the request; it is in flight until recorded. */
  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.pending += 1;
      this.handle(req, res, Buffer.concat(chunks))
        .catch(() => {
          req.socket.destroy();
        })
        .finally(() => {
          this.pending -= 1;
        });
    });
  }

  /**
   * One request's phases: decide its fate, delay it, forward it (unless a fault strikes
   * before DynamoDB), delay the answer, then relay the answer or apply the fault; record it.
   */
  private async handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const started = Date.now();
    const request = parseRequest(req.headers['x-amz-target'] as string | undefined, body);
    const decision = this.ruleSet.decide(request);
    const record = (fate: Fate) => this.log.add(recordOf(req, request, decision, started, fate));
    const client = watchClient(res);

    if (decision.beforeMs > 0) await this.sleep(decision.beforeMs);
    if (client.gone || this.closed) return record({ outcome: 'client-gone', reachedUpstream: false });

    const { terminal } = decision;
    const phase: FaultPhase = terminal?.fault.phase ?? 'before';
    let answer: UpstreamResponse | undefined;
    if (!terminal || phase === 'after') {
      answer = await this.forward(req, body).catch(() => undefined);
      if (!answer) {
        // DynamoDB unreachable: drop the client's connection as a dead endpoint would.
        req.socket.destroy();
        return record({ outcome: 'upstream-error', reachedUpstream: false });
      }
      if (decision.afterMs > 0) await this.sleep(decision.afterMs);
      if (client.gone || this.closed) return record({ outcome: 'client-gone', reachedUpstream: true });
    }

    if (!terminal) return record(relay(res, answer as UpstreamResponse));
    const fate = await this.applyFault(terminal.fault, req, res);
    return record({ ...fate, ruleId: terminal.ruleId, phase, reachedUpstream: answer !== undefined });
  }

  /** Answers with the fault: DynamoDB's error, a TCP reset, or a connection held open. */
  private async applyFault(
    fault: TerminalFault,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<Pick<Fate, 'outcome' | 'error' | 'status'>> {
    switch (fault.kind) {
      case 'error': {
        const error = dynamoDbErrorResponse(fault.error, fault.message);
        res.writeHead(error.status, error.headers);
        res.end(error.body);
        return { outcome: 'error', error: fault.error, status: error.status };
      }
      case 'connection-reset':
        resetSocket(req.socket);
        return { outcome: 'connection-reset' };
      case 'hang':
        await this.hold(req, res, fault.maxMs ?? DEFAULT_MAX_HANG_MS);
        return { outcome: 'hang' };
    }
  }

  /** Holds the connection until the client gives up, or drops it at the safety cap. */
  private hold(req: http.IncomingMessage, res: http.ServerResponse, maxMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        req.socket.destroy();
        resolve();
      }, maxMs);
      this.timers.add(timer);
      res.once('close', () => {
        clearTimeout(timer);
        this.timers.delete(timer);
        resolve();
      });
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  /** Sends the request to DynamoDB as it came (Host included) and reads the whole answer. */
  private forward(req: http.IncomingMessage, body: Buffer): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const outgoing = this.transport.request(
        {
          protocol: this.upstreamUrl.protocol,
          hostname: this.upstreamUrl.hostname,
          port: this.upstreamUrl.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, 'content-length': String(body.length) },
          agent: this.agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}

/** The record of a finished request: what it named, what was decided, what happened. */
function recordOf(
  req: http.IncomingMessage,
  request: ParsedRequest,
  decision: Decision,
  started: number,
  fate: Fate,
): ProxyRequestRecord {
  const invocationId = req.headers['amz-sdk-invocation-id'];
  const added = decision.beforeMs + decision.afterMs;
  return {
    at: started,
    operation: request.operation,
    ...(request.tables[0] !== undefined ? { table: request.tables[0] } : {}),
    ...(request.index !== undefined ? { index: request.index } : {}),
    ...(typeof invocationId === 'string' ? { invocationId } : {}),
    ...parseAttemptHeader(req.headers['amz-sdk-request'] as string | undefined),
    ...(added > 0 ? { addedLatencyMs: added } : {}),
    // A latency rule names the record only when no other rule decided it.
    ...(fate.ruleId === undefined && decision.latencyRuleId !== undefined ? { ruleId: decision.latencyRuleId } : {}),
    ...fate,
    durationMs: Date.now() - started,
  };
}

function relay(res: http.ServerResponse, answer: UpstreamResponse): Fate {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
  return { outcome: 'forwarded', status: answer.status, reachedUpstream: true };
}

/** Whether the client closed the connection before the proxy answered. */
function watchClient(res: http.ServerResponse): { readonly gone: boolean } {
  let gone = false;
  res.on('close', () => {
    if (!res.writableFinished) gone = true;
  });
  return {
    get gone() {
      return gone;
    },
  };
}

/** Sends a TCP RST (not a FIN), as a crashed middlebox or endpoint would. */
function resetSocket(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}
