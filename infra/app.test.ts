/**
 * Synthesizes the whole app once, offline (no credentials, no network, no context
 * lookups), with the real Lambda bundle and cdk-nag registered, and asserts on the
 * templates a security reviewer would read.
 */
import { readFileSync } from 'node:fs';
import { App, Validations, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAlarmDefinitions } from '../alarms/index.ts';
import { FIS_TEMPLATES, FisStopConditions } from '../chaos/index.ts';
import { buildCloudWatchDashboards } from '../dashboards/index.ts';
import { ROUTES, type RouteKey } from '../service/catalog/index.ts';
import { DYNAMODB_ACCESS, Indexes, KeyAttributes } from '../service/catalog/index.ts';
import { addCoffeeStacks, type CoffeeStacks } from './coffee-app.ts';
import { estimateMonthlyFixedCost } from './cost.ts';
import { DEFAULT_INFRA_CONFIG, type InfraConfig } from './config.ts';
import { buildLambdaAsset, type LambdaAsset } from './lambda-asset.ts';
import { monitoringOptions, STOP_CONDITION_ALARM_IDS } from './observability-stack.ts';
import { apiGatewayPath, FAULT_CONTROL_PATH, PUBLIC_ROUTES, UNEXPOSED_ROUTES } from './service-stack.ts';

const config: InfraConfig = { ...DEFAULT_INFRA_CONFIG, alarmEmail: 'oncall@example.com' };
/** The context `cdk synth` runs with (feature flags included), so the test synthesizes the same templates. */
const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

let asset: LambdaAsset;
let app: App;
let stacks: CoffeeStacks;
let assembly: CloudAssembly;
let nagViolations: { rule: string; paths: (string | undefined)[] }[];
const templates = {} as Record<'data' | 'service' | 'observability' | 'faultInjection', Template>;

beforeAll(async () => {
  asset = await buildLambdaAsset();
  app = new App({ context: cdkJson.context });
  stacks = addCoffeeStacks(app, { config, lambdaAssetDir: asset.dir });
  nagViolations = new AwsSolutionsChecks(app)
    .validateScope(app)
    .violations.map((v) => ({ rule: v.ruleName, paths: v.violatingResources.map((r) => r.constructPath) }));
  assembly = app.synth();
  templates.data = Template.fromStack(stacks.data);
  templates.service = Template.fromStack(stacks.service);
  templates.observability = Template.fromStack(stacks.observability);
  if (stacks.faultInjection) templates.faultInjection = Template.fromStack(stacks.faultInjection);
});

afterAll(async () => {
  await asset?.dispose();
});

/** The single resource of a type in a template, with its logical id. */
function only(
  template: Template,
  type: string,
): { id: string; resource: { Properties: Record<string, unknown> } & Record<string, unknown> } {
  const found = Object.entries(template.findResources(type));
  expect(found, `exactly one ${type}`).toHaveLength(1);
  const [id, resource] = found[0] as [string, { Properties: Record<string, unknown> }];
  return { id, resource };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** A weak cross-stack reference (the recommended `@aws-cdk/core:defaultCrossStackReferences`). */
const outputOf = (stackName: string, pattern: string) => ({
  'Fn::GetStackOutput': {
    StackName: stackName,
    Region: { Ref: 'AWS::Region' },
    OutputName: expect.stringMatching(new RegExp(pattern)),
  },
});

describe('the app', () => {
  it('synthesizes offline: no context lookups, no missing values', () => {
    expect(assembly.manifest.missing ?? []).toEqual([]);
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(
      ['CoffeeData', 'CoffeeFaultInjection', 'CoffeeObservability', 'CoffeeService'].sort(),
    );
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(nagViolations).toEqual([]);
  });

  it('gives every acknowledgement a specific reason', () => {
    const acknowledgements = app.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .map((m) => ({ path: c.node.path, data: m.data as Record<string, string> })),
      )
      .flatMap(({ path, data }) => Object.entries(data).map(([rule, reason]) => ({ path, rule, reason })));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { path, rule, reason } of acknowledgements) {
      expect(reason.length, `${rule} on ${path}`).toBeGreaterThan(80);
      // An acknowledgement names one finding; a bare IAM5 would hide future wildcards.
      expect(rule, `${rule} on ${path}`).not.toMatch(/IAM5$/);
    }
  });
});

describe('data stack', () => {
  it('creates the table with the service schema: keys, GSIs and their projection, on-demand, PITR, deletion protection', () => {
    const { resource } = only(templates.data, 'AWS::DynamoDB::Table');
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.Properties).toMatchObject({
      TableName: config.tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: KeyAttributes.Partition, KeyType: 'HASH' },
        { AttributeName: KeyAttributes.Sort, KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    const gsis = resource.Properties.GlobalSecondaryIndexes as { IndexName: string }[];
    expect(gsis).toEqual(
      Object.values(Indexes).map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: index.projection },
      })),
    );
  });

  it('backs the table up daily and weekly with retention, into a retained vault', () => {
    const { resource } = only(templates.data, 'AWS::Backup::BackupPlan');
    const rules = (resource.Properties.BackupPlan as { BackupPlanRule: Record<string, unknown>[] }).BackupPlanRule;
    expect(rules).toEqual([
      expect.objectContaining({
        RuleName: 'Daily',
        ScheduleExpression: 'cron(0 3 * * ? *)',
        Lifecycle: { DeleteAfterDays: config.backupDailyRetentionDays },
      }),
      expect.objectContaining({
        RuleName: 'Weekly',
        ScheduleExpression: 'cron(0 4 ? * SUN *)',
        Lifecycle: { DeleteAfterDays: config.backupWeeklyRetentionDays },
      }),
    ]);
    for (const rule of rules) expect(rule).not.toHaveProperty('CopyActions');
    expect(only(templates.data, 'AWS::Backup::BackupVault').resource.DeletionPolicy).toBe('Retain');
    const table = logicalId(stacks.data, stacks.data.table);
    templates.data.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: { Resources: [{ 'Fn::GetAtt': [table, 'Arn'] }] },
    });
  });
});

describe('service stack', () => {
  it('runs the bundle on arm64 Node.js 24 with the configured memory, timeout, JSON logs and environment', () => {
    const { resource } = only(templates.service, 'AWS::Lambda::Function');
    const service = stacks.service;
    const props = resource.Properties;
    expect(props).toMatchObject({
      FunctionName: config.functionName,
      Architectures: ['arm64'],
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      MemorySize: config.memoryMb,
      Timeout: config.timeoutSeconds,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalId(service, service.functionLogGroup) } },
      Role: { 'Fn::GetAtt': [logicalId(service, service.functionRole), 'Arn'] },
    });
    const issuerParts = [
      'https://cognito-idp.',
      { Ref: 'AWS::Region' },
      '.amazonaws.com/',
      { Ref: logicalId(service, service.userPool) },
    ];
    const issuer = { 'Fn::Join': ['', issuerParts] };
    const variables = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toEqual({
      COFFEE_TABLE_NAME: outputOf('CoffeeData', '^PublishOutputRefTable'),
      COFFEE_AUTH_MODE: 'jwks',
      COFFEE_JWT_ISSUER: issuer,
      COFFEE_JWT_AUDIENCE: { Ref: logicalId(service, service.userPoolClient) },
      COFFEE_JWKS_URL: { 'Fn::Join': ['', [...issuerParts, '/.well-known/jwks.json']] },
      COFFEE_METRICS_EXPORTER: 'emf',
      COFFEE_SECRET_ARN: { Ref: logicalId(service, service.secret) },
      COFFEE_LOG_LEVEL: config.logLevel,
      OTEL_SERVICE_NAME: config.serviceName,
      NODE_OPTIONS: '--enable-source-maps',
      AWS_LAMBDA_EXEC_WRAPPER: '/opt/aws-fis/bootstrap',
      AWS_FIS_CONFIGURATION_LOCATION: expect.objectContaining({ 'Fn::Join': expect.any(Array) }),
    });
  });

  it('gives the function its own role with exactly the statements it needs', () => {
    const service = stacks.service;
    const roleId = logicalId(service, service.functionRole);
    const policies = Object.values(
      templates.service.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
    );
    expect(policies).toHaveLength(1);
    const bucketArn = { 'Fn::GetAtt': [logicalId(service, service.faultConfigBucket as never), 'Arn'] };
    const tableArn = outputOf('CoffeeData', '^PublishOutputFnGetAttTable[0-9A-F]+Arn');
    expect((policies[0] as { Properties: { PolicyDocument: unknown } }).Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'WriteOwnLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logicalId(service, service.functionLogGroup), 'Arn'] },
        },
        { Sid: 'OrdersTable', Effect: 'Allow', Action: [...DYNAMODB_ACCESS.table].sort(), Resource: tableArn },
        {
          Sid: 'OrdersTableIndexes',
          Effect: 'Allow',
          Action:
            DYNAMODB_ACCESS.indexes.length === 1 ? DYNAMODB_ACCESS.indexes[0] : [...DYNAMODB_ACCESS.indexes].sort(),
          Resource: Object.values(Indexes)
            .map((index) => index.name)
            .sort()
            .map((name) => ({ 'Fn::Join': ['', [tableArn, `/index/${name}`]] })),
        },
        {
          Sid: 'ReadServiceSecret',
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: { Ref: logicalId(service, service.secret) },
        },
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
    });
    const role = templates.service.findResources('AWS::IAM::Role')[roleId] as { Properties: Record<string, unknown> };
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
    });
  });

  it('has one role per function and no managed policy on any role', () => {
    for (const template of Object.values(templates)) {
      const roles = Object.values(template.findResources('AWS::Lambda::Function')).map((f) =>
        JSON.stringify((f as { Properties: { Role: unknown } }).Properties.Role),
      );
      expect(new Set(roles).size).toBe(roles.length);
    }
    expect(
      templates.service.findResources('AWS::IAM::Role', { Properties: { ManagedPolicyArns: Match.anyValue() } }),
    ).toEqual({});
  });

  it('keeps logs for the configured retention', () => {
    const groups = Object.values(templates.service.findResources('AWS::Logs::LogGroup')) as {
      Properties: { RetentionInDays?: number };
    }[];
    expect(groups).toHaveLength(2);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(config.logRetentionDays);
  });

  it('routes every exposed service route, with the JWT authorizer on all but the public reads', () => {
    const service = stacks.service;
    const routes = Object.values(templates.service.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => (r as { Properties: { RouteKey: string; AuthorizationType: string } }).Properties,
    );
    const expected = (Object.keys(ROUTES) as RouteKey[])
      .filter((key) => !UNEXPOSED_ROUTES.includes(key))
      .map((key) => {
        const [method, template] = key.split(' ') as [string, string];
        return {
          RouteKey: `${method} ${apiGatewayPath(template)}`,
          AuthorizationType: PUBLIC_ROUTES.includes(key) ? 'NONE' : 'JWT',
        };
      });
    expect(
      routes
        .map((r) => ({ RouteKey: r.RouteKey, AuthorizationType: r.AuthorizationType }))
        .sort((a, b) => a.RouteKey.localeCompare(b.RouteKey)),
    ).toEqual(expected.sort((a, b) => a.RouteKey.localeCompare(b.RouteKey)));
    expect(routes.map((r) => r.RouteKey)).not.toContain('GET /metrics');
    templates.service.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: logicalId(service, service.userPoolClient) }],
        Issuer: {
          'Fn::Join': [
            '',
            [
              'https://cognito-idp.',
              { Ref: 'AWS::Region' },
              '.amazonaws.com/',
              { Ref: logicalId(service, service.userPool) },
            ],
          ],
        },
      },
    });
  });

  it('throttles the stage and writes JSON access logs', () => {
    const { resource } = only(templates.service, 'AWS::ApiGatewayV2::Stage');
    expect(resource.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingBurstLimit: config.throttleBurstLimit,
        ThrottlingRateLimit: config.throttleRateLimit,
      },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [expect.stringMatching(/^ApiAccessLogs/), 'Arn'] } },
    });
    const format = JSON.parse((resource.Properties.AccessLogSettings as { Format: string }).Format) as Record<
      string,
      string
    >;
    expect(format.requestId).toBe('$context.requestId');
    expect(JSON.stringify(format)).not.toContain('email');
  });

  it('keeps users in a Cognito pool with a strong password policy and a barista group', () => {
    const { resource } = only(templates.service, 'AWS::Cognito::UserPool');
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.Properties).toMatchObject({
      DeletionProtection: 'ACTIVE',
      MfaConfiguration: 'OPTIONAL',
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
    });
    templates.service.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'barista' });
  });

  it('generates the service secret (userIdKey, and the fault token copied in by a dynamic reference, not in the template)', () => {
    const service = stacks.service;
    templates.service.resourceCountIs('AWS::SecretsManager::Secret', 2);
    templates.service.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        GenerateStringKey: 'userIdKey',
        PasswordLength: 48,
        ExcludePunctuation: true,
        SecretStringTemplate: {
          'Fn::Join': [
            '',
            ['{"faultToken":"{{resolve:secretsmanager:', { Ref: logicalId(service, service.faultTokenSecret) }, '}}"}'],
          ],
        },
      },
    });
    templates.service.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
    });
    expect(JSON.stringify(templates.service.toJSON())).not.toMatch(/"SecretString"/);
  });
});

describe('observability stack', () => {
  it('has a page and a ticket topic, encrypted with a rotating key that CloudWatch may use, each mailing the on-call address', () => {
    const topics = Object.values(templates.observability.findResources('AWS::SNS::Topic')) as {
      Properties: Record<string, unknown>;
    }[];
    expect(topics.map((t) => t.Properties.TopicName).sort()).toEqual([
      `${config.serviceName}-page`,
      `${config.serviceName}-ticket`,
    ]);
    // Two keys: the topics' and the trail's; the topics name theirs.
    const topicKeyId = ((topics[0]!.Properties.KmsMasterKeyId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'] ?? [])[0]!;
    const key = {
      id: topicKeyId,
      resource: templates.observability.findResources('AWS::KMS::Key')[topicKeyId] as {
        Properties: Record<string, unknown>;
      },
    };
    expect(key.resource.Properties.EnableKeyRotation).toBe(true);
    for (const topic of topics) expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key.id, 'Arn'] });
    const statements = (key.resource.Properties.KeyPolicy as { Statement: { Principal?: unknown; Action: unknown }[] })
      .Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
    const subscriptions = Object.values(templates.observability.findResources('AWS::SNS::Subscription')) as {
      Properties: Record<string, unknown>;
    }[];
    expect(subscriptions).toHaveLength(2);
    for (const s of subscriptions)
      expect(s.Properties).toMatchObject({ Protocol: 'email', Endpoint: config.alarmEmail });
  });
});

/**
 * Turns a synthesized value into a plain string, replacing the intrinsics CloudFormation
 * resolves at deploy time with fixed stand-ins, so it can be compared with a build output
 * made with the same stand-ins.
 */
function deployedString(value: unknown, standIns: { region: string; account: string; apiId: string }): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => deployedString(part, standIns)).join(separator);
  }
  if (v.Ref === 'AWS::Region') return standIns.region;
  if (v.Ref === 'AWS::AccountId') return standIns.account;
  const output = v['Fn::GetStackOutput'] as { StackName: string; OutputName: string } | undefined;
  if (output?.StackName === 'CoffeeService' && /^PublishOutputRefApi/.test(output.OutputName)) return standIns.apiId;
  throw new Error(`unexpected intrinsic in a dashboard body: ${JSON.stringify(value)}`);
}

describe('observability stack: CloudTrail and the security alarms', () => {
  it("records management events and the table's data events, validated, encrypted, kept in S3 and CloudWatch Logs", () => {
    const { resource } = only(templates.observability, 'AWS::CloudTrail::Trail');
    const trail = resource.Properties as Record<string, unknown>;
    expect(trail).toMatchObject({
      EnableLogFileValidation: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      IsLogging: true,
    });
    expect(trail.KMSKeyId).toBeDefined();
    expect(trail.CloudWatchLogsLogGroupArn).toBeDefined();
    expect(trail.EventSelectors).toBeUndefined();
    const selectors = trail.AdvancedEventSelectors as { FieldSelectors: { Field: string; Equals: unknown[] }[] }[];
    expect(selectors.map((s) => s.FieldSelectors.find((f) => f.Field === 'eventCategory')?.Equals)).toEqual([
      ['Management'],
      ['Data'],
    ]);
    const data = selectors[1]!.FieldSelectors;
    expect(data).toContainEqual({ Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] });
    expect(JSON.stringify(data.find((f) => f.Field === 'resources.ARN'))).toContain(`:table/${config.tableName}`);
    // The bucket: KMS-encrypted, versioned, access-logged, expiring after the retention.
    const buckets = Object.values(templates.observability.findResources('AWS::S3::Bucket')) as {
      Properties: Record<string, unknown>;
    }[];
    const logBucket = buckets.find((b) => JSON.stringify(b.Properties.BucketEncryption).includes('aws:kms'))!;
    expect(logBucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: expect.anything(),
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 365, Status: 'Enabled' })] },
    });
    templates.observability.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 90,
      KmsKeyId: Match.anyValue(),
    });
  });

  it('turns each security event into a metric a security alarm watches, with a severity and a topic', () => {
    const filters = Object.values(templates.observability.findResources('AWS::Logs::MetricFilter')) as {
      Properties: { FilterPattern: string; MetricTransformations: { MetricNamespace: string; MetricName: string }[] };
    }[];
    const names = filters.map((f) => f.Properties.MetricTransformations[0]!.MetricName).sort();
    expect(names).toEqual(
      [
        'BackupDeleted',
        'ConsoleSignInFailures',
        'PointInTimeRecoveryDisabled',
        'RootAccountUsed',
        'ServiceRoleChanged',
        'TableAccessDenied',
        'TableDeleted',
      ].sort(),
    );
    for (const f of filters)
      expect(f.Properties.MetricTransformations[0]!.MetricNamespace).toBe('CoffeeCloud/Security');
    const pattern = (name: string) =>
      filters.find((f) => f.Properties.MetricTransformations[0]!.MetricName === name)!.Properties.FilterPattern;
    expect(pattern('TableDeleted')).toContain(`$.requestParameters.tableName = "${config.tableName}"`);
    expect(pattern('PointInTimeRecoveryDisabled')).toContain('pointInTimeRecoveryEnabled IS FALSE');
    expect(pattern('ServiceRoleChanged')).toContain(`$.requestParameters.roleName = "${config.functionName}-role*"`);
    const alarms = Object.values(templates.observability.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: { Namespace?: string; MetricName?: string; AlarmActions?: unknown[] };
    }[];
    const security = alarms.filter((a) => a.Properties.Namespace === 'CoffeeCloud/Security');
    expect(security.map((a) => a.Properties.MetricName).sort()).toEqual(names);
    for (const a of security) expect(a.Properties.AlarmActions).toHaveLength(1);
    // The service role carries the name the filter matches.
    templates.service.hasResourceProperties('AWS::IAM::Role', {
      RoleName: { 'Fn::Join': ['', [`${config.functionName}-role-`, { Ref: 'AWS::Region' }]] },
    });
  });
});

describe('observability stack: dashboards and alarms', () => {
  it('deploys dashboards whose bodies equal the `coffee dashboards build` output for the same options', () => {
    const standIns = { region: 'eu-west-1', account: '123456789012', apiId: 'a1b2c3d4e5' };
    const expected = buildCloudWatchDashboards({
      ...monitoringOptions(config, standIns.apiId, '$default'),
      region: standIns.region,
      accountId: standIns.account,
    });
    const deployed = Object.values(templates.observability.findResources('AWS::CloudWatch::Dashboard')).map((r) => {
      const props = (r as { Properties: { DashboardName: string; DashboardBody: unknown } }).Properties;
      return { name: props.DashboardName, body: JSON.parse(deployedString(props.DashboardBody, standIns)) as unknown };
    });
    expect(deployed.map((d) => d.name).sort()).toEqual(expected.map((d) => d.name).sort());
    for (const { name, body } of expected) {
      expect(deployed.find((d) => d.name === name)?.body, name).toEqual(body);
    }
  });

  it('deploys every alarm of the catalog, notifying the topic of its severity', () => {
    const definitions = buildAlarmDefinitions(monitoringOptions(config, 'api', '$default')).alarms;
    const resources = [
      ...Object.values(templates.observability.findResources('AWS::CloudWatch::Alarm')),
      ...Object.values(templates.observability.findResources('AWS::CloudWatch::CompositeAlarm')),
    ].map(
      (r) => (r as { Properties: { AlarmName: string; AlarmActions?: unknown[]; OKActions?: unknown[] } }).Properties,
    );
    expect(resources.map((r) => r.AlarmName).sort()).toEqual(definitions.map((d) => d.name).sort());
    const topic = (severity: 'page' | 'ticket') => ({
      Ref: logicalId(stacks.observability, stacks.observability.topics.topics[severity]),
    });
    for (const definition of definitions) {
      const resource = resources.find((r) => r.AlarmName === definition.name);
      if (definition.severity) {
        expect(resource?.AlarmActions, definition.name).toEqual([topic(definition.severity)]);
        expect(resource?.OKActions, definition.name).toEqual([topic(definition.severity)]);
      } else {
        expect(resource?.AlarmActions, definition.name).toBeUndefined();
      }
    }
    expect(definitions.filter((d) => d.severity === 'page').length).toBeGreaterThan(0);
  });
});

describe('cost estimate', () => {
  it('counts the dashboards and alarm metrics the stacks actually deploy', () => {
    const billedMetrics = (template: Template) =>
      Object.values(template.findResources('AWS::CloudWatch::Alarm'))
        .map(
          (r) =>
            (
              r as {
                Properties: { MetricName?: string; Metrics?: { MetricStat?: unknown }[]; ThresholdMetricId?: string };
              }
            ).Properties,
        )
        .reduce(
          (sum, p) =>
            sum +
            (p.MetricName ? 1 : (p.Metrics ?? []).filter((m) => m.MetricStat).length * (p.ThresholdMetricId ? 3 : 1)),
          0,
        );
    const counts = estimateMonthlyFixedCost(monitoringOptions(config, 'api', '$default')).counts;
    expect(counts).toEqual({
      dashboards: Object.keys(templates.observability.findResources('AWS::CloudWatch::Dashboard')).length,
      alarmMetrics: billedMetrics(templates.observability) + billedMetrics(templates.faultInjection),
      compositeAlarms: Object.keys(templates.observability.findResources('AWS::CloudWatch::CompositeAlarm')).length,
    });
  });
});

describe('fault-injection stack', () => {
  it('creates the FIS templates against the service function, stopped by the catalog alarms and the API guardrail', () => {
    const fis = stacks.faultInjection;
    expect(fis).toBeDefined();
    const functionArn = outputOf('CoffeeService', '^PublishOutputFnGetAttFunction[0-9A-F]+Arn');
    const alarmArn = (key: string) => {
      if (key === FisStopConditions.ApiErrorRate)
        return { 'Fn::GetAtt': [logicalId(fis!, fis!.guardrail.alarm), 'Arn'] };
      const alarmId = STOP_CONDITION_ALARM_IDS[key as keyof typeof STOP_CONDITION_ALARM_IDS];
      expect(alarmId, key).toBeDefined();
      return outputOf(
        'CoffeeObservability',
        `^PublishOutputFnGetAttAlarms${`${config.serviceName}${alarmId}`.replace(/-/g, '')}[0-9A-F]+Arn`,
      );
    };
    const resources = Object.values(templates.faultInjection.findResources('AWS::FIS::ExperimentTemplate')).map(
      (r) => (r as { Properties: Record<string, unknown> }).Properties,
    );
    expect(resources).toHaveLength(FIS_TEMPLATES.length);
    for (const definition of FIS_TEMPLATES) {
      const resource = resources.find((r) => (r.Tags as Record<string, string>).Name === definition.id);
      expect(resource, definition.id).toMatchObject({
        Targets: {
          Functions: { ResourceType: 'aws:lambda:function', ResourceArns: [functionArn], SelectionMode: 'ALL' },
        },
        StopConditions: definition.stopConditions.map((key) => ({
          Source: 'aws:cloudwatch:alarm',
          Value: alarmArn(key),
        })),
        RoleArn: { 'Fn::GetAtt': [logicalId(fis!, fis!.experiments.role), 'Arn'] },
      });
      const actions = Object.values(resource?.Actions as Record<string, { ActionId: string }>).map((a) => a.ActionId);
      expect(actions).toEqual(definition.faults.map((f) => f.action));
    }
  });

  it('lets the experiment role write fault configurations under the prefix and read the function, nothing else', () => {
    const fis = stacks.faultInjection!;
    const policies = Object.values(templates.faultInjection.findResources('AWS::IAM::Policy')) as {
      Properties: { PolicyDocument: unknown };
    }[];
    expect(policies).toHaveLength(1);
    const bucket = [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':s3:::coffee-fis-configs-',
      { Ref: 'AWS::AccountId' },
      '-',
      { Ref: 'AWS::Region' },
    ];
    expect(policies[0]?.Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'WriteFaultConfigurations',
          Effect: 'Allow',
          Action: ['s3:DeleteObject', 's3:PutObject'],
          Resource: { 'Fn::Join': ['', [...bucket, '/FisConfigs/*']] },
        },
        {
          Sid: 'ReadTargetFunctions',
          Effect: 'Allow',
          Action: 'lambda:GetFunction',
          Resource: outputOf('CoffeeService', '^PublishOutputFnGetAttFunction[0-9A-F]+Arn'),
        },
        { Sid: 'ResolveTargets', Effect: 'Allow', Action: 'tag:GetResources', Resource: '*' },
      ],
    });
    templates.faultInjection.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${config.serviceName}-fis-guardrail-api-5xx-rate`,
      Threshold: 15,
      EvaluationPeriods: 2,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(requests >= 20, 100 * errors / requests, 0)' })]),
    });
    expect(logicalId(fis, fis.guardrail.alarm)).toBeTruthy();
  });
});

describe('configuration variants', () => {
  it('without fault injection: no FIS stack, bucket, layer or S3 grant; with fault control: the /_chaos/faults routes', () => {
    const variantApp = new App({ context: cdkJson.context });
    const variant = addCoffeeStacks(variantApp, {
      config: { ...config, faultInjection: false, faultControl: true },
      lambdaAssetDir: asset.dir,
    });
    expect(variant.faultInjection).toBeUndefined();
    const service = Template.fromStack(variant.service);
    service.resourceCountIs('AWS::S3::Bucket', 0);
    const fn = only(service, 'AWS::Lambda::Function').resource.Properties;
    expect(fn.Layers).toBeUndefined();
    expect(Object.keys((fn.Environment as { Variables: object }).Variables)).not.toContain('AWS_LAMBDA_EXEC_WRAPPER');
    expect((fn.Environment as { Variables: Record<string, string> }).Variables.COFFEE_FAULTS).toBe('true');
    expect(JSON.stringify(service.findResources('AWS::IAM::Policy'))).not.toContain('s3:');
    const faultRoutes = Object.values(service.findResources('AWS::ApiGatewayV2::Route'))
      .map((r) => (r as { Properties: { RouteKey: string; AuthorizationType: string } }).Properties)
      .filter((r) => r.RouteKey.endsWith(FAULT_CONTROL_PATH));
    expect(faultRoutes.map((r) => r.RouteKey).sort()).toEqual(
      ['DELETE', 'GET', 'PUT'].map((m) => `${m} ${FAULT_CONTROL_PATH}`),
    );
    for (const route of faultRoutes) expect(route.AuthorizationType).toBe('NONE');
    expect(new AwsSolutionsChecks(variantApp).validateScope(variantApp).violations).toEqual([]);
  });
});
