/**
 * The fault catalog: every fault the toolkit can inject, by layer, as typed data.
 *
 * - DynamoDB faults act on the wire, in a proxy between the service and the DynamoDB
 *   endpoint (see dynamodb-proxy.ts). Error faults answer with the bodies and headers
 *   DynamoDB itself sends, so the AWS SDK parses them into its real exception classes and
 *   its real retry strategy decides (throttling back-off, retry quota, max attempts).
 * - Service faults are rules for the service's own fault endpoint (`PUT /_chaos/faults`,
 *   off unless the service was started with a fault token; `DELETE` is the kill switch).
 * - Process faults act on the service process: SIGKILL and restart on the same data
 *   directory, or an event-loop block (a service fault rule with `blockMs`).
 *
 * Experiments (experiments/*.ts) are built from these types; `coffee chaos list` prints
 * the catalog from `FAULT_CATALOG`.
 */

/**
 * The DynamoDB errors the proxy can answer with, exactly as DynamoDB sends them.
 *
 * - `type` is the `__type` member of the JSON body. The SDK takes the part after `#` as the
 *   exception name. DynamoDB's own exceptions use the `com.amazonaws.dynamodb.v20120810`
 *   namespace; ThrottlingException is raised by the request-rate layer in front of it and
 *   arrives as `com.amazon.coral.availability#ThrottlingException` (what dynalite's test
 *   helper, written against real DynamoDB, retries on).
 * - `sdkErrorType` is how the SDK v3 standard retry strategy classifies the error
 *   (@smithy/core `service-error-classification`): THROTTLING errors are retried with a
 *   1 s back-off base and cost 5 retry-quota tokens, TRANSIENT ones (HTTP 500/502/503/504,
 *   timeouts, ECONNRESET) with a 50 ms base and 14 tokens; the quota starts at 500.
 */
export const DynamoDbErrors = {
  ProvisionedThroughputExceededException: {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message:
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
    sdkErrorType: 'THROTTLING',
    description: 'Provisioned capacity of the table or an index exceeded (the usual DynamoDB throttle)',
  },
  ThrottlingException: {
    status: 400,
    type: 'com.amazon.coral.availability#ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput.',
    sdkErrorType: 'THROTTLING',
    description: 'Request rate throttled in front of DynamoDB (control-plane and on-demand bursts)',
  },
  RequestLimitExceeded: {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#RequestLimitExceeded',
    message:
      'Throughput exceeds the current throughput limit for your account. Please contact AWS Support at https://aws.amazon.com/support request a limit increase',
    sdkErrorType: 'THROTTLING',
    description: 'The account-level throughput quota is exceeded',
  },
  InternalServerError: {
    status: 500,
    type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    message: 'Internal server error',
    sdkErrorType: 'TRANSIENT',
    description: 'DynamoDB failed internally; the operation may or may not have been applied',
  },
  ServiceUnavailable: {
    status: 503,
    type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable',
    message: 'Service unavailable',
    sdkErrorType: 'TRANSIENT',
    description: 'DynamoDB is unavailable or busy (an outage)',
  },
} as const satisfies Record<
  string,
  { status: number; type: string; message: string; sdkErrorType: 'THROTTLING' | 'TRANSIENT'; description: string }
>;
export type DynamoDbErrorName = keyof typeof DynamoDbErrors;
export const DYNAMODB_ERROR_NAMES = Object.keys(DynamoDbErrors) as DynamoDbErrorName[];

/** The errors a DynamoDB throttle produces (never applied: the write did not happen). */
export const THROTTLING_ERROR_NAMES: readonly DynamoDbErrorName[] = DYNAMODB_ERROR_NAMES.filter(
  (name) => DynamoDbErrors[name].sdkErrorType === 'THROTTLING',
);

/**
 * When a fault strikes relative to DynamoDB doing the work:
 * - `before`: the request never reaches DynamoDB (nothing was written);
 * - `after`: DynamoDB applied the request and the fault hits the response (a write took
 *   effect but its caller never learned it: the case idempotency exists for).
 */
export const FaultPhases = { Before: 'before', After: 'after' } as const;
export type FaultPhase = (typeof FaultPhases)[keyof typeof FaultPhases];

/**
 * Added latency. `fixed` always adds `ms`; `jitter` adds `ms` plus or minus up to
 * `jitterMs` (uniform); the distributions draw from the seeded random source. Every
 * draw is clamped to [0, maxMs] (default 30 s).
 */
export type LatencySpec =
  | { type: 'fixed'; ms: number }
  | { type: 'jitter'; ms: number; jitterMs: number; maxMs?: number }
  | { type: 'normal'; meanMs: number; stdDevMs: number; maxMs?: number }
  | { type: 'lognormal'; medianMs: number; sigma: number; maxMs?: number }
  | { type: 'exponential'; meanMs: number; maxMs?: number };

export const DynamoDbFaultKinds = {
  /** Answer with one of `DynamoDbErrors`. */
  Error: 'error',
  /** Delay the request (phase `before`) or the response (phase `after`). */
  Latency: 'latency',
  /** Never answer: hold the connection until the client gives up (its request timeout). */
  Hang: 'hang',
  /** Reset the TCP connection (RST): the SDK sees ECONNRESET. */
  ConnectionReset: 'connection-reset',
} as const;
export type DynamoDbFaultKind = (typeof DynamoDbFaultKinds)[keyof typeof DynamoDbFaultKinds];

export type DynamoDbFault =
  | {
      kind: 'error';
      error: DynamoDbErrorName;
      /** Overrides DynamoDB's message. */
      message?: string;
      /** Throttling errors are always `before` (a throttled request is not applied). */
      phase?: FaultPhase;
    }
  | { kind: 'latency'; latency: LatencySpec; phase?: FaultPhase }
  | {
      kind: 'hang';
      phase?: FaultPhase;
      /** Safety cap: after this the proxy drops the connection itself. Default 60 s. */
      maxMs?: number;
    }
  | { kind: 'connection-reset'; phase?: FaultPhase };

/** Which DynamoDB requests a rule applies to; every field absent = every request. */
export interface DynamoDbMatch {
  /** Operation names from `X-Amz-Target` (`DynamoDB_20120810.PutItem` -> `PutItem`). */
  operations?: readonly string[];
  /** `TableName` (or a key of `RequestItems` for batch operations). */
  tables?: readonly string[];
  /** `IndexName` of a Query or Scan; a rule with `indexes` never matches a base-table call. */
  indexes?: readonly string[];
}

export interface DynamoDbFaultRule {
  /** Names the rule in the proxy's records; generated when absent. */
  id?: string;
  match?: DynamoDbMatch;
  /** Chance that a matching request is hit, 0..1, drawn from the proxy's seeded source. Default 1. */
  probability?: number;
  /**
   * Hits at most this many requests, then lets them pass (e.g. 1: a throttle the SDK's retry
   * gets past). Default unlimited.
   */
  times?: number;
  fault: DynamoDbFault;
}

/**
 * A rule for the service's fault endpoint (`PUT /_chaos/faults`), the service contract's
 * shape: on `route` (`METHOD /template` from the catalog's ROUTES, or `*`), with
 * `probability`, wait `latencyMs`, block the event loop `blockMs`, then answer `status`
 * (problem+json, code `injected_fault`) or throw (`exception`: the normal 500 path).
 */
export interface ServiceFaultRule {
  route: string;
  probability: number;
  latencyMs?: number;
  status?: number;
  exception?: boolean;
  blockMs?: number;
}

export const ProcessFaultKinds = {
  /** SIGKILL the service process, then start it again on the same data directory. */
  KillRestart: 'kill-restart',
} as const;
export type ProcessFaultKind = (typeof ProcessFaultKinds)[keyof typeof ProcessFaultKinds];

/** The service stays down for the fault window's duration, then starts again. */
export interface ProcessFault {
  kind: 'kill-restart';
}

export const FaultLayers = { DynamoDb: 'dynamodb', Service: 'service', Process: 'process' } as const;
export type FaultLayer = (typeof FaultLayers)[keyof typeof FaultLayers];

export interface FaultCatalogEntry {
  id: string;
  layer: FaultLayer;
  description: string;
  /** What a correct service does about it (the expectation the invariants hold it to). */
  expected: string;
}

/** The catalog as documentation: what each fault does and what the service should do. */
export const FAULT_CATALOG: readonly FaultCatalogEntry[] = [
  ...DYNAMODB_ERROR_NAMES.map((name) => ({
    id: `dynamodb:${name}`,
    layer: FaultLayers.DynamoDb,
    description: `HTTP ${DynamoDbErrors[name].status} ${name}: ${DynamoDbErrors[name].description}`,
    expected:
      DynamoDbErrors[name].sdkErrorType === 'THROTTLING'
        ? 'the SDK retries with throttling back-off; if every attempt is throttled the service answers 503 dependency_unavailable with Retry-After'
        : 'the SDK retries; if every attempt fails the service answers 503 dependency_unavailable with Retry-After, never a 500 with SDK internals',
  })),
  {
    id: 'dynamodb:latency',
    layer: FaultLayers.DynamoDb,
    description: 'Added latency before the request or on the response: fixed, jitter, normal, lognormal or exponential',
    expected:
      'requests slow down by about the added latency; beyond the SDK request timeout they fail as timeouts (503)',
  },
  {
    id: 'dynamodb:hang',
    layer: FaultLayers.DynamoDb,
    description: 'The request is never answered; the connection is held until the client gives up',
    expected:
      'the SDK request timeout fires, the SDK retries, then the service answers 503; requests never hang forever',
  },
  {
    id: 'dynamodb:connection-reset',
    layer: FaultLayers.DynamoDb,
    description: 'The TCP connection is reset (RST) before forwarding or after DynamoDB applied the request',
    expected: 'the SDK retries (ECONNRESET is transient); a write applied before the reset is not duplicated',
  },
  {
    id: 'service:latency',
    layer: FaultLayers.Service,
    description: 'The service waits latencyMs on chosen routes with a probability',
    expected: 'the route group latency SLO shows it; other routes are not affected',
  },
  {
    id: 'service:status',
    layer: FaultLayers.Service,
    description: 'The service answers a chosen 4xx/5xx status (problem+json, code injected_fault) on chosen routes',
    expected: 'every such response follows the error contract (problem+json; 503 and 429 with Retry-After)',
  },
  {
    id: 'service:exception',
    layer: FaultLayers.Service,
    description: 'The route handler throws; the error goes through the normal 500 path',
    expected: 'a 500 problem+json with code internal and no stack or internals in the body',
  },
  {
    id: 'process:kill-restart',
    layer: FaultLayers.Process,
    description: 'SIGKILL the service process under load, restart it on the same data directory',
    expected:
      'every order acknowledged before the kill is still there after the restart; retries after the restart create no duplicates',
  },
  {
    id: 'process:event-loop-block',
    layer: FaultLayers.Process,
    description: 'Block the event loop synchronously (a service fault rule with blockMs)',
    expected:
      'latency rises for every in-flight request while blocked, the event-loop delay metric shows it, and the service recovers without errors',
  },
];
