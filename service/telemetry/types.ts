/**
 * What the app needs from telemetry. The app never imports OpenTelemetry or pino itself,
 * so tests and benchmarks can hand it telemetry that is on, off or in memory.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { OrderStatus } from '../domain/types.ts';
import type { CallScope } from '../call-scope.ts';

/** The logger's shape (pino's); every call takes a fields object, then the message. */
export interface Logger {
  level: string;
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  isLevelEnabled(level: string): boolean;
}

/** What is known about a request when it arrives. */
export interface RequestStart {
  method: string;
  path: string;
  /** Route template when the router already knows it (`/orders/:orderId`), else `unmatched`. */
  route: string;
  requestId: string;
  headers: { get(name: string): string | null | undefined };
}

/** What is known when it ends. */
export interface RequestEnd {
  /** Route template (`/orders/:orderId`), or `unmatched`. */
  route: string;
  status: number;
  /** The error behind a 4xx/5xx answer, with its stable code. */
  error?: unknown;
  errorCode?: string;
}

/** One request's telemetry; `run` is its `CallScope` (see call-scope.ts). */
export interface RequestScope extends CallScope {
  end(result: RequestEnd): void;
}

/** Business and component metrics the app and store record. */
export interface ServiceMetrics {
  orderPlaced(totalCents: number): void;
  userRegistered(): void;
  statusChanged(to: OrderStatus, preparationMs?: number): void;
  cacheHit(cache: string): void;
  cacheMiss(cache: string): void;
}

export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  startRequest(start: RequestStart): RequestScope;
  /**
   * Adds spans and metrics for every call of this client (idempotent per client). Call it
   * before the client's first send: a client that caches its handlers (dynamo-client.ts)
   * would never run middleware added later, so it throws then.
   */
  instrumentDynamo(client: DynamoDBClient, tableName: string): void;
  /** The Prometheus text exposition, when that exporter is on. */
  readonly prometheus?: () => Promise<string>;
  /** Exports what is buffered (end of a Lambda invocation). Never throws. */
  flush(): Promise<void>;
  /** Flushes and stops exporters. Never throws. */
  shutdown(): Promise<void>;
}
