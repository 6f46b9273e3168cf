/**
 * The deploy-time configuration of the CDK app, read from CDK context (`cdk.json` or
 * `-c key=value`) once, by the entry point, into one typed object. Every value has a
 * default, so `npx cdk deploy --all` works with none; a bad value fails synthesis with a
 * message that names the key.
 */
import { DEFAULT_SERVICE_NAME } from '../service/catalog/index.ts';
import { DEFAULT_TABLE_NAME } from '../service/catalog/index.ts';

export interface InfraConfig {
  /** Prefix of every stack name, e.g. `Coffee` -> `CoffeeData`, `CoffeeService`. */
  readonly stackPrefix: string;
  readonly tableName: string;
  readonly functionName: string;
  /** `OTEL_SERVICE_NAME`, and the `Service` dimension of every custom metric. */
  readonly serviceName: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Retention of the function's and the API's log groups, in days. */
  readonly logRetentionDays: number;
  /** `COFFEE_LOG_LEVEL` of the service. */
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** API Gateway stage throttling: steady rate (requests/s) and burst. */
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  /** `OTEL_EXPORTER_OTLP_ENDPOINT` when traces go to a collector; none by default. */
  readonly otlpEndpoint: string | undefined;
  /** Retention of the daily and the weekly backups, in days. */
  readonly backupDailyRetentionDays: number;
  readonly backupWeeklyRetentionDays: number;
  /** Region that receives a copy of every backup (a vault is created there); none by default. */
  readonly backupCopyRegion: string | undefined;
  /** E-mail address subscribed to both alarm topics (page and ticket); none by default. */
  readonly alarmEmail: string | undefined;
  /** Wire the function for AWS FIS Lambda actions and create the experiment templates. */
  readonly faultInjection: boolean;
  /** Route `/_chaos/faults` (the service's token-protected fault control) through the API. */
  readonly faultControl: boolean;
  /** Cognito Plus feature plan (threat protection); Essentials otherwise. */
  readonly cognitoPlus: boolean;
}

export const DEFAULT_INFRA_CONFIG: InfraConfig = {
  stackPrefix: 'Coffee',
  tableName: DEFAULT_TABLE_NAME,
  functionName: `${DEFAULT_SERVICE_NAME}-api`,
  serviceName: DEFAULT_SERVICE_NAME,
  memoryMb: 512,
  timeoutSeconds: 10,
  logRetentionDays: 30,
  logLevel: 'info',
  throttleRateLimit: 200,
  throttleBurstLimit: 400,
  otlpEndpoint: undefined,
  backupDailyRetentionDays: 35,
  backupWeeklyRetentionDays: 90,
  backupCopyRegion: undefined,
  alarmEmail: undefined,
  faultInjection: true,
  faultControl: false,
  cognitoPlus: false,
};

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export class InfraConfigError extends Error {
  override readonly name = 'InfraConfigError';
}

type ContextReader = (key: string) => unknown;

/**
 * Parses CDK context into an `InfraConfig`. Context values given with `-c` arrive as
 * strings, values from `cdk.json` as JSON, so numbers and booleans accept both.
 *
 * @example parseInfraConfig((key) => app.node.tryGetContext(key))
 */
export function parseInfraConfig(read: ContextReader): InfraConfig {
  const d = DEFAULT_INFRA_CONFIG;
  const fail = (key: string, expected: string, value: unknown): never => {
    throw new InfraConfigError(`context "${key}" must be ${expected}, got ${JSON.stringify(value)}`);
  };
  const str = (key: keyof InfraConfig, pattern: RegExp, expected: string): string | undefined => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' || !pattern.test(value)) return fail(key, expected, value);
    return value;
  };
  const int = (key: keyof InfraConfig, fallback: number, min: number, max: number): number => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return fallback;
    const n =
      typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) return fail(key, `an integer in ${min}..${max}`, value);
    return n;
  };
  const bool = (key: keyof InfraConfig, fallback: boolean): boolean => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    return fail(key, 'true or false', value);
  };

  const logRetentionDays = int('logRetentionDays', d.logRetentionDays, 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays))
    fail('logRetentionDays', `one of ${LOG_RETENTION_DAYS.join(', ')}`, logRetentionDays);
  const backupDailyRetentionDays = int('backupDailyRetentionDays', d.backupDailyRetentionDays, 1, 36500);
  const backupWeeklyRetentionDays = int('backupWeeklyRetentionDays', d.backupWeeklyRetentionDays, 7, 36500);
  const throttleRateLimit = int('throttleRateLimit', d.throttleRateLimit, 1, 100_000);
  const throttleBurstLimit = int('throttleBurstLimit', d.throttleBurstLimit, 1, 100_000);
  if (throttleBurstLimit < throttleRateLimit)
    fail('throttleBurstLimit', `at least throttleRateLimit (${throttleRateLimit})`, throttleBurstLimit);

  return {
    stackPrefix:
      str('stackPrefix', /^[A-Za-z][A-Za-z0-9]{0,29}$/, 'letters and digits, starting with a letter (max 30)') ??
      d.stackPrefix,
    tableName: str('tableName', /^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name') ?? d.tableName,
    functionName: str('functionName', /^[A-Za-z0-9_-]{1,64}$/, 'a Lambda function name') ?? d.functionName,
    serviceName: str('serviceName', /^[A-Za-z0-9_.-]{1,64}$/, 'a service name') ?? d.serviceName,
    memoryMb: int('memoryMb', d.memoryMb, 128, 10_240),
    // API Gateway HTTP APIs wait 30 s at most for an integration.
    timeoutSeconds: int('timeoutSeconds', d.timeoutSeconds, 1, 29),
    logRetentionDays,
    logLevel:
      (str('logLevel', /^(debug|info|warn|error)$/, 'debug, info, warn or error') as
        InfraConfig['logLevel'] | undefined) ?? d.logLevel,
    throttleRateLimit,
    throttleBurstLimit,
    otlpEndpoint: str('otlpEndpoint', /^https?:\/\/\S+$/, 'an http(s) URL'),
    backupDailyRetentionDays,
    backupWeeklyRetentionDays,
    backupCopyRegion: str('backupCopyRegion', /^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as eu-central-1'),
    alarmEmail: str('alarmEmail', /^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'an e-mail address'),
    faultInjection: bool('faultInjection', d.faultInjection),
    faultControl: bool('faultControl', d.faultControl),
    cognitoPlus: bool('cognitoPlus', d.cognitoPlus),
  };
}
