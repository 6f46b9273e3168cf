/**
 * Assembles the Coffee Cloud stacks into a CDK app and runs cdk-nag's AwsSolutions checks
 * on it. The entry point (`app.ts`) and the tests call the same function, so what the
 * tests assert is what `cdk deploy` deploys.
 */
import { Tags, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BackupCopyStack } from './backup-copy-stack.ts';
import type { InfraConfig } from './config.ts';
import { DataStack } from './data-stack.ts';
import { FaultInjectionStack } from './fault-injection-stack.ts';
import { ObservabilityStack } from './observability-stack.ts';
import { faultConfigBucketName, ServiceStack } from './service-stack.ts';

export interface CoffeeStacks {
  readonly data: DataStack;
  readonly service: ServiceStack;
  readonly observability: ObservabilityStack;
  /** Absent with `-c faultInjection=false`. */
  readonly faultInjection: FaultInjectionStack | undefined;
  /** Present with `-c backupCopyRegion=<region>`. */
  readonly backupCopy: BackupCopyStack | undefined;
}

export interface CoffeeAppOptions {
  readonly config: InfraConfig;
  /** The directory of the built Lambda bundle (see `buildLambdaAsset`). */
  readonly lambdaAssetDir: string;
}

/**
 * Adds the stacks to `app` and registers cdk-nag's AwsSolutions pack on it, so a finding
 * fails synthesis. Stacks are environment-agnostic (they deploy to the account and region
 * of the credentials `cdk deploy` runs with), except the backup-copy vault, which is
 * pinned to its region.
 */
export function addCoffeeStacks(app: App, { config, lambdaAssetDir }: CoffeeAppOptions): CoffeeStacks {
  const name = (suffix: string) => `${config.stackPrefix}${suffix}`;
  const description = (what: string) => `Coffee Cloud: ${what}`;

  // Named, not referenced: a region-pinned stack cannot export to an environment-agnostic one.
  const copyVaultName = `${config.tableName}-backups-copy`;
  let backupCopy: BackupCopyStack | undefined;
  if (config.backupCopyRegion) {
    backupCopy = new BackupCopyStack(app, name('BackupCopy'), {
      env: { region: config.backupCopyRegion },
      description: description(`backup copy vault in ${config.backupCopyRegion}`),
      vaultName: copyVaultName,
    });
  }
  const data = new DataStack(app, name('Data'), {
    description: description('orders table and its backups'),
    tableName: config.tableName,
    backupDailyRetentionDays: config.backupDailyRetentionDays,
    backupWeeklyRetentionDays: config.backupWeeklyRetentionDays,
    ...(config.backupCopyRegion ? { backupCopy: { region: config.backupCopyRegion, vaultName: copyVaultName } } : {}),
  });
  if (backupCopy) data.addStackDependency(backupCopy, 'the backup plan copies into the vault of the copy stack');

  const service = new ServiceStack(app, name('Service'), {
    description: description('order service (Lambda, HTTP API, Cognito)'),
    table: data.table,
    lambdaAssetDir,
    config,
  });
  const observability = new ObservabilityStack(app, name('Observability'), {
    description: description('dashboards, alarms and alarm topics'),
    config,
    api: service.api,
    apiStage: service.stage.stageName,
  });

  let faultInjection: FaultInjectionStack | undefined;
  if (config.faultInjection) {
    faultInjection = new FaultInjectionStack(app, name('FaultInjection'), {
      description: description('AWS FIS experiment templates for the Lambda fault actions'),
      function: service.function,
      configBucketName: faultConfigBucketName(config.stackPrefix),
      apiId: service.api.apiId,
      apiStage: service.stage.stageName,
      guardrailAlarmName: `${config.serviceName}-fis-guardrail-api-5xx-rate`,
      alarms: observability.stopConditionAlarms,
    });
    faultInjection.addStackDependency(service, 'the fault-configuration bucket lives in the service stack');
  }

  Tags.of(app).add('project', 'coffee-cloud');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { data, service, observability, faultInjection, backupCopy };
}
