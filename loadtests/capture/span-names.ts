/**
 * The span, attribute and event names the capture reads, as the service writes them
 * (service/telemetry/dynamo.ts, service/telemetry/active-request.ts).
 */
export const SpanAttributes = {
  HttpStatus: 'http.response.status_code',
  HttpRoute: 'http.route',
  ErrorType: 'error.type',
  DynamoAttempts: 'coffee.dynamodb.attempts',
  DbOperation: 'db.operation.name',
  RpcService: 'rpc.service',
  ConsumedCapacity: 'aws.dynamodb.consumed_capacity',
} as const;

export const SpanEvents = {
  Throttled: 'dynamodb.throttled',
  Exception: 'exception',
} as const;

export const EventAttributes = {
  ExceptionType: 'exception.type',
  ExceptionMessage: 'exception.message',
} as const;
