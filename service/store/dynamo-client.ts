/**
 * The DynamoDB client, tuned for a long-running service: keep-alive sockets, connection
 * and request timeouts, the SDK's standard retry strategy with a bounded number of
 * attempts, and its handlers resolved once per command class. The same factory serves the
 * embedded store and real DynamoDB.
 */
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface DynamoClientOptions {
  /** Custom endpoint (embedded store, a fault proxy, DynamoDB Local); absent = AWS. */
  endpoint?: string;
  region?: string;
  /** Total attempts per call, first one included (SDK standard retry strategy). */
  maxAttempts?: number;
  /** Time to establish a TCP connection. */
  connectionTimeoutMs?: number;
  /** Time to wait for the response of one attempt. */
  requestTimeoutMs?: number;
  /** Keep-alive sockets per host. */
  maxSockets?: number;
}

/** Static credentials for a local endpoint, which accepts any. Real AWS uses the default chain. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function createDynamoClient({
  endpoint,
  region = 'us-east-1',
  maxAttempts = 3,
  connectionTimeoutMs = 1_000,
  requestTimeoutMs = 2_000,
  maxSockets = 64,
}: DynamoClientOptions = {}): DynamoDBClient {
  const isLocal = endpoint !== undefined && /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(endpoint);
  const agentOptions = { keepAlive: true, maxSockets, keepAliveMsecs: 1_000 };
  return new DynamoDBClient({
    region,
    // Each command class's middleware is resolved once, not on every send (about 155 µs of
    // main-thread CPU a PutItem; documents.ts). Middleware must then be on the client before
    // its first send of a command (telemetry's is: compose.ts), and never on a command.
    cacheMiddleware: true,
    maxAttempts,
    retryMode: 'standard',
    ...(endpoint ? { endpoint } : {}),
    ...(isLocal ? { credentials: LOCAL_CREDENTIALS } : {}),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: connectionTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Without this the SDK only logs a warning when a response takes too long, and a
      // hung DynamoDB connection would hang the request that waits on it.
      throwOnRequestTimeout: true,
      httpAgent: new Agent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    }),
  });
}
