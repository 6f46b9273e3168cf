/**
 * The price table behind the cost dashboard's estimates, and the same estimate as a
 * function (for the infra README and for tests).
 *
 * Prices are the public on-demand list prices of one region on one date, first pricing
 * tier, without the free tier, in USD. They change: update `asOf` with them. The dashboard
 * multiplies CloudWatch usage metrics by these numbers, so it shows an estimate, not a bill.
 */

export const PRICE_TABLE = {
  region: 'us-east-1',
  asOf: '2025-07-01',
  currency: 'USD',
  lambda: {
    /** Per million requests. */
    requestsPerMillion: 0.2,
    /** Per GB-second of compute, arm64 (Graviton). */
    gbSecondArm64: 0.0000133334,
    /** Per GB-second, x86_64. */
    gbSecondX86: 0.0000166667,
  },
  dynamodb: {
    /** On-demand, per million read request units (price since the November 2024 reduction). */
    readRequestUnitsPerMillion: 0.125,
    /** On-demand, per million write request units. */
    writeRequestUnitsPerMillion: 0.625,
  },
  apiGateway: {
    /** HTTP APIs, per million requests (first 300 million a month). */
    httpRequestsPerMillion: 1.0,
  },
  logs: {
    /** CloudWatch Logs standard-class ingestion, per GB (2^30 bytes). */
    ingestionPerGb: 0.5,
  },
} as const;

export type PriceTable = typeof PRICE_TABLE;

export const BYTES_PER_GB = 1024 ** 3;

/** Usage over one day, in the units CloudWatch reports it. */
export interface DailyUsage {
  /** AWS/Lambda Invocations, Sum. */
  lambdaInvocations: number;
  /** AWS/Lambda Duration, Sum (milliseconds). */
  lambdaDurationMs: number;
  /** AWS/DynamoDB ConsumedReadCapacityUnits, Sum (table and indexes). */
  dynamoReadUnits: number;
  /** AWS/DynamoDB ConsumedWriteCapacityUnits, Sum (table and indexes). */
  dynamoWriteUnits: number;
  /** AWS/ApiGateway Count, Sum. */
  apiRequests: number;
  /** AWS/Logs IncomingBytes, Sum. */
  logBytes: number;
}

export interface CostEstimate {
  lambdaRequests: number;
  lambdaCompute: number;
  dynamoReads: number;
  dynamoWrites: number;
  apiGateway: number;
  logIngestion: number;
  total: number;
  currency: 'USD';
  region: string;
  asOf: string;
}

/** Lambda GB-seconds from the Duration Sum (ms) and the memory size. */
export function gbSeconds(durationMs: number, memoryMb: number): number {
  return (durationMs / 1000) * (memoryMb / 1024);
}

/**
 * The estimated cost of one day of usage.
 *
 * @example estimateDailyCost({ lambdaInvocations: 1e6, lambdaDurationMs: 2e7, dynamoReadUnits: 2e6,
 *   dynamoWriteUnits: 5e5, apiRequests: 1e6, logBytes: 2 ** 30 }, { lambdaMemoryMb: 1024 })
 */
export function estimateDailyCost(
  usage: DailyUsage,
  {
    lambdaMemoryMb = 1024,
    architecture = 'arm64',
    prices = PRICE_TABLE,
  }: { lambdaMemoryMb?: number; architecture?: 'arm64' | 'x86_64'; prices?: PriceTable } = {},
): CostEstimate {
  const perGbSecond = architecture === 'arm64' ? prices.lambda.gbSecondArm64 : prices.lambda.gbSecondX86;
  const parts = {
    lambdaRequests: (usage.lambdaInvocations / 1e6) * prices.lambda.requestsPerMillion,
    lambdaCompute: gbSeconds(usage.lambdaDurationMs, lambdaMemoryMb) * perGbSecond,
    dynamoReads: (usage.dynamoReadUnits / 1e6) * prices.dynamodb.readRequestUnitsPerMillion,
    dynamoWrites: (usage.dynamoWriteUnits / 1e6) * prices.dynamodb.writeRequestUnitsPerMillion,
    apiGateway: (usage.apiRequests / 1e6) * prices.apiGateway.httpRequestsPerMillion,
    logIngestion: (usage.logBytes / BYTES_PER_GB) * prices.logs.ingestionPerGb,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return { ...parts, total, currency: prices.currency, region: prices.region, asOf: prices.asOf };
}
