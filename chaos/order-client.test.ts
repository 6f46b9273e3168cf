import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createOrderClient } from './order-client.ts';
import { createRandom } from './random.ts';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A service whose every order is answered by `answers` in turn (per key), then 201. */
async function serve(
  answers: { status: number; retryAfter?: string }[],
): Promise<{ url: string; attempts: Map<string, number> }> {
  const attempts = new Map<string, number>();
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/menu')
        return res.end(JSON.stringify({ items: [{ id: 'latte', available: true, prices: { small: 300 } }] }));
      if (req.url === '/users') {
        res.statusCode = 201;
        return res.end(JSON.stringify({ user: { id: 'u-1' }, token: 't' }));
      }
      const key = String(req.headers['idempotency-key']);
      const n = attempts.get(key) ?? 0;
      attempts.set(key, n + 1);
      const answer = answers[n];
      if (answer) {
        res.writeHead(answer.status, {
          'content-type': 'application/problem+json',
          ...(answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}),
        });
        return res.end('{}');
      }
      res.statusCode = 201;
      res.end(JSON.stringify({ order: { id: `o-${key}` } }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, attempts };
}

describe('the chaos order client', () => {
  it('waits what Retry-After asks, in either form, within its own cap, and retries 5xx with the same key', async () => {
    const { url, attempts } = await serve([
      { status: 503, retryAfter: 'Thu, 01 Jan 1970 00:00:00 GMT' },
      { status: 503, retryAfter: 'Fri, 31 Dec 9999 23:59:59 GMT' },
      { status: 429, retryAfter: '1' },
      { status: 500 },
    ]);
    const waits: number[] = [];
    const client = createOrderClient({
      baseUrl: () => url,
      random: createRandom(5),
      runId: 'retry',
      customers: 1,
      ratePerSecond: 100,
      maxInFlight: 1,
      replayProbability: 0,
      maxBackoffMs: 1_500,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await client.setup();
    client.start();
    while (![...attempts.values()].includes(5)) await new Promise((resolve) => setTimeout(resolve, 5));
    const intents = (await client.stop()).filter((i) => i.outcome === 'acknowledged');

    expect(intents.length).toBeGreaterThan(0);
    for (const intent of intents) expect(intent.attempts.map((a) => a.status)).toEqual([503, 503, 429, 500, 201]);
    // Per order: a past date retries at once, a far date waits the cap, '1' waits 1 s, and
    // the 500 without Retry-After backs off 800 ms (fourth attempt), the upper half jittered.
    expect(waits).toHaveLength(4 * intents.length);
    for (let i = 0; i < intents.length; i++) {
      const [past, far, seconds, backoff] = waits.slice(4 * i, 4 * i + 4);
      expect([past, far, seconds]).toEqual([0, 1_500, 1_000]);
      expect(backoff).toBeGreaterThanOrEqual(400);
      expect(backoff).toBeLessThan(800);
    }
  });

  it('gives up after maxAttempts retryable answers, and rejects a 4xx at once', async () => {
    for (const [answers, outcome, statuses] of [
      [[{ status: 503 }, { status: 502 }, { status: 503 }], 'gave-up', [503, 502]],
      [[{ status: 409 }], 'rejected', [409]],
    ] as const) {
      const { url, attempts } = await serve([...answers]);
      const client = createOrderClient({
        baseUrl: () => url,
        random: createRandom(5),
        runId: outcome,
        customers: 1,
        ratePerSecond: 100,
        maxInFlight: 1,
        replayProbability: 0,
        maxAttempts: 2,
        sleep: async () => {},
      });
      await client.setup();
      client.start();
      while (attempts.size === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const intents = await client.stop();
      expect(intents.length).toBeGreaterThan(0);
      for (const intent of intents) {
        expect(intent.outcome).toBe(outcome);
        expect(intent.attempts.map((a) => a.status)).toEqual(statuses);
      }
      server?.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
      server = undefined;
    }
  });
});
