/**
 * The AWS-vended metrics the dashboards and alarms use, with their real CloudWatch names
 * and dimension sets. The service's own metrics come from `service/catalog`; these are the
 * ones AWS publishes for the Lambda function, the DynamoDB table, the HTTP API and the log
 * group, so they are typed once here and linted like the catalog's.
 *
 * Sources: the CloudWatch metric pages of Lambda ("Types of metrics for Lambda
 * functions"), DynamoDB ("DynamoDB Metrics and dimensions"), API Gateway HTTP APIs
 * ("Monitoring HTTP API metrics") and CloudWatch Logs ("CloudWatch Logs metrics").
 */

export const AwsNamespaces = {
  Lambda: 'AWS/Lambda',
  DynamoDB: 'AWS/DynamoDB',
  ApiGateway: 'AWS/ApiGateway',
  Logs: 'AWS/Logs',
} as const;
export type AwsNamespace = (typeof AwsNamespaces)[keyof typeof AwsNamespaces];

export interface AwsMetricDefinition {
  readonly namespace: AwsNamespace;
  readonly name: string;
  readonly unit: 'Count' | 'Milliseconds' | 'Bytes' | 'None';
  readonly description: string;
  /** The dimension sets AWS publishes the metric under (a query must use one exactly). */
  readonly dimensionSets: readonly (readonly string[])[];
}

const define = <const T extends AwsMetricDefinition>(metric: T): T => metric;

const FUNCTION = [['FunctionName']] as const;
const TABLE_AND_INDEX = [['TableName'], ['TableName', 'GlobalSecondaryIndexName']] as const;
const TABLE_OPERATION = [['TableName', 'Operation']] as const;
// HTTP APIs publish per API and per API and stage (and per route with detailed metrics).
const HTTP_API = [['ApiId'], ['ApiId', 'Stage']] as const;
const LOG_GROUP = [['LogGroupName']] as const;

export const AwsMetrics = {
  LambdaInvocations: define({
    namespace: 'AWS/Lambda',
    name: 'Invocations',
    unit: 'Count',
    description: 'Invocations of the function (billed requests)',
    dimensionSets: FUNCTION,
  }),
  LambdaErrors: define({
    namespace: 'AWS/Lambda',
    name: 'Errors',
    unit: 'Count',
    description: 'Invocations that ended in a function error (uncaught exception, timeout, crash)',
    dimensionSets: FUNCTION,
  }),
  LambdaThrottles: define({
    namespace: 'AWS/Lambda',
    name: 'Throttles',
    unit: 'Count',
    description: 'Invocation requests refused for lack of concurrency',
    dimensionSets: FUNCTION,
  }),
  LambdaDuration: define({
    namespace: 'AWS/Lambda',
    name: 'Duration',
    unit: 'Milliseconds',
    description: 'Time the handler ran per invocation (the Sum is the billed run time)',
    dimensionSets: FUNCTION,
  }),
  LambdaConcurrentExecutions: define({
    namespace: 'AWS/Lambda',
    name: 'ConcurrentExecutions',
    unit: 'Count',
    description: 'Execution environments processing events at once',
    dimensionSets: FUNCTION,
  }),
  DynamoConsumedReadCapacity: define({
    namespace: 'AWS/DynamoDB',
    name: 'ConsumedReadCapacityUnits',
    unit: 'Count',
    description: 'Read capacity (read request units on demand) consumed',
    dimensionSets: TABLE_AND_INDEX,
  }),
  DynamoConsumedWriteCapacity: define({
    namespace: 'AWS/DynamoDB',
    name: 'ConsumedWriteCapacityUnits',
    unit: 'Count',
    description: 'Write capacity (write request units on demand) consumed',
    dimensionSets: TABLE_AND_INDEX,
  }),
  DynamoReadThrottleEvents: define({
    namespace: 'AWS/DynamoDB',
    name: 'ReadThrottleEvents',
    unit: 'Count',
    description: 'Read requests that exceeded the table or index throughput',
    dimensionSets: TABLE_AND_INDEX,
  }),
  DynamoWriteThrottleEvents: define({
    namespace: 'AWS/DynamoDB',
    name: 'WriteThrottleEvents',
    unit: 'Count',
    description: 'Write requests that exceeded the table or index throughput',
    dimensionSets: TABLE_AND_INDEX,
  }),
  DynamoThrottledRequests: define({
    namespace: 'AWS/DynamoDB',
    name: 'ThrottledRequests',
    unit: 'Count',
    description: 'Requests with at least one throttle event, by operation',
    dimensionSets: TABLE_OPERATION,
  }),
  DynamoSuccessfulRequestLatency: define({
    namespace: 'AWS/DynamoDB',
    name: 'SuccessfulRequestLatency',
    unit: 'Milliseconds',
    description: 'Server-side latency of successful requests, by operation',
    dimensionSets: TABLE_OPERATION,
  }),
  DynamoSystemErrors: define({
    namespace: 'AWS/DynamoDB',
    name: 'SystemErrors',
    unit: 'Count',
    description: 'Requests that failed with an HTTP 500 from DynamoDB, by operation',
    dimensionSets: TABLE_OPERATION,
  }),
  ApiCount: define({
    namespace: 'AWS/ApiGateway',
    name: 'Count',
    unit: 'Count',
    description: 'Requests to the HTTP API (billed requests)',
    dimensionSets: HTTP_API,
  }),
  Api4xx: define({
    namespace: 'AWS/ApiGateway',
    name: '4xx',
    unit: 'Count',
    description: 'Client errors answered by the HTTP API',
    dimensionSets: HTTP_API,
  }),
  Api5xx: define({
    namespace: 'AWS/ApiGateway',
    name: '5xx',
    unit: 'Count',
    description: 'Server errors answered by the HTTP API',
    dimensionSets: HTTP_API,
  }),
  ApiLatency: define({
    namespace: 'AWS/ApiGateway',
    name: 'Latency',
    unit: 'Milliseconds',
    description: 'Time from the request reaching API Gateway to the response leaving it',
    dimensionSets: HTTP_API,
  }),
  LogsIncomingBytes: define({
    namespace: 'AWS/Logs',
    name: 'IncomingBytes',
    unit: 'Bytes',
    description: 'Uncompressed bytes ingested into the log group (what ingestion is billed on)',
    dimensionSets: LOG_GROUP,
  }),
  LogsIncomingLogEvents: define({
    namespace: 'AWS/Logs',
    name: 'IncomingLogEvents',
    unit: 'Count',
    description: 'Log events ingested into the log group',
    dimensionSets: LOG_GROUP,
  }),
} as const satisfies Record<string, AwsMetricDefinition>;

export type AwsMetricKey = keyof typeof AwsMetrics;

export const ALL_AWS_METRICS: readonly AwsMetricDefinition[] = Object.values(AwsMetrics);

/** Looks an AWS-vended metric up by namespace and name. */
export function awsMetric(namespace: string, name: string): AwsMetricDefinition | undefined {
  return ALL_AWS_METRICS.find((m) => m.namespace === namespace && m.name === name);
}
