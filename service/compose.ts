/**
 * Builds the running service from its configuration: the store (embedded, an endpoint or
 * AWS), keys, auth, cache, fault injection, and the app. Shared by `coffee serve`, the
 * local stack used by load tests and experiments, and the Lambda handler.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { createMenuCache } from './cache/menu-cache.ts';
import type { ServiceConfig } from './config/config.ts';
import { ConfigError } from './config/config.ts';
import { createDevIssuer, createJwksVerifier } from './auth/tokens.ts';
import { seedProducts } from './domain/menu-seed.ts';
import { createApp } from './http/app.ts';
import { type AppDeps, type AppEnv } from './http/context.ts';
import { createFaultInjector } from './http/faults.ts';
import { createRateLimiter } from './http/rate-limit.ts';
import { ensureTable } from './store/create-table.ts';
import { createDynamoClient } from './store/dynamo-client.ts';
import type { EmbeddedDynamo } from './store/embedded.ts';
import { createStore, type Store } from './store/store.ts';
import type { Telemetry } from './telemetry/types.ts';

export interface Service {
  app: Hono<AppEnv>;
  store: Store;
  deps: AppDeps;
  dynamoEndpoint?: string;
  /** Stops what the service started (the embedded store, sockets); not telemetry. */
  close(): Promise<void>;
}

interface Secrets {
  devSigningKey?: string;
  userIdKey?: string;
  faultToken?: string;
}

/** Keys of a data directory: created once, so tokens and user ids survive a restart. */
async function dataDirKeys(
  dataDir: string | undefined,
): Promise<Required<Pick<Secrets, 'devSigningKey' | 'userIdKey'>>> {
  const fresh = () => ({
    devSigningKey: randomBytes(32).toString('base64url'),
    userIdKey: randomBytes(32).toString('base64url'),
  });
  if (!dataDir) return fresh();
  const file = join(dataDir, 'keys.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ReturnType<typeof fresh>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new ConfigError(`${file} is not readable: ${(error as Error).message}`);
  }
  const keys = fresh();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

async function readSecret(arn: string, region: string): Promise<Secrets> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ region });
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    return JSON.parse(out.SecretString ?? '{}') as Secrets;
  } finally {
    client.destroy();
  }
}

export interface CreateServiceOptions {
  telemetry: Telemetry;
  unsafe?: AppDeps['unsafe'];
  /** Start dynalite for `store: 'embedded'` (imported lazily: never part of the Lambda bundle). */
  startEmbedded?: (dataDir?: string) => Promise<EmbeddedDynamo>;
}

export async function createService(
  config: ServiceConfig,
  { telemetry, unsafe, startEmbedded }: CreateServiceOptions,
): Promise<Service> {
  let embedded: EmbeddedDynamo | undefined;
  let endpoint = config.dynamoEndpoint;
  if (config.store === 'embedded') {
    if (!startEmbedded)
      throw new ConfigError(
        'The embedded store is not available here; set COFFEE_DYNAMODB_ENDPOINT or COFFEE_STORE=aws',
      );
    embedded = await startEmbedded(config.dataDir ? join(config.dataDir, 'dynamodb') : undefined);
    endpoint = embedded.endpoint;
  }
  try {
    const secrets = config.secretArn ? await readSecret(config.secretArn, config.region) : {};
    const keys =
      config.store === 'aws' ? { devSigningKey: undefined, userIdKey: undefined } : await dataDirKeys(config.dataDir);
    const client = createDynamoClient({ ...(endpoint ? { endpoint } : {}), region: config.region, ...config.sdk });
    telemetry.instrumentDynamo(client, config.tableName);
    const store = createStore({ client, tableName: config.tableName });
    if (config.store !== 'aws') {
      await ensureTable(client, config.tableName);
      // A fresh local store gets the menu; in AWS seeding is an explicit step (docs/deploy-aws.md).
      if ((await store.listProducts()).length === 0) {
        for (const product of seedProducts(new Date().toISOString())) await store.putProduct(product);
      }
    }
    const userIdKeyText = config.userIdKey ?? secrets.userIdKey ?? keys.userIdKey;
    if (!userIdKeyText)
      throw new ConfigError(
        'COFFEE_USER_ID_KEY (or userIdKey in the COFFEE_SECRET_ARN secret) is required with a real DynamoDB',
      );
    const devKeyText =
      config.auth.mode === 'dev' ? (config.auth.signingKey ?? secrets.devSigningKey ?? keys.devSigningKey) : undefined;
    if (config.auth.mode === 'dev' && !devKeyText)
      throw new ConfigError('COFFEE_DEV_SIGNING_KEY is required for COFFEE_AUTH_MODE=dev with a real DynamoDB');
    const devIssuer = devKeyText ? createDevIssuer({ key: Buffer.from(devKeyText, 'base64url') }) : undefined;
    const auth =
      config.auth.mode === 'jwks'
        ? createJwksVerifier({
            jwksUrl: config.auth.jwksUrl,
            issuer: config.auth.issuer,
            ...(config.auth.audience ? { audience: config.auth.audience } : {}),
          })
        : devIssuer!;
    const faultToken = config.faults ? config.faults.token || secrets.faultToken : undefined;
    if (config.faults && !faultToken)
      throw new ConfigError('Fault injection needs a control token (COFFEE_FAULT_TOKEN or faultToken in the secret)');
    const menu = createMenuCache({
      load: (scope) => (scope ? store.within(scope) : store).listProducts(),
      ttlMs: config.cacheTtlMs,
      onHit: () => telemetry.metrics.cacheHit('product'),
      onMiss: () => telemetry.metrics.cacheMiss('product'),
    });
    const deps: AppDeps = {
      store,
      menu,
      auth,
      telemetry,
      userIdKey: Buffer.from(userIdKeyText, 'base64url'),
      ...(devIssuer ? { devIssuer } : {}),
      ...(config.rateLimit ? { rateLimiter: createRateLimiter(config.rateLimit) } : {}),
      ...(faultToken ? { faults: createFaultInjector({ token: faultToken }) } : {}),
      ...(unsafe ? { unsafe } : {}),
    };
    const service: Service = {
      app: createApp(deps),
      store,
      deps,
      async close() {
        client.destroy();
        await embedded?.stop();
      },
    };
    if (endpoint) service.dynamoEndpoint = endpoint;
    return service;
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
