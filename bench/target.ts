/**
 * A raw benchmark target, the least a server could do, run in its own process (so the load
 * generator and the target do not share an event loop) with the V8 heap settings of
 * `coffee serve`. Prints one JSON line `{url}` when ready; stops on SIGTERM. The service
 * itself is measured as users run it, `coffee serve` (see start-targets.ts).
 *
 * Kinds:
 * - raw-menu:      node:http answering GET /menu with the service's exact answer: the same
 *                  body and the same head (security headers, a fresh request id, cache
 *                  headers), written in one writeHead: the least any server could do
 * - raw-menu-bare: the same body with only a content type (for information: what the
 *                  service's security headers and request id cost on the wire)
 *                  (both answer GET /health with 200, for a load run's start-up check)
 * - raw-put:       node:http doing the one PutItem an order costs, on its own embedded store,
 *                  or on the store at the endpoint given as the next argument
 * - store:         the embedded DynamoDB alone (its endpoint is the `url`): a store in a
 *                  process of its own, as DynamoDB is apart from the service in AWS
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  createDynamoClient,
  createStore,
  ensureTable,
  newOrder,
  SECURITY_HEADER_ENTRIES,
  seedProducts,
  startEmbeddedDynamo,
  startLocalStack,
  tuneHeapForService,
  type OrderRequest,
} from '../service/index.ts';
import { DEFAULT_TABLE_NAME } from '../service/catalog/index.ts';

const [kind = 'raw-put', storeEndpoint] = process.argv.slice(2);
tuneHeapForService();
// The bench that started this target is gone when its pipe breaks: nobody to serve.
process.stdout.on('error', () => process.exit(1));

async function main(): Promise<() => Promise<void>> {
  if (kind === 'raw-menu' || kind === 'raw-menu-bare') {
    // Same bytes as the service's GET /menu: take them from a service started once.
    const stack = await startLocalStack();
    const body = await (await fetch(`${stack.url}/menu`)).text();
    await stack.stop();
    const length = String(Buffer.byteLength(body));
    const same = [
      ...SECURITY_HEADER_ENTRIES.flat(),
      'content-type',
      'application/json',
      'cache-control',
      'public, max-age=5',
      'content-length',
      length,
    ];
    const server = createServer((req, res) => {
      if (req.url !== '/menu') res.writeHead(req.url === '/health' ? 200 : 404).end();
      else if (kind === 'raw-menu-bare') res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      else res.writeHead(200, [...same, 'x-request-id', randomUUID()]).end(body);
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    print({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    return async () => void server.close();
  }
  if (kind === 'raw-put') {
    // The same single conditional PutItem of the same order item, with no framework, auth,
    // validation or telemetry around it.
    const db = storeEndpoint === undefined ? await startEmbeddedDynamo() : undefined;
    const client = createDynamoClient({ endpoint: storeEndpoint ?? db!.endpoint });
    await ensureTable(client, DEFAULT_TABLE_NAME);
    const store = createStore({ client, tableName: DEFAULT_TABLE_NAME });
    const menu = new Map(seedProducts(new Date().toISOString()).map((p) => [p.id, p]));
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const id = `o_${randomUUID()}`;
        const request = JSON.parse(body) as OrderRequest;
        store.createOrder(newOrder(id, 'bench-customer', request, menu, new Date().toISOString()), id).then(
          (result) => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(result)),
          () => res.writeHead(503).end(),
        );
      });
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    print({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    return async () => {
      // Answers still being written finish before the store closes under them.
      await new Promise((resolve) => server.close(resolve));
      await db?.stop();
    };
  }
  if (kind === 'store') {
    const db = await startEmbeddedDynamo();
    print({ url: db.endpoint });
    return () => db.stop();
  }
  throw new Error(`unknown bench target "${kind}" (raw-menu, raw-menu-bare, raw-put, store)`);
}

function print(ready: Record<string, string>): void {
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

const stop = await main();
process.once('SIGTERM', () => {
  void stop().finally(() => process.exit(0));
});
