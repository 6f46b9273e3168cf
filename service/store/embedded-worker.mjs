// The embedded DynamoDB's thread (see embedded.ts): dynalite listening on the port it was
// given, stopped by a "stop" message. Plain JavaScript so that it loads in a worker thread
// without a TypeScript loader, however the process was started.
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';

const { dataDir, port, host } = workerData;
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(dataDir ? { path: dataDir } : {}) });
server.once('error', (error) => parentPort.postMessage({ type: 'error', message: error.message, code: error.code }));
server.listen(port, host, () => parentPort.postMessage({ type: 'ready', port: server.address().port }));
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  // dynalite's close waits for idle keep-alive sockets; close them first.
  server.closeAllConnections();
  // dynalite's close also closes its store (LevelDB on disk), so every write is on disk.
  server.close(() => parentPort.postMessage({ type: 'stopped' }));
});
