/**
 * The system an experiment runs against, behind one interface whatever its kind:
 * - `embedded`: embedded DynamoDB, the fault proxy in front of it, and the service in this
 *   process (`startLocalStack`) pointed at the proxy, with its fault endpoint on;
 * - `process`: `coffee serve --data-dir DIR --faults` as a child process, which the
 *   process faults kill and restart; the store is read from DIR once it has stopped;
 * - `remote`: a service already running at a URL (service faults need its fault token;
 *   the store is read when its DynamoDB endpoint is given).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startServiceProcess,
  type ServiceProcess,
  startEmbeddedDynamo,
  startLocalStack,
  type LocalStack,
} from '../service/index.ts';
import { DEFAULT_TABLE_NAME } from '../service/catalog/index.ts';
import { capturedLogDestination, type RunCapture } from '../loadtests/index.ts';
import { startDynamoDbFaultProxy, type DynamoDbFaultProxy, type ProxyRequestRecord } from './dynamodb-proxy.ts';
import { createServiceFaultClient, type ServiceFaultClient } from './service-faults.ts';
import { createStoreReader, type StoreReader } from './store-reader.ts';

export interface Target {
  kind: 'embedded' | 'process' | 'remote';
  /** The service's base URL (stable across process restarts). */
  url(): string;
  proxy?: DynamoDbFaultProxy;
  serviceFaults?: ServiceFaultClient;
  process?: ServiceProcess;
  /** Opens a reader of the store; for a process target, stops the process first. */
  openStore(): Promise<StoreReader | undefined>;
  close(): Promise<void>;
}

export interface EmbeddedTargetOptions {
  seed: number;
  unsafe?: { idempotency?: boolean };
  emfFile?: string;
  onProxyRecord?: (record: ProxyRequestRecord) => void;
  /** The run's trace capture: the service sends it its spans and traced log lines. */
  capture?: RunCapture;
  /** With a capture, the service's log lines also go here (for the dashboards' Logs Insights widgets). */
  logFile?: string;
}

export async function startEmbeddedTarget({
  seed,
  unsafe,
  emfFile,
  onProxyRecord,
  capture,
  logFile,
}: EmbeddedTargetOptions): Promise<Target> {
  const token = randomBytes(24).toString('base64url');
  const dynamo = await startEmbeddedDynamo();
  const proxy = await startDynamoDbFaultProxy({
    upstream: dynamo.endpoint,
    seed,
    ...(onProxyRecord ? { onRecord: onProxyRecord } : {}),
  });
  const logs = capture && logFile ? capturedLogDestination(capture, logFile) : undefined;
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      dynamoEndpoint: proxy.url,
      faults: { token },
      ...(unsafe ? { unsafe } : {}),
      telemetry: {
        logLevel: 'silent',
        ...(emfFile ? { metrics: 'emf' as const, emfFile, exportIntervalMs: 1_000 } : {}),
        ...(capture
          ? {
              tracerProvider: capture.tracerProvider(),
              logLevel: 'info' as const,
              logDestination: logs?.destination ?? capture.logDestination(),
            }
          : {}),
      },
    });
  } catch (error) {
    await logs?.close();
    await proxy.close();
    await dynamo.stop();
    throw error;
  }
  const readers: StoreReader[] = [];
  return {
    kind: 'embedded',
    url: () => stack.url,
    proxy,
    serviceFaults: createServiceFaultClient({ baseUrl: stack.url, token }),
    async openStore() {
      // Straight to DynamoDB, not through the proxy: the audit must not meet the faults.
      const reader = createStoreReader({ endpoint: dynamo.endpoint, tableName: stack.tableName, region: stack.region });
      readers.push(reader);
      return reader;
    },
    async close() {
      for (const reader of readers) reader.close();
      await stack.stop();
      await logs?.close();
      await proxy.close();
      await dynamo.stop();
    },
  };
}

export interface ProcessTargetOptions {
  /** The child's stdout and stderr go here. */
  logFile?: string;
  /** The child writes its metrics here as EMF (appended across restarts). */
  emfFile?: string;
  /** The run's trace capture: the child exports its spans to it (OTEL_* variables). */
  capture?: RunCapture;
}

export async function startProcessTarget({ logFile, emfFile, capture }: ProcessTargetOptions = {}): Promise<Target> {
  const token = randomBytes(24).toString('base64url');
  const dataDir = await mkdtemp(join(tmpdir(), 'coffee-chaos-'));
  let service: ServiceProcess;
  try {
    service = await startServiceProcess({
      dataDir,
      faultToken: token,
      // The experiment measures the service, not its rate limiter; keep the logs quiet.
      env: {
        COFFEE_RATE_LIMIT_RPS: '0',
        COFFEE_LOG_LEVEL: 'warn',
        ...(emfFile
          ? { COFFEE_METRICS_EXPORTER: 'emf', COFFEE_EMF_FILE: emfFile, COFFEE_METRICS_INTERVAL_MS: '1000' }
          : { COFFEE_METRICS_EXPORTER: 'none' }),
        ...capture?.serviceEnv(),
      },
      ...(logFile ? { logFile } : {}),
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  let dynamo: Awaited<ReturnType<typeof startEmbeddedDynamo>> | undefined;
  const readers: StoreReader[] = [];
  return {
    kind: 'process',
    url: () => service.url,
    process: service,
    serviceFaults: createServiceFaultClient({ baseUrl: service.url, token }),
    async openStore() {
      // The child's dynalite holds the LevelDB lock: stop it, then open the same files,
      // unrepaired, so the invariants see the indexes as the service left them.
      await service.stop();
      dynamo ??= await startEmbeddedDynamo({ dataDir: join(dataDir, 'dynamodb'), repair: false });
      const reader = createStoreReader({ endpoint: dynamo.endpoint, tableName: DEFAULT_TABLE_NAME });
      readers.push(reader);
      return reader;
    },
    async close() {
      for (const reader of readers) reader.close();
      await service.stop();
      await dynamo?.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RemoteTargetOptions {
  url: string;
  faultToken?: string;
  dynamoEndpoint?: string;
  tableName?: string;
  region?: string;
}

export function remoteTarget({
  url,
  faultToken,
  dynamoEndpoint,
  tableName = DEFAULT_TABLE_NAME,
  region,
}: RemoteTargetOptions): Target {
  const readers: StoreReader[] = [];
  return {
    kind: 'remote',
    url: () => url,
    ...(faultToken ? { serviceFaults: createServiceFaultClient({ baseUrl: url, token: faultToken }) } : {}),
    async openStore() {
      if (!dynamoEndpoint) return undefined;
      const reader = createStoreReader({ endpoint: dynamoEndpoint, tableName, ...(region ? { region } : {}) });
      readers.push(reader);
      return reader;
    },
    async close() {
      for (const reader of readers) reader.close();
    },
  };
}
