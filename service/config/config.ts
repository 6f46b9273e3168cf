/**
 * The service's configuration, parsed once from the environment by the entry points
 * (`coffee serve`, the Lambda handler). Nothing else reads `process.env`. A bad value
 * fails at start with a message naming the variable.
 */
import { DEFAULT_SERVICE_NAME } from '../catalog/metrics.ts';
import { DEFAULT_TABLE_NAME } from '../store/table-schema.ts';

export const MetricsExporters = ['none', 'emf', 'prometheus', 'otlp'] as const;
export type MetricsExporter = (typeof MetricsExporters)[number];
export const LogLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LogLevels)[number];

export interface TelemetryConfig {
  serviceName: string;
  /** OpenTelemetry tracing (OTLP/HTTP); configured further by the standard OTEL_* variables. */
  tracing: boolean;
  metrics: MetricsExporter;
  /** EMF destination: a file path, or stdout when absent. */
  emfFile?: string;
  /** How often aggregated metrics are exported (EMF, OTLP). */
  exportIntervalMs: number;
  /** Serve /metrics on this port as well as on the service port. */
  metricsPort?: number;
  logLevel: LogLevel;
  /** Level of the one access line per request. */
  accessLogLevel: LogLevel;
  /** Where log lines go: a file path, or stdout when absent. */
  logFile?: string;
}

export interface ServiceConfig {
  /** `embedded`: dynalite in this process; `endpoint`: a DynamoDB-compatible URL; `aws`: real DynamoDB. */
  store: 'embedded' | 'endpoint' | 'aws';
  dynamoEndpoint?: string;
  dataDir?: string;
  region: string;
  tableName: string;
  sdk: { maxAttempts: number; requestTimeoutMs: number; connectionTimeoutMs: number };
  auth: { mode: 'dev'; signingKey?: string } | { mode: 'jwks'; jwksUrl: string; issuer: string; audience?: string };
  /** Key for deriving user ids from e-mail addresses; generated per data directory when absent. */
  userIdKey?: string;
  rateLimit: { rps: number; burst: number } | false;
  cacheTtlMs: number;
  faults: { token: string } | false;
  /** A Secrets Manager secret (JSON) with `devSigningKey`, `userIdKey`, `faultToken`. */
  secretArn?: string;
  telemetry: TelemetryConfig;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw))
    throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

function flag(env: Env, name: string): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function url(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  try {
    return new URL(raw).toString().replace(/\/$/, '');
  } catch {
    throw new ConfigError(`${name} must be a URL, got "${raw}"`);
  }
}

export interface ConfigDefaults {
  /**
   * The store when neither COFFEE_STORE nor COFFEE_DYNAMODB_ENDPOINT says: `embedded` for `coffee
   * serve`, `aws` in Lambda.
   */
  store: ServiceConfig['store'];
  metrics: MetricsExporter;
  dataDir?: string;
}

/** Reads the configuration from `env`; throws `ConfigError` naming the variable on a bad value. */
export function loadConfig(env: Env, defaults: ConfigDefaults): ServiceConfig {
  const dynamoEndpoint = url(env, 'COFFEE_DYNAMODB_ENDPOINT');
  const store = oneOf(
    env,
    'COFFEE_STORE',
    ['embedded', 'endpoint', 'aws'] as const,
    dynamoEndpoint ? 'endpoint' : defaults.store,
  );
  if (store === 'endpoint' && !dynamoEndpoint)
    throw new ConfigError('COFFEE_STORE=endpoint needs COFFEE_DYNAMODB_ENDPOINT');
  const mode = oneOf(env, 'COFFEE_AUTH_MODE', ['dev', 'jwks'] as const, store === 'aws' ? 'jwks' : 'dev');
  let auth: ServiceConfig['auth'];
  if (mode === 'jwks') {
    const jwksUrl = url(env, 'COFFEE_JWKS_URL');
    const issuer = env.COFFEE_JWT_ISSUER;
    if (!jwksUrl || !issuer) {
      throw new ConfigError(
        'COFFEE_AUTH_MODE=jwks needs COFFEE_JWKS_URL and COFFEE_JWT_ISSUER (or set COFFEE_AUTH_MODE=dev for local tokens)',
      );
    }
    auth = { mode, jwksUrl, issuer, ...(env.COFFEE_JWT_AUDIENCE ? { audience: env.COFFEE_JWT_AUDIENCE } : {}) };
  } else {
    auth = { mode, ...(env.COFFEE_DEV_SIGNING_KEY ? { signingKey: env.COFFEE_DEV_SIGNING_KEY } : {}) };
  }
  if (auth.mode === 'dev' && auth.signingKey !== undefined && Buffer.from(auth.signingKey, 'base64url').length < 32) {
    throw new ConfigError('COFFEE_DEV_SIGNING_KEY must be at least 32 bytes, base64url-encoded');
  }
  const rps = int(env, 'COFFEE_RATE_LIMIT_RPS', 50, 0, 1_000_000);
  const faultsOn = flag(env, 'COFFEE_FAULTS');
  if (faultsOn && !env.COFFEE_FAULT_TOKEN && !env.COFFEE_SECRET_ARN) {
    throw new ConfigError(
      'COFFEE_FAULTS=true needs COFFEE_FAULT_TOKEN (the bearer token of the fault-control endpoint)',
    );
  }
  const metricsPort = env.COFFEE_METRICS_PORT ? int(env, 'COFFEE_METRICS_PORT', 0, 0, 65535) : undefined;
  const otlpConfigured = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const tracesExporter = env.OTEL_TRACES_EXPORTER;
  const dataDir = env.COFFEE_DATA_DIR || defaults.dataDir;
  const config: ServiceConfig = {
    store,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    tableName: env.COFFEE_TABLE_NAME || DEFAULT_TABLE_NAME,
    sdk: {
      maxAttempts: int(env, 'COFFEE_DYNAMODB_MAX_ATTEMPTS', 3, 1, 10),
      requestTimeoutMs: int(env, 'COFFEE_DYNAMODB_TIMEOUT_MS', 2_000, 50, 60_000),
      connectionTimeoutMs: int(env, 'COFFEE_DYNAMODB_CONNECT_TIMEOUT_MS', 1_000, 50, 60_000),
    },
    auth,
    rateLimit: rps === 0 ? false : { rps, burst: int(env, 'COFFEE_RATE_LIMIT_BURST', rps * 2, 1, 1_000_000) },
    cacheTtlMs: int(env, 'COFFEE_CACHE_TTL_MS', 30_000, 0, 3_600_000),
    faults: faultsOn ? { token: env.COFFEE_FAULT_TOKEN ?? '' } : false,
    telemetry: {
      serviceName: env.OTEL_SERVICE_NAME || DEFAULT_SERVICE_NAME,
      tracing:
        !flag(env, 'OTEL_SDK_DISABLED') &&
        tracesExporter !== 'none' &&
        (otlpConfigured || tracesExporter === 'otlp' || flag(env, 'COFFEE_TRACING')),
      metrics: oneOf(env, 'COFFEE_METRICS_EXPORTER', MetricsExporters, defaults.metrics),
      exportIntervalMs: int(env, 'COFFEE_METRICS_INTERVAL_MS', 60_000, 100, 3_600_000),
      logLevel: oneOf(env, 'COFFEE_LOG_LEVEL', LogLevels, 'info'),
      accessLogLevel: oneOf(env, 'COFFEE_ACCESS_LOG_LEVEL', LogLevels, 'info'),
      ...(env.COFFEE_EMF_FILE ? { emfFile: env.COFFEE_EMF_FILE } : {}),
      ...(env.COFFEE_LOG_FILE ? { logFile: env.COFFEE_LOG_FILE } : {}),
      ...(metricsPort !== undefined ? { metricsPort } : {}),
    },
  };
  if (dynamoEndpoint) config.dynamoEndpoint = dynamoEndpoint;
  if (dataDir) config.dataDir = dataDir;
  if (env.COFFEE_USER_ID_KEY) config.userIdKey = env.COFFEE_USER_ID_KEY;
  if (env.COFFEE_SECRET_ARN) config.secretArn = env.COFFEE_SECRET_ARN;
  return config;
}
