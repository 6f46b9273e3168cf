/**
 * CDK constructs for the AWS FIS Lambda fault actions:
 * - `FisLambdaExtension` wires a function for the actions (the AWS FIS extension layer,
 *   its environment, and read access to the fault-configuration prefix);
 * - `FisExperimentTemplates` creates the experiment templates of `templates.ts` with one
 *   least-privilege experiment role and CloudWatch-alarm stop conditions;
 * - `FisApiErrorRateAlarm` is the guardrail that sees what the injected faults do to
 *   clients (the service's own metrics cannot, see `FisStopConditions`).
 */
import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { AwsMetrics } from '../../dashboards/index.ts';
import { FIS_CONFIG_PREFIX, FIS_TEMPLATES, renderFisTemplate, type FisTemplateDefinition } from './templates.ts';

/**
 * Public SSM parameters holding the AWS FIS extension layer ARN of the deploy region, by
 * architecture. Resolved by CloudFormation at deploy time, so synthesis needs no lookup.
 */
export const FIS_EXTENSION_LAYER_PARAMETERS = {
  arm64: '/aws/service/fis/lambda-extension/AWS-FIS-extension-arm64/1.x.x',
  x86_64: '/aws/service/fis/lambda-extension/AWS-FIS-extension-x86_64/1.x.x',
} as const;

/** The runtime wrapper script the extension layer ships. */
export const FIS_EXEC_WRAPPER = '/opt/aws-fis/bootstrap';

/**
 * The cdk-nag finding id of a wildcard resource, computed the way cdk-nag names it
 * (references flattened to `<LogicalId.Attribute>`), so an acknowledgement names exactly
 * that resource and nothing broader. The resource must resolve inside `scope`'s stack.
 */
function wildcardResourceFinding(scope: Construct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}

/** `arn:aws:s3:::bucket/prefix/`: the form `AWS_FIS_CONFIGURATION_LOCATION` takes. */
export function fisConfigurationLocation(bucket: s3.IBucket, prefix = FIS_CONFIG_PREFIX): string {
  return `${bucket.bucketArn}/${prefix}`;
}

export interface FisLambdaExtensionProps {
  /** The function to make a FIS target (its architecture picks the layer). Its role gets the two read statements. */
  readonly function: lambda.Function;
  /**
   * The bucket FIS writes fault configurations to: one of this stack, or imported by name
   * (a cross-stack reference would change how cdk-nag names the wildcard grant).
   */
  readonly configBucket: s3.IBucket;
  /** Key prefix inside the bucket, ending in `/`. Default `FisConfigs/`. */
  readonly configPrefix?: string;
  /**
   * `AWS_FIS_POLL_MAX_WAIT_MILLISECONDS`: how long an invocation may wait for an
   * in-flight configuration poll. AWS recommends a non-zero value with
   * `preventExecution`; it adds latency to the invocations that wait. Default: not set.
   */
  readonly pollMaxWaitMs?: number;
}

/**
 * Makes a Lambda function a target of the `aws:lambda:*` FIS actions. The extension only
 * injects a fault while an experiment has written one, so a wired function behaves
 * normally otherwise (at the cost of the extension's poll, every 60 s by default).
 */
export class FisLambdaExtension extends Construct {
  readonly configurationLocation: string;

  constructor(scope: Construct, id: string, props: FisLambdaExtensionProps) {
    super(scope, id);
    const { function: fn, configBucket, configPrefix = FIS_CONFIG_PREFIX, pollMaxWaitMs } = props;
    if (!configPrefix.endsWith('/')) throw new Error(`configPrefix must end with "/", got "${configPrefix}"`);
    const parameter =
      fn.architecture.name === lambda.Architecture.ARM_64.name
        ? FIS_EXTENSION_LAYER_PARAMETERS.arm64
        : FIS_EXTENSION_LAYER_PARAMETERS.x86_64;
    const layerArn = ssm.StringParameter.valueForStringParameter(this, parameter);
    fn.addLayers(lambda.LayerVersion.fromLayerVersionArn(this, 'Layer', layerArn));

    this.configurationLocation = fisConfigurationLocation(configBucket, configPrefix);
    fn.addEnvironment('AWS_LAMBDA_EXEC_WRAPPER', FIS_EXEC_WRAPPER);
    fn.addEnvironment('AWS_FIS_CONFIGURATION_LOCATION', this.configurationLocation);
    if (pollMaxWaitMs !== undefined) fn.addEnvironment('AWS_FIS_POLL_MAX_WAIT_MILLISECONDS', String(pollMaxWaitMs));

    // The extension lists and reads the prefix with the function's own role.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'FisExtensionListConfigs',
        actions: ['s3:ListBucket'],
        resources: [configBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${configPrefix}*`] } },
      }),
    );
    const configObjects = `${configBucket.bucketArn}/${configPrefix}*`;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'FisExtensionReadConfigs',
        actions: ['s3:GetObject'],
        resources: [configObjects],
      }),
    );
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: wildcardResourceFinding(this, configObjects),
        reason: `The AWS FIS extension reads the fault configuration FIS wrote under ${configPrefix}; FIS picks the object key, so the grant is every object under that prefix of the dedicated fault-configuration bucket, read-only.`,
      });
    }
  }
}

export interface FisExperimentTemplatesProps {
  /** The target functions (each wired with `FisLambdaExtension`). */
  readonly functions: readonly lambda.IFunction[];
  /** The same bucket as the functions' `FisLambdaExtension` (of this stack, or imported by name). */
  readonly configBucket: s3.IBucket;
  /** Default `FisConfigs/`; must match the functions' `AWS_FIS_CONFIGURATION_LOCATION`. */
  readonly configPrefix?: string;
  /**
   * The stop-condition alarms (anything with an ARN: `IAlarm`, or `{ alarmArn: cfn.attrArn }`), by the
   * keys the templates name.
   */
  readonly alarms: Readonly<Record<string, { readonly alarmArn: string }>>;
  /** Default: the shipped `FIS_TEMPLATES`. */
  readonly templates?: readonly FisTemplateDefinition[];
}

/**
 * One `AWS::FIS::ExperimentTemplate` per definition, sharing one experiment role that can
 * only write and delete fault configurations under the prefix and read the target
 * functions. FIS watches the stop-condition alarms through its service-linked role, so
 * the experiment role needs no CloudWatch permission.
 */
export class FisExperimentTemplates extends Construct {
  readonly role: iam.Role;
  /** The templates by definition id. */
  readonly templates: Readonly<Record<string, fis.CfnExperimentTemplate>>;

  constructor(scope: Construct, id: string, props: FisExperimentTemplatesProps) {
    super(scope, id);
    const { functions, configBucket, configPrefix = FIS_CONFIG_PREFIX, alarms, templates = FIS_TEMPLATES } = props;
    if (functions.length === 0) throw new Error('FisExperimentTemplates needs at least one target function');
    const ids = templates.map((t) => t.id);
    if (new Set(ids).size !== ids.length) throw new Error(`duplicate FIS template id in ${ids.join(', ')}`);

    // Confused-deputy guard: only FIS experiments of this account may assume the role.
    this.role = new iam.Role(this, 'ExperimentRole', {
      description: 'AWS FIS experiment role for the Coffee Cloud Lambda fault actions',
      assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:fis:${Aws.REGION}:${Aws.ACCOUNT_ID}:experiment/*` },
        },
      }),
    });
    const configObjects = `${configBucket.bucketArn}/${configPrefix}*`;
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteFaultConfigurations',
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [configObjects],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTargetFunctions',
        actions: ['lambda:GetFunction'],
        resources: functions.map((fn) => fn.functionArn),
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ResolveTargets', actions: ['tag:GetResources'], resources: ['*'] }),
    );
    Validations.of(this.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'tag:GetResources has no resource-level permissions (it only accepts "*"); AWS FIS lists it as required by the aws:lambda:invocation-* actions, and it is read-only. Every other statement names its ARNs.',
      },
      {
        id: wildcardResourceFinding(this, configObjects),
        reason: `FIS writes one object per running experiment under ${configPrefix} with a key it chooses; the wildcard is confined to that prefix of the dedicated fault-configuration bucket.`,
      },
    );

    const alarmArns = Object.fromEntries(Object.entries(alarms).map(([key, alarm]) => [key, alarm.alarmArn]));
    const functionArns = functions.map((fn) => fn.functionArn);
    const created: Record<string, fis.CfnExperimentTemplate> = {};
    for (const template of templates) {
      const shape = renderFisTemplate(template, { roleArn: this.role.roleArn, functionArns, alarmArns });
      created[template.id] = new fis.CfnExperimentTemplate(this, template.id, shape);
    }
    this.templates = created;
  }
}

export interface FisApiErrorRateAlarmProps {
  /** The HTTP API and stage whose answers the alarm watches. */
  readonly apiId: string;
  /** Default `$default`. */
  readonly stage?: string;
  /** Alarm above this share of 5xx answers, in percent. Default 15. */
  readonly maxErrorRatePercent?: number;
  /** Minutes below this many requests count as 0% (a few requests are no signal). Default 20. */
  readonly minRequestsPerMinute?: number;
  readonly alarmName?: string;
}

/**
 * A guardrail for FIS experiments: the share of 5xx the HTTP API answers, per minute.
 * Faults the FIS extension injects before or instead of the handler never reach the
 * service's own metrics, so only the API (and Lambda) metrics can stop such an experiment.
 */
export class FisApiErrorRateAlarm extends Construct {
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FisApiErrorRateAlarmProps) {
    super(scope, id);
    const { apiId, stage = '$default', maxErrorRatePercent = 15, minRequestsPerMinute = 20, alarmName } = props;
    const period = Duration.minutes(1);
    const metric = (definition: typeof AwsMetrics.Api5xx | typeof AwsMetrics.ApiCount) =>
      new cloudwatch.Metric({
        namespace: definition.namespace,
        metricName: definition.name,
        dimensionsMap: { ApiId: apiId, Stage: stage },
        statistic: 'Sum',
        period,
      });
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      ...(alarmName ? { alarmName } : {}),
      alarmDescription: `FIS guardrail: more than ${maxErrorRatePercent}% of the API's answers are 5xx for 2 minutes (minutes under ${minRequestsPerMinute} requests count as 0%). Stops running FIS experiments; notifies nobody.`,
      metric: new cloudwatch.MathExpression({
        expression: `IF(requests >= ${minRequestsPerMinute}, 100 * errors / requests, 0)`,
        usingMetrics: { errors: metric(AwsMetrics.Api5xx), requests: metric(AwsMetrics.ApiCount) },
        label: 'API 5xx rate (%)',
        period,
      }),
      threshold: maxErrorRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      // No traffic means no experiment is hurting anyone.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
