/**
 * DynamoDB's ValidationException for a key or an item over its size limits is the
 * request's fault (400), on the embedded DynamoDB itself; any other ValidationException
 * stays an internal error (the service built a bad request).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, ValidationError } from '../errors.ts';
import { ensureTable } from './create-table.ts';
import { createDynamoClient } from './dynamo-client.ts';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './embedded.ts';
import { toStoreError } from './errors.ts';
import { createStore, type Store } from './store.ts';

let dynamo: EmbeddedDynamo;
let client: DynamoDBClient;
let store: Store;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  client = createDynamoClient({ endpoint: dynamo.endpoint, region: 'us-east-1', maxAttempts: 1 });
  await ensureTable(client, 'limits-test');
  store = createStore({ client, tableName: 'limits-test' });
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

describe('ValidationException from DynamoDB', () => {
  it('is a 400 when a key is over the partition key limit (a read past the bounds)', async () => {
    const error = await store.getOrder('x'.repeat(2_100)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as AppError).status).toBe(400);
    expect(await store.getOrder('x'.repeat(2_000))).toBeUndefined();
  });

  it('is a 400 for each of DynamoDB size messages, and stays a 500 otherwise', () => {
    const sdkError = (message: string) =>
      Object.assign(new Error(message), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    for (const message of [
      'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes',
      'One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes',
      'Item size has exceeded the maximum allowed size',
    ]) {
      expect(toStoreError(sdkError(message)).status, message).toBe(400);
    }
    const ours = toStoreError(sdkError('Invalid UpdateExpression: Syntax error; token: "SET"'));
    expect({ status: ours.status, code: ours.code }).toEqual({ status: 500, code: 'internal' });
  });
});
