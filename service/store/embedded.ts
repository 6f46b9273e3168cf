/**
 * The embedded DynamoDB: dynalite (the real DynamoDB wire protocol over HTTP) started in
 * this process on an ephemeral port, in memory or on disk. Never bundled into the Lambda.
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface EmbeddedDynamo {
  endpoint: string;
  stop(): Promise<void>;
}

export interface EmbeddedDynamoOptions {
  /** LevelDB directory, so data survives a restart; in memory when absent. */
  dataDir?: string;
  port?: number;
  host?: string;
}

export async function startEmbeddedDynamo({ dataDir, port = 0, host = '127.0.0.1' }: EmbeddedDynamoOptions = {}): Promise<EmbeddedDynamo> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(dataDir ? { path: dataDir } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    endpoint: `http://${hostPart}:${bound}`,
    async stop() {
      // dynalite's close waits for idle keep-alive sockets; close them first.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
