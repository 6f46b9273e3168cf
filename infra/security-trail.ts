/**
 * The CloudTrail trail and what watches it: management events of every region and the
 * data events of the orders table, with log file validation, encrypted with a customer key,
 * delivered to an S3 bucket that keeps them for `retentionDays` and to a CloudWatch Logs
 * group, where the metric filters of `dashboards/parts/security.ts` turn events into the
 * counts the security alarms watch.
 */
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SECURITY_NAMESPACE, securityMetricFilters } from '../dashboards/index.ts';

export interface SecurityTrailProps {
  readonly tableName: string;
  readonly functionName: string;
  /** How long the bucket keeps the log files. Default 365 days. */
  readonly retentionDays?: number;
  /** How long the log group keeps events for the metric filters and Logs Insights. Default 90 days. */
  readonly logRetention?: logs.RetentionDays;
}

export class SecurityTrail extends Construct {
  readonly trail: cloudtrail.Trail;
  readonly bucket: s3.Bucket;
  readonly logGroup: logs.LogGroup;
  readonly key: kms.Key;
  readonly metricFilters: logs.MetricFilter[];

  constructor(scope: Construct, id: string, props: SecurityTrailProps) {
    super(scope, id);
    const { tableName, functionName, retentionDays = 365, logRetention = logs.RetentionDays.THREE_MONTHS } = props;
    this.key = this.createKey();
    this.bucket = this.createBucket(retentionDays);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: logRetention,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.trail = new cloudtrail.Trail(this, 'Trail', {
      bucket: this.bucket,
      encryptionKey: this.key,
      enableFileValidation: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      sendToCloudWatchLogs: true,
      cloudWatchLogGroup: this.logGroup,
    });
    const tableArn = `arn:${Aws.PARTITION}:dynamodb:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${tableName}`;
    // Data events of one table need advanced selectors; with them, management events are selected there too.
    const cfnTrail = this.trail.node.defaultChild as cloudtrail.CfnTrail;
    // CloudTrail refuses basic and advanced selectors together: the L2's empty basic list goes.
    cfnTrail.addPropertyDeletionOverride('EventSelectors');
    cfnTrail.advancedEventSelectors = [
      { name: 'Management events', fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }] },
      {
        name: 'Data events of the orders table',
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] },
          { field: 'resources.ARN', equalTo: [tableArn] },
        ],
      },
    ];
    this.metricFilters = securityMetricFilters({ tableName, functionName }).map(
      (filter) =>
        new logs.MetricFilter(this, `Filter-${filter.id}`, {
          logGroup: this.logGroup,
          filterName: filter.metricName,
          filterPattern: logs.FilterPattern.literal(filter.pattern),
          metricNamespace: SECURITY_NAMESPACE,
          metricName: filter.metricName,
          metricValue: '1',
        }),
    );
  }

  /** One key for the log files and the log group: CloudTrail and CloudWatch Logs may use it, nobody else. */
  private createKey(): kms.Key {
    const key = new kms.Key(this, 'Key', {
      description: 'Encrypts the CloudTrail log files and the trail log group',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailEncryptsLogFiles',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${Aws.PARTITION}:cloudtrail:*:${Aws.ACCOUNT_ID}:trail/*`,
          },
        },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsTheLogGroup',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*`,
          },
        },
      }),
    );
    return key;
  }

  private createBucket(retentionDays: number): s3.Bucket {
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(retentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the server access logs of the CloudTrail bucket; logging its own access would need another bucket for that, and so on without end.',
    });
    return new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      lifecycleRules: [{ expiration: Duration.days(retentionDays), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
