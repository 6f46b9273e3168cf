/**
 * The data stack: the orders table, built from the service's own table schema so the
 * deployed keys and indexes cannot drift from what the store queries, and its backups.
 */
import { Aws, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { Indexes, KeyAttributes } from '../service/catalog/index.ts';

export interface DataStackProps extends StackProps {
  readonly tableName: string;
  readonly backupDailyRetentionDays: number;
  readonly backupWeeklyRetentionDays: number;
  /** Copy every recovery point to this vault (another region), when set. */
  readonly backupCopy?: { readonly region: string; readonly vaultName: string };
}

/** `ProjectionType` of the schema mapped to the CDK enum. */
const PROJECTIONS = {
  ALL: dynamodb.ProjectionType.ALL,
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
} as const;

export class DataStack extends Stack {
  readonly table: dynamodb.Table;
  readonly backupPlan: backup.BackupPlan;
  readonly backupVault: backup.BackupVault;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { tableName, backupDailyRetentionDays, backupWeeklyRetentionDays, backupCopy } = props;

    this.table = new dynamodb.Table(this, 'Table', {
      tableName,
      partitionKey: { name: KeyAttributes.Partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: KeyAttributes.Sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Orders are the business record: a stack deletion must never take them along.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of Object.values(Indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: PROJECTIONS[index.projection],
      });
    }

    this.backupVault = new backup.BackupVault(this, 'BackupVault', {
      backupVaultName: `${tableName}-backups`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const copyVault = backupCopy
      ? backup.BackupVault.fromBackupVaultArn(
          this,
          'CopyVault',
          `arn:${Aws.PARTITION}:backup:${backupCopy.region}:${Aws.ACCOUNT_ID}:backup-vault:${backupCopy.vaultName}`,
        )
      : undefined;
    // A copy keeps the retention of the recovery point it copies.
    const copyActions = (retentionDays: number): { copyActions?: backup.BackupPlanCopyActionProps[] } =>
      copyVault
        ? { copyActions: [{ destinationBackupVault: copyVault, deleteAfter: Duration.days(retentionDays) }] }
        : {};

    this.backupPlan = new backup.BackupPlan(this, 'BackupPlan', {
      backupPlanName: `${tableName}-backup-plan`,
      backupVault: this.backupVault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: events.Schedule.cron({ minute: '0', hour: '3' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(4),
          deleteAfter: Duration.days(backupDailyRetentionDays),
          ...copyActions(backupDailyRetentionDays),
        }),
        new backup.BackupPlanRule({
          ruleName: 'Weekly',
          scheduleExpression: events.Schedule.cron({ minute: '0', hour: '4', weekDay: 'SUN' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(4),
          deleteAfter: Duration.days(backupWeeklyRetentionDays),
          ...copyActions(backupWeeklyRetentionDays),
        }),
      ],
    });
    const selection = this.backupPlan.addSelection('Table', {
      resources: [backup.BackupResource.fromDynamoDbTable(this.table)],
      allowRestores: false,
    });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        'The AWS Backup selection role uses the policy AWS publishes for it: AWS Backup calls DynamoDB (CreateBackup, StartAwsBackupJob, DescribeTable, ...) and its own vault APIs on our behalf, the list changes with the service, and only backup.amazonaws.com can assume the role.',
    });
  }
}
