import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoClient } from '../store/dynamo-client.ts';
import { instrumentDynamoClient } from './dynamo.ts';

const instruments = { duration: () => {}, retries: () => {}, throttle: () => {} };
const options = { tableName: 'coffee', region: 'local', parent: () => undefined, instruments };

describe('instrumentDynamoClient', () => {
  it('refuses a client that has sent already: its cached handlers would never run the middleware', async () => {
    // Nothing listens on port 9: the call fails, after the client resolved and cached its handler.
    const client = createDynamoClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    await expect(client.send(new GetItemCommand({ TableName: 'coffee', Key: { pk: { S: 'x' } } }))).rejects.toThrow();
    expect(() => instrumentDynamoClient(client, options)).toThrow(/before its first send/);
    client.destroy();
  });

  it('instruments a client once, before its first send', () => {
    const client = createDynamoClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const before = client.middlewareStack.identify().length;
    instrumentDynamoClient(client, options);
    instrumentDynamoClient(client, options);
    expect(client.middlewareStack.identify().length).toBe(before + 2);
    client.destroy();
  });
});
