/**
 * One SNS topic per alarm severity, encrypted with a customer-managed KMS key.
 *
 * Why not the AWS-managed `alias/aws/sns` key: CloudWatch alarms publish to the topic as
 * the `cloudwatch.amazonaws.com` service, and the AWS-managed key's policy cannot be
 * changed to let that service use it; the alarm actions would then fail silently.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { SEVERITIES, type Severity } from '../dashboards/index.ts';

export interface AlarmTopicsProps {
  /** Topic names are `<namePrefix>-<severity>`. */
  readonly namePrefix: string;
  /** Subscribed to every topic when set (the recipient confirms by e-mail). */
  readonly email?: string;
}

export class AlarmTopics extends Construct {
  readonly key: kms.Key;
  /** One topic per severity of the alarms catalog (page, ticket). */
  readonly topics: Readonly<Record<Severity, sns.Topic>>;

  constructor(scope: Construct, id: string, props: AlarmTopicsProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the Coffee Cloud alarm topics',
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch encrypts the messages it publishes for alarms of this account only.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.key.stack.account } },
      }),
    );
    const topic = (severity: Severity): sns.Topic => {
      const t = new sns.Topic(this, `${severity[0]?.toUpperCase()}${severity.slice(1)}Topic`, {
        topicName: `${props.namePrefix}-${severity}`,
        displayName: `Coffee Cloud ${severity} alarms`,
        masterKey: this.key,
        enforceSSL: true,
      });
      if (props.email) t.addSubscription(new subscriptions.EmailSubscription(props.email));
      return t;
    };
    this.topics = Object.fromEntries(SEVERITIES.map((severity) => [severity, topic(severity)])) as Record<
      Severity,
      sns.Topic
    >;
  }
}
