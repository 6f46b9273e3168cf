/**
 * `coffee serve`: reads the configuration, starts telemetry and the service, listens,
 * prints `listening on http://HOST:PORT` once ready, and shuts down cleanly on SIGTERM
 * or SIGINT (drain, flush telemetry, close the store, exit 0).
 */
import { createServer } from 'node:http';
import { loadConfig } from '../config/config.ts';
import { createService } from '../compose.ts';
import { startEmbeddedDynamo } from '../store/embedded.ts';
import { startServerTracing } from '../telemetry/tracing.ts';
import { createTelemetry } from '../telemetry/telemetry.ts';
import { tuneHeapForService } from './heap.ts';
import { listen } from './server.ts';

export interface ServeOptions {
  env: Record<string, string | undefined>;
  port: number;
  host: string;
  dataDir?: string;
}

export async function serve({ env, port, host, dataDir }: ServeOptions): Promise<void> {
  tuneHeapForService();
  const config = loadConfig(env, { store: 'embedded', metrics: 'prometheus', ...(dataDir ? { dataDir } : {}) });
  const telemetry = await createTelemetry({
    config: config.telemetry,
    region: config.region,
    startTracing: startServerTracing,
  });
  let service: Awaited<ReturnType<typeof createService>> | undefined;
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    service = await createService(config, {
      telemetry,
      startEmbedded: (dir) => startEmbeddedDynamo(dir ? { dataDir: dir } : {}),
    });
    server = await listen(service.app, { port, host, telemetry });
  } catch (error) {
    // A taken port or a store that does not start: stop what did start (the store's
    // thread, the exporters' timers), or the process would stay up with nothing to do.
    await service?.close();
    await telemetry.shutdown();
    throw error;
  }
  const running = service;
  let metricsServer: ReturnType<typeof createServer> | undefined;
  if (config.telemetry.metricsPort !== undefined && telemetry.prometheus) {
    const scrape = telemetry.prometheus;
    metricsServer = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      scrape().then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
        () => res.writeHead(500).end(),
      );
    }).listen(config.telemetry.metricsPort, host);
  }
  telemetry.logger.info(
    {
      url: server.url,
      store: config.store,
      table: config.tableName,
      auth: config.auth.mode,
      metrics: config.telemetry.metrics,
      tracing: config.telemetry.tracing,
    },
    'service started',
  );
  process.stdout.write(`listening on ${server.url}\n`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      telemetry.logger.info({ signal }, 'draining');
      void (async () => {
        await server.close();
        metricsServer?.close();
        await telemetry.shutdown();
        await running.close();
        resolve();
      })();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
