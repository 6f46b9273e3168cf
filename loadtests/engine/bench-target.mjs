// The benchmark's target: a raw node:http server answering a menu-sized JSON document, run
// in its own process so it does not share an event loop (or a core) with the generator.
import { createServer } from 'node:http';

const body = JSON.stringify({
  items: Array.from({ length: 12 }, (_, i) => ({ id: `product-${i}`, name: `Product ${i}`, category: 'coffee', prices: { small: 280 + i, medium: 320 + i }, available: true })),
});
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));
