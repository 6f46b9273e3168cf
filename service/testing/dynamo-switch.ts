/**
 * Test helper: a pass-through HTTP proxy in front of a DynamoDB endpoint that can answer
 * the next N calls of an operation with DynamoDB's real throttling error, so the SDK's
 * real retry logic runs. (The full fault proxy with every fault type lives in chaos/.)
 */
import { request as httpRequest, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DynamoSwitch {
  endpoint: string;
  /** Answer the next `count` calls of `operation` (e.g. `PutItem`) with a throttling error. */
  throttle(operation: string, count: number): void;
  /** Requests seen per operation. */
  readonly seen: Map<string, number>;
  close(): Promise<void>;
}

const THROTTLE_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
});

export async function startDynamoSwitch(target: string): Promise<DynamoSwitch> {
  const upstream = new URL(target);
  const pending = new Map<string, number>();
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    seen.set(operation, (seen.get(operation) ?? 0) + 1);
    const left = pending.get(operation) ?? 0;
    if (left > 0) {
      pending.set(operation, left - 1);
      req.resume();
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `throttle-${Date.now()}` }).end(THROTTLE_BODY);
      return;
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    throttle: (operation, count) => pending.set(operation, count),
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
