/**
 * DynamoDB instrumentation as AWS SDK v3 middleware: a client span per call (operation,
 * table, index, consumed capacity, attempts), duration per operation, and retries and
 * throttles counted per attempt, so a throttle the SDK retried away still shows.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SpanKind, SpanStatusCode, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { THROTTLING_ERRORS } from '../store/errors.ts';

export interface DynamoInstruments {
  duration(operation: string, ms: number, errorType?: string): void;
  retries(operation: string, count: number): void;
  throttle(operation: string): void;
}

const INSTRUMENTED = Symbol.for('coffee.dynamo.instrumented');
/**
 * Each call's span, by the call's input object (one per `send`), for the per-attempt
 * middleware. Not in the SDK's handler context: a client that caches its handlers
 * (`cacheMiddleware`, as dynamo-client.ts makes it) shares one context between all the
 * calls of a command class, concurrent ones included.
 */
const callSpans = new WeakMap<object, Span>();

interface CallArgs {
  input: Record<string, unknown>;
}
interface CallOutput {
  output: { $metadata?: { attempts?: number; requestId?: string }; ConsumedCapacity?: { CapacityUnits?: number } };
}

/** The DynamoDB operation of a handler's context: `PutItemCommand` -> `PutItem`. */
function operationOf(context: { commandName?: string }): string {
  return String(context.commandName ?? 'Unknown').replace(/Command$/, '');
}

export function instrumentDynamoClient(
  client: DynamoDBClient,
  {
    tableName,
    region,
    tracer,
    parent,
    instruments,
  }: {
    tableName: string;
    region: string;
    tracer?: Tracer;
    /** The parent of a call's span, read synchronously at the start of the call; none, no span. */
    parent: () => Context | undefined;
    instruments?: DynamoInstruments;
  },
): void {
  // With neither spans nor metrics there is nothing to record.
  if (!tracer && !instruments) return;
  const marked = client as unknown as Record<symbol, boolean> & { handlers?: unknown };
  if (marked[INSTRUMENTED]) return;
  // A client that caches its handlers (dynamo-client.ts) would silently never run
  // middleware added after its first send.
  if (marked.handlers) throw new Error('instrument the DynamoDB client before its first send');
  marked[INSTRUMENTED] = true;

  client.middlewareStack.add(
    (next, context) => {
      // Made once per resolved handler (a command class's, on a client that caches them).
      const operation = operationOf(context);
      return async (args) => {
        const input = (args as CallArgs).input;
        // Read before the first await: the SDK runs this middleware synchronously inside
        // `send`, which the store calls within the request's scope (see call-scope.ts).
        const ctx = parent();
        const span =
          tracer && ctx ? tracer.startSpan(`DynamoDB.${operation}`, { kind: SpanKind.CLIENT }, ctx) : undefined;
        // Attributes only on a span that records (see ServiceTelemetry's server span).
        if (span?.isRecording()) {
          // The consumed capacity makes the span tell the cost of the call; it is a span
          // attribute only (no metric reads it), so only a recorded call asks for it, and the
          // others' answers stay as small as without telemetry.
          if (input && input.ReturnConsumedCapacity === undefined && operation !== 'CreateTable')
            input.ReturnConsumedCapacity = 'TOTAL';
          span.setAttributes({
            'db.system.name': 'aws.dynamodb',
            'db.operation.name': operation,
            'db.collection.name': tableName,
            'rpc.system': 'aws-api',
            'rpc.service': 'DynamoDB',
            'rpc.method': operation,
            'cloud.region': region,
            'aws.dynamodb.table_names': [tableName],
            ...(typeof input?.IndexName === 'string' ? { 'aws.dynamodb.index_name': input.IndexName } : {}),
          });
        }
        if (span && input) callSpans.set(input, span);
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
            if (input) callSpans.delete(input);
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
            if (input) callSpans.delete(input);
          }
          throw error;
        }
      };
    },
    { step: 'initialize', name: 'coffeeTelemetry', priority: 'high' },
  );

  // Per attempt, inside the retry loop: counts every throttled attempt.
  client.middlewareStack.add(
    (next, context) => {
      const operation = operationOf(context);
      return async (args) => {
        try {
          return await next(args);
        } catch (error) {
          const name = (error as { name?: string }).name ?? '';
          if (THROTTLING_ERRORS.has(name)) {
            instruments?.throttle(operation);
            const input = (args as unknown as Partial<CallArgs>).input;
            if (input) callSpans.get(input)?.addEvent('dynamodb.throttled', { 'db.operation.name': operation });
          }
          throw error;
        }
      };
    },
    { step: 'deserialize', name: 'coffeeThrottleCounter', priority: 'high' },
  );
}
