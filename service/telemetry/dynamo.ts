/**
 * DynamoDB instrumentation as AWS SDK v3 middleware: a client span per call (operation,
 * table, index, consumed capacity, attempts), duration per operation, and retries and
 * throttles counted per attempt, so a throttle the SDK retried away still shows.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { THROTTLING_ERRORS } from '../store/errors.ts';

export interface DynamoInstruments {
  duration(operation: string, ms: number, errorType?: string): void;
  retries(operation: string, count: number): void;
  throttle(operation: string): void;
}

const INSTRUMENTED = Symbol.for('coffee.dynamo.instrumented');

interface CallArgs {
  input: Record<string, unknown>;
}
interface CallOutput {
  output: { $metadata?: { attempts?: number; requestId?: string }; ConsumedCapacity?: { CapacityUnits?: number } };
}

export function instrumentDynamoClient(
  client: DynamoDBClient,
  { tableName, region, tracer, parent, instruments }: { tableName: string; region: string; tracer?: Tracer; parent: () => Context | undefined; instruments?: DynamoInstruments },
): void {
  // With neither spans nor metrics there is nothing to record, and asking for consumed
  // capacity would only make every answer bigger.
  if (!tracer && !instruments) return;
  const marked = client as unknown as Record<symbol, boolean>;
  if (marked[INSTRUMENTED]) return;
  marked[INSTRUMENTED] = true;

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
      const input = (args as CallArgs).input;
      // Consumed capacity costs nothing extra and makes the span tell the cost of the call.
      if (input && input.ReturnConsumedCapacity === undefined && operation !== 'CreateTable') input.ReturnConsumedCapacity = 'TOTAL';
      const ctx = parent();
      const span =
        tracer && ctx
          ? tracer.startSpan(
              `DynamoDB.${operation}`,
              {
                kind: SpanKind.CLIENT,
                attributes: {
                  'db.system.name': 'aws.dynamodb',
                  'db.operation.name': operation,
                  'db.collection.name': tableName,
                  'rpc.system': 'aws-api',
                  'rpc.service': 'DynamoDB',
                  'rpc.method': operation,
                  'cloud.region': region,
                  'aws.dynamodb.table_names': [tableName],
                  ...(typeof input?.IndexName === 'string' ? { 'aws.dynamodb.index_name': input.IndexName } : {}),
                },
              },
              ctx,
            )
          : undefined;
      const started = performance.now();
      try {
        const result = (await next(args)) as unknown as CallOutput;
        const meta = result.output?.$metadata;
        const attempts = meta?.attempts ?? 1;
        instruments?.duration(operation, performance.now() - started);
        if (attempts > 1) instruments?.retries(operation, attempts - 1);
        if (span) {
          span.setAttribute('aws.request_id', meta?.requestId ?? '');
          span.setAttribute('coffee.dynamodb.attempts', attempts);
          const capacity = result.output?.ConsumedCapacity?.CapacityUnits;
          if (capacity !== undefined) span.setAttribute('aws.dynamodb.consumed_capacity', capacity);
          span.end();
        }
        return result as never;
      } catch (error) {
        const e = error as { name?: string; $metadata?: { attempts?: number } };
        const attempts = e.$metadata?.attempts ?? 1;
        const errorType = e.name ?? 'Error';
        instruments?.duration(operation, performance.now() - started, errorType);
        if (attempts > 1) instruments?.retries(operation, attempts - 1);
        if (span) {
          span.setAttribute('error.type', errorType);
          span.setAttribute('coffee.dynamodb.attempts', attempts);
          // A failed condition is an answer, not a failure of the call.
          if (errorType !== 'ConditionalCheckFailedException') {
            span.recordException(error as Error);
            span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
          }
          span.end();
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'coffeeTelemetry', priority: 'high' },
  );

  // Per attempt, inside the retry loop: counts every throttled attempt.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        if (THROTTLING_ERRORS.has(name)) {
          const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
          instruments?.throttle(operation);
          const ctx = parent();
          if (ctx) trace.getSpan(ctx)?.addEvent('dynamodb.throttled', { 'db.operation.name': operation });
        }
        throw error;
      }
    },
    { step: 'deserialize', name: 'coffeeThrottleCounter', priority: 'high' },
  );
}
