/**
 * A small switchable HTTP proxy in front of a DynamoDB endpoint, for the service's tests:
 * it counts every request by operation (so a test can prove a cache hit made no call, or
 * that the SDK retried), and on demand answers with DynamoDB's throttling error or resets
 * the connection. Test-only; the fault experiments have their own, richer proxy in
 * chaos/ (the service does not import chaos/).
 *
 * Being on the wire, the SDK's real deserializer, error classification and retry strategy
 * run against it, as they would against a throttled or failing DynamoDB.
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export const ProxyModes = {
  /** Forward to the target. */
  Pass: 'pass',
  /** Answer 400 ProvisionedThroughputExceededException, as DynamoDB does. */
  Throttle: 'throttle',
  /** Destroy the socket without an answer (the SDK sees a reset). */
  Reset: 'reset',
  /** Forward, let DynamoDB apply it, then reset instead of answering: the answer is lost. */
  LoseAnswer: 'lose-answer',
} as const;
export type ProxyMode = (typeof ProxyModes)[keyof typeof ProxyModes];

/** DynamoDB's throttling answer, byte for byte as the service returns it. */
export const THROTTLING_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API',
});

export interface ProxiedRequest {
  /** DynamoDB operation from `X-Amz-Target` (`Query`, `PutItem`...). */
  operation: string;
  mode: ProxyMode;
}

export interface DynamoProxy {
  endpoint: string;
  /** Every request received, in order. */
  readonly requests: readonly ProxiedRequest[];
  /**
   * Switches the mode; with `operations`, only those operations get it and the rest pass;
   * with `times`, the mode applies to that many requests, then the proxy passes again.
   */
  setMode(mode: ProxyMode, operations?: string[], times?: number): void;
  stop(): Promise<void>;
}

export async function startDynamoProxy({ target }: { target: string }): Promise<DynamoProxy> {
  const targetUrl = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const requests: ProxiedRequest[] = [];
  let mode: ProxyMode = ProxyModes.Pass;
  let only: ReadonlySet<string> | undefined;
  let remaining = Infinity;

  const server = createServer((req, res) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.').at(-1) ?? '';
    let applied: ProxyMode = only && !only.has(operation) ? ProxyModes.Pass : mode;
    if (applied !== ProxyModes.Pass) {
      if (remaining <= 0) applied = ProxyModes.Pass;
      else remaining--;
    }
    requests.push({ operation, mode: applied });
    if (applied === ProxyModes.Reset) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (applied === ProxyModes.Throttle) {
        const body = Buffer.from(THROTTLING_BODY);
        res.writeHead(400, {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': body.byteLength,
          'x-amzn-requestid': randomUUID().replaceAll('-', '').toUpperCase(),
        });
        res.end(body);
        return;
      }
      const upstream = httpRequest(
        { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: req.headers, agent },
        (answer) => {
          if (applied === ProxyModes.LoseAnswer) {
            answer.resume();
            answer.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => req.socket.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    setMode(next, operations, times = Infinity) {
      mode = next;
      remaining = times;
      only = operations ? new Set(operations) : undefined;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
