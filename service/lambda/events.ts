/** A real API Gateway HTTP API (payload format 2.0) event, for tests and the cold-start benchmark. */
import type { LambdaEvent } from 'hono/aws-lambda';

export function httpApiEvent({
  method = 'GET',
  path = '/menu',
  headers = {},
  body,
  query,
}: {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  query?: string;
} = {}): LambdaEvent {
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query ?? '',
    headers: {
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
      'x-forwarded-proto': 'https',
      ...headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      requestId: `req-${now}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    isBase64Encoded: false,
    ...(body !== undefined ? { body } : {}),
  } as unknown as LambdaEvent;
}
