// The embedded DynamoDB's thread (see embedded.ts): dynalite listening on the port it was
// given, stopped by a "stop" message. Plain JavaScript so that it loads in a worker thread
// without a TypeScript loader, however the process was started.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const { dataDir, port, host } = workerData;
const require = createRequire(import.meta.url);

// In memory, dynalite keeps its items in memory-level, whose default store encoding is
// Buffer. Small Buffers are slices of shared 8 KiB slabs, and a slab lives as long as any
// slice of it does: the long-lived items pin slabs full of the request path's dead
// temporaries, so the thread held about 7 KB of memory per order stored (measured over
// 10,000 orders: 1 KB of heap and 6 KB of "external" memory per order). Stored as strings
// instead, they live in the V8 heap, which compacts: about 4.4 KB per order, most of it
// the item itself and its two index copies. dynalite has no option for this, so its
// MemoryLevel is given the encoding before dynalite loads. The order of keys does not
// change: dynalite's keys are ASCII (hex and '/'), where string order is byte order.
const memoryLevel = createRequire(require.resolve('dynalite'))('memory-level');
const { MemoryLevel } = memoryLevel;
memoryLevel.MemoryLevel = class StringMemoryLevel extends MemoryLevel {
  constructor(options) {
    super({ ...options, storeEncoding: 'utf8' });
  }
};
const dynalite = require('dynalite');

const server = dynalite({
  createTableMs: 0,
  deleteTableMs: 0,
  updateTableMs: 0,
  ...(dataDir ? { path: dataDir } : {}),
});
server.once('error', (error) => parentPort.postMessage({ type: 'error', message: error.message, code: error.code }));
server.listen(port, host, () => parentPort.postMessage({ type: 'ready', port: server.address().port }));
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  // dynalite's close waits for idle keep-alive sockets; close them first.
  server.closeAllConnections();
  // dynalite's close also closes its store (LevelDB on disk), so every write is on disk.
  server.close(() => parentPort.postMessage({ type: 'stopped' }));
});
