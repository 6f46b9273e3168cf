// dynalite in a process of its own on a data directory, for embedded-repair.test.ts. With
// "hold", each write stops after dynalite has written its index entries and before it
// writes the item, and says so: the parent kills it there, between the two LevelDB writes.
import { createRequire } from 'node:module';

const [dataDir, mode] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const db = createRequire(require.resolve('dynalite'))('./db/index.js');

if (mode === 'hold') {
  const updateIndexes = db.updateIndexes;
  db.updateIndexes = (store, table, existing, item, done) =>
    updateIndexes(store, table, existing, item, (error) => {
      if (error) return done(error);
      process.send({ type: 'indexes-written' });
    });
}

const dynalite = require('dynalite');
const server = dynalite({ path: dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
process.on('message', (message) => {
  if (message !== 'stop') return;
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
