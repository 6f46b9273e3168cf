import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  RequestLimitExceeded,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import dynalite from 'dynalite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbErrors, type DynamoDbErrorName } from './fault-catalog.ts';
import { drawLatency } from './dynamodb-proxy-rules.ts';
import { startDynamoDbFaultProxy, type DynamoDbFaultProxy } from './dynamodb-proxy.ts';
import { createRandom } from './random.ts';

const TABLE = 'proxy-test';

let upstream: http.Server;
let upstreamUrl: string;
let proxy: DynamoDbFaultProxy;

function client(endpoint: string, { maxAttempts = 2, requestTimeout = 2_000 } = {}) {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({ requestTimeout, throwOnRequestTimeout: true }),
  });
}

const put = (id: string) =>
  new PutItemCommand({
    TableName: TABLE,
    Item: { pk: { S: id }, sk: { S: 'x' }, gsi1pk: { S: 'u' }, gsi1sk: { S: id } },
  });
const get = (id: string) =>
  new GetItemCommand({ TableName: TABLE, Key: { pk: { S: id }, sk: { S: 'x' } }, ConsistentRead: true });

async function exists(id: string): Promise<boolean> {
  const direct = client(upstreamUrl);
  try {
    return (await direct.send(get(id))).Item !== undefined;
  } finally {
    direct.destroy();
  }
}

async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { attempts?: number; httpStatusCode?: number }; code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  upstream = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const setup = client(upstreamUrl);
  await setup.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byUser',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  setup.destroy();
});

afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

afterEach(async () => {
  await proxy?.close();
});

describe('DynamoDB fault proxy', () => {
  it('forwards untouched requests and records the SDK attempt of each', async () => {
    proxy = await startDynamoDbFaultProxy({ upstream: upstreamUrl });
    const sdk = client(proxy.url);
    await sdk.send(put('plain'));
    const out = await sdk.send(get('plain'));
    sdk.destroy();

    expect(out.Item?.pk?.S).toBe('plain');
    expect(proxy.stats()).toMatchObject({
      requests: 2,
      forwarded: 2,
      maxAttemptSeen: 1,
      byOperation: { PutItem: 1, GetItem: 1 },
    });
    expect(proxy.records().map((r) => [r.operation, r.table, r.outcome, r.attempt, r.maxAttempts])).toEqual([
      ['PutItem', TABLE, 'forwarded', 1, 2],
      ['GetItem', TABLE, 'forwarded', 1, 2],
    ]);
  });

  it('answers an error with DynamoDB exact body, request id, content type and CRC32 of the body', async () => {
    proxy = await startDynamoDbFaultProxy({
      upstream: upstreamUrl,
      rules: [{ fault: { kind: 'error', error: 'ProvisionedThroughputExceededException' } }],
    });
    const response = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
      (resolve, reject) => {
        const req = http.request(
          `${proxy.url}/`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
            );
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ TableName: TABLE, Key: {} }));
      },
    );

    expect(response.status).toBe(400);
    expect(JSON.parse(response.body.toString())).toEqual({
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: DynamoDbErrors.ProvisionedThroughputExceededException.message,
    });
    expect(response.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(response.headers['x-amz-crc32']).toBe(String(crc32(response.body) >>> 0));
    expect(response.headers['x-amzn-requestid']).toMatch(/^[A-Z0-9]{52}$/);
    expect(Number(response.headers['content-length'])).toBe(response.body.length);
  });

  const throttles: [DynamoDbErrorName, new (...args: never[]) => Error][] = [
    ['ProvisionedThroughputExceededException', ProvisionedThroughputExceededException],
    ['ThrottlingException', ThrottlingException],
    ['RequestLimitExceeded', RequestLimitExceeded],
  ];
  it.each(throttles)(
    '%s: the SDK parses its own exception class and retries up to maxAttempts',
    async (name, ErrorClass) => {
      proxy = await startDynamoDbFaultProxy({
        upstream: upstreamUrl,
        rules: [{ id: 'throttle', match: { operations: ['PutItem'] }, fault: { kind: 'error', error: name } }],
      });
      const sdk = client(proxy.url, { maxAttempts: 2 });
      const error = await failure(sdk.send(put(`throttled-${name}`)));
      sdk.destroy();

      expect(error).toBeInstanceOf(ErrorClass);
      expect(error.name).toBe(name);
      expect(error.message).toBe(DynamoDbErrors[name].message);
      expect(error.$metadata).toMatchObject({ attempts: 2, httpStatusCode: 400 });
      expect([...proxy.attemptsByInvocation().values()]).toEqual([2]);
      expect(proxy.stats().injectedByRule).toEqual({ throttle: 2 });
      expect(await exists(`throttled-${name}`)).toBe(false);
    },
  );

  it('a throttle that clears before the last attempt: the SDK retry succeeds and the write lands once', async () => {
    proxy = await startDynamoDbFaultProxy({
      upstream: upstreamUrl,
      rules: [{ id: 'once', fault: { kind: 'error', error: 'ThrottlingException' } }],
      onRecord: (record) => {
        if (record.ruleId === 'once') proxy.clearRules();
      },
    });
    const sdk = client(proxy.url, { maxAttempts: 3 });
    const out = await sdk.send(put('throttled-once'));
    sdk.destroy();

    expect(out.$metadata.attempts).toBe(2);
    expect(proxy.records().map((r) => [r.attempt, r.outcome])).toEqual([
      [1, 'error'],
      [2, 'forwarded'],
    ]);
    expect(await exists('throttled-once')).toBe(true);
  });

  it('a rule with times hits that many matching requests, then lets them pass', async () => {
    proxy = await startDynamoDbFaultProxy({
      upstream: upstreamUrl,
      rules: [
        {
          id: 'twice',
          match: { operations: ['PutItem'] },
          times: 2,
          fault: { kind: 'error', error: 'ThrottlingException' },
        },
      ],
    });
    const sdk = client(proxy.url, { maxAttempts: 4 });
    await sdk.send(get('x'));
    const throttled = await sdk.send(put('throttled-twice'));
    const next = await sdk.send(put('after-twice'));
    sdk.destroy();

    expect([throttled.$metadata.attempts, next.$metadata.attempts]).toEqual([3, 1]);
    // A request the rule does not match leaves its count alone.
    expect(proxy.records().map((r) => [r.operation, r.outcome])).toEqual([
      ['GetItem', 'forwarded'],
      ['PutItem', 'error'],
      ['PutItem', 'error'],
      ['PutItem', 'forwarded'],
      ['PutItem', 'forwarded'],
    ]);
    expect(proxy.stats().injectedByRule).toEqual({ twice: 2 });
    expect(await exists('throttled-twice')).toBe(true);
  });

  it('InternalServerError (500) is modeled and retried as transient', async () => {
    proxy = await startDynamoDbFaultProxy({
      upstream: upstreamUrl,
      rules: [{ fault: { kind: 'error', error: 'InternalServerError' } }],
    });
    const sdk = client(proxy.url, { maxAttempts: 3 });
    const error = await failure(sdk.send(get('x')));
    sdk.destroy();

    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.$metadata).toMatchObject({ attempts: 3, httpStatusCode: 500 });
  });

  it('ServiceUnavailable (503) reaches the caller by name after the SDK retries', async () => {
    proxy = await startDynamoDbFaultProxy({
      upstream: upstreamUrl,
      rules: [{ fault: { kind: 'error', error: 'ServiceUnavailable' } }],
    });
    const sdk = client(proxy.url, { maxAttempts: 3 });
    const error = await failure(sdk.send(get('x')));
    sdk.destroy();

    expect(error.name).toBe('ServiceUnavailable');
    expect(error.$metadata).toMatchObject({ attempts: 3, httpStatusCode: 503 });
  });

  it('a 500 after DynamoDB applied the write: the caller sees an error, the item exists', async () => {
    proxy = await startDynamoDbFaultProxy({
      upstream: upstreamUrl,
      rules: [
        { match: { operations: ['PutItem'] }, fault: { kind: 'error', error: 'InternalServerError', phase: 'after' } },
      ],
    });
    const sdk = client(proxy.url, { maxAttempts: 1 });
    const error = await failure(sdk.send(put('applied-then-500')));
    sdk.destroy();

    expect(error.name).toBe('InternalServerError');
    expect(proxy.records()[0]).toMatchObject({ outcome: 'error', phase: 'after', reachedUpstream: true });
    expect(await exists('applied-then-500')).toBe(true);
  });

  it('a hang lasts until the SDK request timeout, which the SDK retries as a TimeoutError', async () => {
    proxy = await startDynamoDbFaultProxy({ upstream: upstreamUrl, rules: [{ fault: { kind: 'hang' } }] });
    const sdk = client(proxy.url, { maxAttempts: 2, requestTimeout: 200 });
    const error = await failure(sdk.send(get('x')));
    sdk.destroy();
    // The proxy notices the client hanging up on its own schedule.
    await expect.poll(() => proxy.stats().byOutcome.hang).toBe(2);

    expect(error.name).toBe('TimeoutError');
    expect(error.$metadata?.attempts).toBe(2);
    expect(proxy.records().every((r) => r.outcome === 'hang' && !r.reachedUpstream)).toBe(true);
  });

  it('a hang after the write was applied leaves the item in place', async () => {
    proxy = await startDynamoDbFaultProxy({
      upstream: upstreamUrl,
      rules: [{ match: { operations: ['PutItem'] }, fault: { kind: 'hang', phase: 'after' } }],
    });
    const sdk = client(proxy.url, { maxAttempts: 1, requestTimeout: 200 });
    const error = await failure(sdk.send(put('applied-then-hang')));
    sdk.destroy();

    expect(error.name).toBe('TimeoutError');
    expect(await exists('applied-then-hang')).toBe(true);
  });

  it('a connection reset surfaces as ECONNRESET, which the SDK retries', async () => {
    proxy = await startDynamoDbFaultProxy({ upstream: upstreamUrl, rules: [{ fault: { kind: 'connection-reset' } }] });
    const sdk = client(proxy.url, { maxAttempts: 3 });
    const error = await failure(sdk.send(put('reset-before')));
    sdk.destroy();

    expect(error.code).toBe('ECONNRESET');
    expect(error.$metadata?.attempts).toBe(3);
    expect(proxy.stats().byOutcome['connection-reset']).toBe(3);
    expect(await exists('reset-before')).toBe(false);
  });

  it('a reset after the write: the SDK retry of the same PutItem lands on the existing item', async () => {
    proxy = await startDynamoDbFaultProxy({
      upstream: upstreamUrl,
      rules: [{ id: 'reset', match: { operations: ['PutItem'] }, fault: { kind: 'connection-reset', phase: 'after' } }],
      onRecord: (record) => {
        if (record.ruleId === 'reset') proxy.clearRules();
      },
    });
    const sdk = client(proxy.url, { maxAttempts: 3 });
    const out = await sdk.send(put('reset-after'));
    sdk.destroy();

    expect(out.$metadata.attempts).toBe(2);
    expect(proxy.records().map((r) => [r.outcome, r.reachedUpstream])).toEqual([
      ['connection-reset', true],
      ['forwarded', true],
    ]);
  });

  it('adds the drawn latency and records it', async () => {
    proxy = await startDynamoDbFaultProxy({
      upstream: upstreamUrl,
      rules: [
        {
          id: 'slow',
          match: { operations: ['GetItem'] },
          fault: { kind: 'latency', latency: { type: 'fixed', ms: 150 } },
        },
      ],
    });
    const sdk = client(proxy.url);
    await sdk.send(put('slow'));
    const out = await sdk.send(get('slow'));
    sdk.destroy();

    expect(out.Item?.pk?.S).toBe('slow');
    expect(proxy.records().map((r) => [r.operation, r.outcome, r.addedLatencyMs, r.ruleId])).toEqual([
      ['PutItem', 'forwarded', undefined, undefined],
      ['GetItem', 'forwarded', 150, 'slow'],
    ]);
  });

  it('matches by table and index', async () => {
    proxy = await startDynamoDbFaultProxy({
      upstream: upstreamUrl,
      rules: [
        {
          id: 'other-table',
          match: { tables: ['another-table'] },
          fault: { kind: 'error', error: 'InternalServerError' },
        },
        {
          id: 'by-user',
          match: { operations: ['Query'], indexes: ['byUser'] },
          fault: { kind: 'error', error: 'ProvisionedThroughputExceededException' },
        },
      ],
    });
    const sdk = client(proxy.url, { maxAttempts: 1 });
    const base = await sdk.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': { S: 'plain' } },
      }),
    );
    const onIndex = await failure(
      sdk.send(
        new QueryCommand({
          TableName: TABLE,
          IndexName: 'byUser',
          KeyConditionExpression: 'gsi1pk = :u',
          ExpressionAttributeValues: { ':u': { S: 'u' } },
        }),
      ),
    );
    sdk.destroy();

    expect(base.$metadata.httpStatusCode).toBe(200);
    expect(onIndex.name).toBe('ProvisionedThroughputExceededException');
    expect(proxy.records().map((r) => [r.index, r.outcome, r.ruleId])).toEqual([
      [undefined, 'forwarded', undefined],
      ['byUser', 'error', 'by-user'],
    ]);
  });

  it('draws fault decisions from the seed: the same seed hits the same requests', async () => {
    async function outcomes(seed: number): Promise<string[]> {
      proxy = await startDynamoDbFaultProxy({
        upstream: upstreamUrl,
        seed,
        rules: [{ probability: 0.3, fault: { kind: 'error', error: 'InternalServerError' } }],
      });
      const sdk = client(proxy.url, { maxAttempts: 1 });
      const result: string[] = [];
      for (let i = 0; i < 40; i++) {
        result.push(
          await sdk.send(get('plain')).then(
            () => 'ok',
            (e: Error) => e.name,
          ),
        );
      }
      sdk.destroy();
      await proxy.close();
      return result;
    }
    const first = await outcomes(11);
    const again = await outcomes(11);
    const other = await outcomes(12);

    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    const hits = first.filter((o) => o === 'InternalServerError').length;
    expect(hits).toBeGreaterThan(0);
    expect(hits).toBeLessThan(40);
  });

  it('drops the client connection when DynamoDB itself is unreachable', async () => {
    const dead = http.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    proxy = await startDynamoDbFaultProxy({ upstream: deadUrl });
    const sdk = client(proxy.url, { maxAttempts: 2 });
    const error = await failure(sdk.send(get('x')));
    sdk.destroy();

    expect(error.$metadata?.attempts).toBe(2);
    expect(proxy.stats().byOutcome['upstream-error']).toBe(2);
  });

  it('refuses rules DynamoDB could not produce', async () => {
    proxy = await startDynamoDbFaultProxy({ upstream: upstreamUrl });
    expect(() => proxy.addRule({ fault: { kind: 'error', error: 'ThrottlingException', phase: 'after' } })).toThrow(
      /never applies/,
    );
    expect(() => proxy.addRule({ probability: 2, fault: { kind: 'hang' } })).toThrow(/probability/);
    expect(() => proxy.addRule({ times: 0, fault: { kind: 'hang' } })).toThrow(/times/);
    expect(() => proxy.addRule({ times: 1.5, fault: { kind: 'hang' } })).toThrow(/times/);
    const id = proxy.addRule({ fault: { kind: 'hang' } });
    expect(proxy.removeRule(id)).toBe(true);
    expect(proxy.rules).toEqual([]);
  });
});

describe('latency distributions', () => {
  const sample = (spec: Parameters<typeof drawLatency>[0], n = 20_000) => {
    const random = createRandom(3);
    return Array.from({ length: n }, () => drawLatency(spec, random));
  };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

  it('fixed is exact, jitter stays within its band', () => {
    expect(new Set(sample({ type: 'fixed', ms: 40 }, 100))).toEqual(new Set([40]));
    const jitter = sample({ type: 'jitter', ms: 100, jitterMs: 20 });
    expect(Math.min(...jitter)).toBeGreaterThanOrEqual(80);
    expect(Math.max(...jitter)).toBeLessThanOrEqual(120);
  });

  it('normal, lognormal and exponential have the parameters they were given', () => {
    expect(mean(sample({ type: 'normal', meanMs: 200, stdDevMs: 30 }))).toBeCloseTo(200, -1);
    expect(median(sample({ type: 'lognormal', medianMs: 80, sigma: 0.5 }))).toBeCloseTo(80, -1);
    expect(mean(sample({ type: 'exponential', meanMs: 50 }))).toBeCloseTo(50, -1);
  });

  it('clamps draws to [0, maxMs]', () => {
    const draws = sample({ type: 'normal', meanMs: 10, stdDevMs: 100, maxMs: 50 });
    expect(Math.min(...draws)).toBe(0);
    expect(Math.max(...draws)).toBe(50);
  });
});
