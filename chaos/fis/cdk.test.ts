import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FIS_EXEC_WRAPPER,
  FIS_EXTENSION_LAYER_PARAMETERS,
  FisApiErrorRateAlarm,
  FisExperimentTemplates,
  FisLambdaExtension,
} from './cdk.ts';
import { FIS_TEMPLATES, FisStopConditions } from './templates.ts';

/** One stack with a wired function, its bucket, three alarms and the templates. */
function build() {
  const app = new App();
  const stack = new Stack(app, 'FisTest', { env: { account: '123456789012', region: 'eu-west-1' } });
  const role = new iam.Role(stack, 'FnRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const fn = new lambda.Function(stack, 'Fn', {
    code: lambda.Code.fromInline('export const handler = async () => ({ statusCode: 200 });'),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    role,
  });
  const bucket = new s3.Bucket(stack, 'Configs', {
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  });
  new FisLambdaExtension(stack, 'Extension', { function: fn, configBucket: bucket });
  const metric = new cloudwatch.Metric({ namespace: 'Test', metricName: 'Errors' });
  const alarms = Object.fromEntries(
    Object.values(FisStopConditions).map((key) => [
      key,
      new cloudwatch.Alarm(stack, `Alarm-${key}`, { metric, threshold: 1, evaluationPeriods: 1 }),
    ]),
  );
  const experiments = new FisExperimentTemplates(stack, 'Experiments', {
    functions: [fn],
    configBucket: bucket,
    alarms,
  });
  return { app, stack, fn, bucket, alarms, experiments, template: Template.fromStack(stack) };
}

describe('FIS constructs', () => {
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build();
  });

  it('wires the function with the arm64 extension layer (resolved from SSM at deploy) and its environment', () => {
    const { template, stack, bucket } = built;
    const parameters = template.findParameters('*', {
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: FIS_EXTENSION_LAYER_PARAMETERS.arm64,
    });
    const [parameterId] = Object.keys(parameters);
    expect(parameterId).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{ Ref: parameterId }],
      Environment: {
        Variables: {
          AWS_LAMBDA_EXEC_WRAPPER: FIS_EXEC_WRAPPER,
          AWS_FIS_CONFIGURATION_LOCATION: {
            'Fn::Join': [
              '',
              [{ 'Fn::GetAtt': [stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket), 'Arn'] }, '/FisConfigs/'],
            ],
          },
        },
      },
    });
  });

  it('gives the function read access to the configuration prefix only', () => {
    const { template, stack, bucket } = built;
    const bucketArn = { 'Fn::GetAtt': [stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket), 'Arn'] };
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^FnRole') }],
      PolicyDocument: {
        Statement: [
          {
            Sid: 'FisExtensionListConfigs',
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: bucketArn,
            Condition: { StringLike: { 's3:prefix': ['FisConfigs/*'] } },
          },
          {
            Sid: 'FisExtensionReadConfigs',
            Effect: 'Allow',
            Action: 's3:GetObject',
            Resource: { 'Fn::Join': ['', [bucketArn, '/FisConfigs/*']] },
          },
        ],
      },
    });
  });

  it('gives the experiment role exactly: write/delete under the prefix, read of the target function, tag lookups', () => {
    const { template, stack, bucket, fn, experiments } = built;
    const bucketArn = { 'Fn::GetAtt': [stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket), 'Arn'] };
    const roleId = stack.getLogicalId(experiments.role.node.defaultChild as iam.CfnRole);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'WriteFaultConfigurations',
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:DeleteObject'],
            Resource: { 'Fn::Join': ['', [bucketArn, '/FisConfigs/*']] },
          },
          {
            Sid: 'ReadTargetFunctions',
            Effect: 'Allow',
            Action: 'lambda:GetFunction',
            Resource: { 'Fn::GetAtt': [stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction), 'Arn'] },
          },
          { Sid: 'ResolveTargets', Effect: 'Allow', Action: 'tag:GetResources', Resource: '*' },
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'fis.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          },
        ],
      },
    });
    expect(template.findResources('AWS::IAM::Role', { Properties: { ManagedPolicyArns: Match.anyValue() } })).toEqual(
      {},
    );
  });

  it('creates one experiment template per definition, with the alarms as stop conditions', () => {
    const { template, stack, alarms, experiments } = built;
    template.resourceCountIs('AWS::FIS::ExperimentTemplate', FIS_TEMPLATES.length);
    for (const definition of FIS_TEMPLATES) {
      template.hasResourceProperties('AWS::FIS::ExperimentTemplate', {
        Description: definition.description,
        RoleArn: { 'Fn::GetAtt': [stack.getLogicalId(experiments.role.node.defaultChild as iam.CfnRole), 'Arn'] },
        StopConditions: definition.stopConditions.map((key) => ({
          Source: 'aws:cloudwatch:alarm',
          Value: { 'Fn::GetAtt': [stack.getLogicalId(alarms[key]?.node.defaultChild as cloudwatch.CfnAlarm), 'Arn'] },
        })),
        Targets: { Functions: { ResourceType: 'aws:lambda:function', SelectionMode: 'ALL' } },
        Tags: { Name: definition.id },
      });
    }
  });

  it('leaves no unacknowledged cdk-nag AwsSolutions finding on the FIS resources, and every acknowledgement has a reason', () => {
    const { app } = built;
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const fisFindings = report.violations
      .map((v) => ({
        rule: v.ruleName,
        paths: v.violatingResources
          .map((r) => r.constructPath)
          .filter((p) => /Experiments|Extension|FnRole/.test(p ?? '')),
      }))
      .filter((v) => v.paths.length > 0);
    expect(fisFindings).toEqual([]);
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.values(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const reason of acknowledged) expect(reason.length).toBeGreaterThan(60);
  });

  it('picks the x86_64 extension layer for an x86_64 function', () => {
    const app = new App();
    const stack = new Stack(app, 'X86');
    const fn = new lambda.Function(stack, 'Fn', {
      code: lambda.Code.fromInline('export const handler = async () => ({});'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.X86_64,
    });
    new FisLambdaExtension(stack, 'Extension', {
      function: fn,
      configBucket: s3.Bucket.fromBucketName(stack, 'B', 'configs'),
    });
    const parameters = Object.values(
      Template.fromStack(stack).findParameters('*', { Type: 'AWS::SSM::Parameter::Value<String>' }),
    );
    const layers = parameters
      .map((p) => (p as { Default: string }).Default)
      .filter((name) => name.startsWith('/aws/service/fis/'));
    expect(layers).toEqual([FIS_EXTENSION_LAYER_PARAMETERS.x86_64]);
  });

  it('guards experiments with the share of 5xx the HTTP API answers, ignoring near-idle minutes', () => {
    const app = new App();
    const stack = new Stack(app, 'Guardrail');
    new FisApiErrorRateAlarm(stack, 'Guardrail', {
      apiId: 'a1b2c3',
      maxErrorRatePercent: 12,
      minRequestsPerMinute: 30,
      alarmName: 'guardrail',
    });
    const metric = (name: string) => ({
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ApiGateway',
          MetricName: name,
          Dimensions: [
            { Name: 'ApiId', Value: 'a1b2c3' },
            { Name: 'Stage', Value: '$default' },
          ],
        },
        Period: 60,
        Stat: 'Sum',
      },
      ReturnData: false,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'guardrail',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 12,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests >= 30, 100 * errors / requests, 0)', ReturnData: true }),
        Match.objectLike({ Id: 'errors', ...metric('5xx') }),
        Match.objectLike({ Id: 'requests', ...metric('Count') }),
      ]),
    });
  });

  it('rejects a template whose stop-condition alarm is missing', () => {
    const app = new App();
    const stack = new Stack(app, 'Missing');
    const fn = lambda.Function.fromFunctionArn(stack, 'Fn', 'arn:aws:lambda:eu-west-1:123456789012:function:f');
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'configs');
    expect(() => new FisExperimentTemplates(stack, 'X', { functions: [fn], configBucket: bucket, alarms: {} })).toThrow(
      /no alarm for stop condition/,
    );
  });
});
