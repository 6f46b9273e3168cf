/**
 * The service stack: the order service as one Lambda function (the bundle of
 * `service/lambda/`), behind an HTTP API whose routes are the service's own route list,
 * with a Cognito JWT authorizer, stage throttling and access logs.
 *
 * Least privilege: the function has its own role whose only statements are the DynamoDB
 * actions the store calls (`DYNAMODB_ACCESS`) on the table and its two index ARNs, read
 * of its one secret, writes to its own log group, and (with fault injection) read of the
 * FIS fault-configuration prefix.
 */
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { FisLambdaExtension } from '../chaos/index.ts';
import { serviceRoleName } from '../dashboards/index.ts';
import { ROUTES, type RouteKey } from '../service/catalog/index.ts';
import { Roles, DYNAMODB_ACCESS, Indexes } from '../service/catalog/index.ts';
import type { InfraConfig } from './config.ts';

/** Routes anyone may call: liveness, readiness and reading the menu. */
export const PUBLIC_ROUTES: readonly RouteKey[] = ['GET /health', 'GET /ready', 'GET /menu', 'GET /menu/:productId'];

/**
 * Routes of the service that the API does not expose in AWS: Prometheus scraping (the
 * function exports metrics as EMF) and the dev token issuer (Cognito issues tokens).
 */
export const UNEXPOSED_ROUTES: readonly RouteKey[] = ['GET /metrics', 'POST /auth/dev-token'];

/** The service's token-protected fault-control endpoint (see the service contract). */
export const FAULT_CONTROL_PATH = '/_chaos/faults';

/** `/menu/:productId` (Hono) -> `/menu/{productId}` (API Gateway). */
export function apiGatewayPath(template: string): string {
  return template.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The name of the bucket the FIS experiments and the function exchange fault configurations in. */
export function faultConfigBucketName(stackPrefix: string): string {
  // Deterministic, so the fault-injection stack can import it by name (no cross-stack export).
  return `${stackPrefix.toLowerCase()}-fis-configs-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

export type ServiceConfig = Pick<
  InfraConfig,
  | 'stackPrefix'
  | 'functionName'
  | 'serviceName'
  | 'memoryMb'
  | 'timeoutSeconds'
  | 'logRetentionDays'
  | 'logLevel'
  | 'throttleRateLimit'
  | 'throttleBurstLimit'
  | 'otlpEndpoint'
  | 'faultInjection'
  | 'faultControl'
  | 'cognitoPlus'
>;

export interface ServiceStackProps extends StackProps {
  readonly table: dynamodb.ITable;
  /** A directory holding the function bundle (`index.mjs`), see `lambda-asset.ts`. */
  readonly lambdaAssetDir: string;
  readonly config: ServiceConfig;
}

export class ServiceStack extends Stack {
  readonly function: lambda.Function;
  readonly functionRole: iam.Role;
  readonly functionLogGroup: logs.LogGroup;
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  /** The service's JSON secret (`userIdKey`, `faultToken`): the only one the function reads. */
  readonly secret: secretsmanager.Secret;
  /** Where the fault token is generated (read it for `coffee chaos run --fault-token`). */
  readonly faultTokenSecret: secretsmanager.Secret;
  /** The FIS fault-configuration bucket, when fault injection is on. */
  readonly faultConfigBucket: s3.Bucket | undefined;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { table, lambdaAssetDir, config } = props;
    const retention = config.logRetentionDays as logs.RetentionDays;

    this.userPool = this.addUserPool(config);
    this.userPoolClient = this.addUserPoolClient(config);
    const issuer = `https://cognito-idp.${Aws.REGION}.amazonaws.com/${this.userPool.userPoolId}`;

    this.faultTokenSecret = this.addFaultTokenSecret();
    this.secret = this.addServiceSecret(this.faultTokenSecret);

    this.functionLogGroup = new logs.LogGroup(this, 'FunctionLogs', {
      logGroupName: `/aws/lambda/${config.functionName}`,
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.functionRole = this.addFunctionRole(config, table);
    this.function = this.addFunction(config, lambdaAssetDir, this.functionEnvironment(config, table, issuer));
    this.faultConfigBucket = config.faultInjection ? this.addFaultInjection(config) : undefined;

    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `${config.serviceName}-api`,
      description: 'Coffee Cloud order service',
      createDefaultStage: false,
    });
    this.stage = this.addStage(config, retention);
    this.addRoutes(config, issuer);
    this.addOutputs();
  }

  /** Identity: customers sign up themselves; baristas are put in the group by an admin. */
  private addUserPool(config: ServiceConfig): cognito.UserPool {
    const userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${config.serviceName}-users`,
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: config.cognitoPlus ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      ...(config.cognitoPlus
        ? { standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION }
        : {}),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is OPTIONAL (TOTP, no SMS): customers of a coffee-ordering app are not forced into MFA; baristas, the privileged group, are expected to enrol. Required MFA would also block the synthetic load-test users created with AdminInitiateAuth.',
    });
    if (!config.cognitoPlus) {
      Validations.of(userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason:
          'The Essentials feature plan is the default for cost (Plus has no free tier); deploy with -c cognitoPlus=true to get Plus with threat protection in full-function mode. Abuse of the API is bounded by stage throttling.',
      });
    }
    new cognito.CfnUserPoolGroup(this, 'BaristaGroup', {
      userPoolId: userPool.userPoolId,
      groupName: Roles.Barista,
      description: 'Baristas: may work the order queue and edit the menu (the service reads cognito:groups)',
    });
    return userPool;
  }

  private addUserPoolClient(config: ServiceConfig): cognito.UserPoolClient {
    return this.userPool.addClient('Client', {
      userPoolClientName: `${config.serviceName}-app`,
      generateSecret: false,
      authFlows: { userSrp: true, adminUserPassword: true },
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      enableTokenRevocation: true,
    });
  }

  private addFaultTokenSecret(): secretsmanager.Secret {
    return new secretsmanager.Secret(this, 'FaultTokenSecret', {
      description:
        'Bearer token of the Coffee Cloud /_chaos/faults endpoint (copied into the service secret on deploy)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /**
   * The one JSON secret the service reads at cold start (nothing secret is in the
   * environment). Secrets Manager generates one value per secret and this one needs two, so
   * the fault token is generated in its own secret and copied in by a dynamic reference,
   * resolved at deploy time and never in the template.
   */
  private addServiceSecret(faultTokenSecret: secretsmanager.Secret): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        'Coffee Cloud service secrets (JSON): userIdKey (HMAC key of customer ids), faultToken (guards /_chaos/faults)',
      generateSecretString: {
        secretStringTemplate: Stack.of(this).toJsonString({
          faultToken: `{{resolve:secretsmanager:${faultTokenSecret.secretArn}}}`,
        }),
        generateStringKey: 'userIdKey',
        // Letters and digits only: the service reads the key as base64url (48 chars = 36 bytes).
        passwordLength: 48,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const each of [secret, faultTokenSecret]) {
      Validations.of(each).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          "These are the service's own keys (the customer-id HMAC key, which must stay stable, and the bearer token of its opt-in fault-control endpoint), not credentials of another system with a rotation protocol; rotating the customer-id key would orphan every profile, and the fault token is replaced by writing a new faultToken into the service secret before a game day.",
      });
    }
    return secret;
  }

  /** Least privilege: its own log group, the store's DynamoDB actions on the table and its indexes, its one secret. */
  private addFunctionRole(config: ServiceConfig, table: dynamodb.ITable): iam.Role {
    const role = new iam.Role(this, 'FunctionRole', {
      // Named, so the security metric filters can match changes to it (IAM is global: the region keeps names apart).
      roleName: `${serviceRoleName(config.functionName)}-${Aws.REGION}`,
      description: `Execution role of ${config.functionName}: only the calls the service makes`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.functionLogGroup.logGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'OrdersTable', actions: [...DYNAMODB_ACCESS.table], resources: [table.tableArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OrdersTableIndexes',
        actions: [...DYNAMODB_ACCESS.indexes],
        resources: Object.values(Indexes).map((index) => `${table.tableArn}/index/${index.name}`),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadServiceSecret',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.secret.secretArn],
      }),
    );
    return role;
  }

  private functionEnvironment(config: ServiceConfig, table: dynamodb.ITable, issuer: string): Record<string, string> {
    return {
      COFFEE_TABLE_NAME: table.tableName,
      COFFEE_AUTH_MODE: 'jwks',
      COFFEE_JWT_ISSUER: issuer,
      COFFEE_JWT_AUDIENCE: this.userPoolClient.userPoolClientId,
      COFFEE_JWKS_URL: `${issuer}/.well-known/jwks.json`,
      COFFEE_METRICS_EXPORTER: 'emf',
      COFFEE_SECRET_ARN: this.secret.secretArn,
      COFFEE_LOG_LEVEL: config.logLevel,
      OTEL_SERVICE_NAME: config.serviceName,
      // The bundle ships its source map: stack traces in the logs point at the TypeScript.
      NODE_OPTIONS: '--enable-source-maps',
      ...(config.otlpEndpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: config.otlpEndpoint } : {}),
      // The fault-control endpoint exists only when asked for; its token comes from the secret.
      ...(config.faultControl ? { COFFEE_FAULTS: 'true' } : {}),
    };
  }

  private addFunction(
    config: ServiceConfig,
    lambdaAssetDir: string,
    environment: Record<string, string>,
  ): lambda.Function {
    return new lambda.Function(this, 'Function', {
      functionName: config.functionName,
      description: 'Coffee Cloud order service (Hono on the Lambda Node.js runtime)',
      code: lambda.Code.fromAsset(lambdaAssetDir),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: config.memoryMb,
      timeout: Duration.seconds(config.timeoutSeconds),
      role: this.functionRole,
      logGroup: this.functionLogGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment,
    });
  }

  /** The FIS fault-configuration bucket and the function's FIS extension. */
  private addFaultInjection(config: ServiceConfig): s3.Bucket {
    const bucket = new s3.Bucket(this, 'FaultConfigBucket', {
      bucketName: faultConfigBucketName(config.stackPrefix),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // FIS deletes each configuration when its action ends; this only sweeps leftovers.
      lifecycleRules: [{ expiration: Duration.days(1) }],
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket only carries the short-lived fault configurations AWS FIS writes during an experiment (swept after a day); who started which experiment is recorded by FIS and CloudTrail, so server access logs would add a log bucket without adding an audit trail.',
    });
    new FisLambdaExtension(this, 'FisExtension', { function: this.function, configBucket: bucket });
    return bucket;
  }

  /** The API's one stage: throttled, with JSON access logs in their own log group. */
  private addStage(config: ServiceConfig, retention: logs.RetentionDays): apigw.HttpStage {
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    return new apigw.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTimeEpoch',
            sourceIp: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationStatus: '$context.integrationStatus',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            // The token subject, never the e-mail: access logs carry no personal data.
            sub: '$context.authorizer.claims.sub',
          }),
        ),
      },
    });
  }

  /** The service's routes (all but the unexposed ones), behind the Cognito JWT authorizer unless public. */
  private addRoutes(config: ServiceConfig, issuer: string): void {
    const integration = new HttpLambdaIntegration('Service', this.function);
    const authorizer = new HttpJwtAuthorizer('CognitoJwt', issuer, {
      jwtAudience: [this.userPoolClient.userPoolClientId],
      identitySource: ['$request.header.Authorization'],
    });
    for (const key of Object.keys(ROUTES) as RouteKey[]) {
      if (UNEXPOSED_ROUTES.includes(key)) continue;
      const [method, template] = key.split(' ') as [string, string];
      const isPublic = PUBLIC_ROUTES.includes(key);
      const [route] = this.api.addRoutes({
        path: apiGatewayPath(template),
        methods: [method as apigw.HttpMethod],
        integration,
        ...(isPublic ? {} : { authorizer }),
      });
      if (isPublic && route) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${key} is public by design: liveness/readiness probes and the menu are read without an account; it reads no personal data and is rate limited by the stage throttle.`,
        });
      }
    }
    if (config.faultControl) this.addFaultControlRoutes(integration);
  }

  private addFaultControlRoutes(integration: HttpLambdaIntegration): void {
    // The fault token is not a Cognito JWT: the service checks it against the secret.
    const routes = this.api.addRoutes({
      path: FAULT_CONTROL_PATH,
      methods: [apigw.HttpMethod.GET, apigw.HttpMethod.PUT, apigw.HttpMethod.DELETE],
      integration,
    });
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'The fault-control endpoint is authorised by the service itself against the faultToken of the Secrets Manager secret (a bearer token, not a Cognito JWT); the route exists only when deployed with -c faultControl=true for a game day.',
      });
    }
  }

  private addOutputs(): void {
    new CfnOutput(this, 'ApiUrl', {
      value: this.stage.url,
      description: 'Base URL of the order API (use as --target)',
    });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'FunctionName', { value: this.function.functionName });
    new CfnOutput(this, 'SecretArn', {
      value: this.secret.secretArn,
      description: 'The service secret (JSON: userIdKey, faultToken)',
    });
    new CfnOutput(this, 'FaultTokenSecretArn', {
      value: this.faultTokenSecret.secretArn,
      description: 'The fault-control token (coffee chaos run --fault-token)',
    });
  }
}
