/**
 * AWS FIS experiment templates for the deployed service: the Lambda fault actions of
 * AWS Fault Injection Service, typed, validated and rendered to the shape of an
 * `AWS::FIS::ExperimentTemplate`.
 *
 * This module imports nothing from aws-cdk-lib, so a command can list or print the
 * templates without loading the CDK; `cdk.ts` beside it turns them into resources.
 *
 * How the Lambda actions work (AWS FIS user guide, "Use the AWS FIS aws:lambda:function
 * actions"): the target function carries the AWS FIS extension layer and reads fault
 * configurations from an S3 location (`AWS_FIS_CONFIGURATION_LOCATION`); a running
 * experiment writes the active fault there, and deletes it when the action ends. So the
 * experiment role needs to write and delete objects under that prefix and to read the
 * target function's configuration, nothing else.
 */

/** The three Lambda fault actions of AWS FIS. */
export const FisLambdaActions = {
  /** Delays the start of the function code by `startupDelayMilliseconds`. */
  AddDelay: 'aws:lambda:invocation-add-delay',
  /** Marks invocations as failed (the integration sees a Lambda error). */
  Error: 'aws:lambda:invocation-error',
  /** Answers invocations with an HTTP status code, as API Gateway would pass it through. */
  HttpIntegrationResponse: 'aws:lambda:invocation-http-integration-response',
} as const;
export type FisLambdaActionId = (typeof FisLambdaActions)[keyof typeof FisLambdaActions];

/** The FIS target resource type of the Lambda actions, and the target key they use. */
export const FIS_LAMBDA_TARGET = { resourceType: 'aws:lambda:function', key: 'Functions' } as const;

/** The S3 key prefix (folder) FIS and the extension exchange fault configurations under. */
export const FIS_CONFIG_PREFIX = 'FisConfigs/';

/** FIS limits the templates are checked against (AWS FIS quotas and action parameter ranges). */
export const FisLimits = {
  maxStopConditions: 5,
  minDurationSeconds: 60,
  maxDurationSeconds: 12 * 3600,
  maxStartupDelayMs: 900_000,
  minStatusCode: 100,
  maxStatusCode: 599,
} as const;

interface FisLambdaFaultBase {
  /** Action name inside the template: letters, digits, `-` and `_`. */
  readonly name: string;
  readonly description: string;
  /** How long the fault lasts. */
  readonly durationSeconds: number;
  /** Share of invocations hit, 1..100 (FIS default 100). */
  readonly invocationPercentage: number;
  /** Start after these actions (by name) have finished; in parallel when absent. */
  readonly startAfter?: readonly string[];
}

export interface FisAddDelayFault extends FisLambdaFaultBase {
  readonly action: typeof FisLambdaActions.AddDelay;
  /** 0..900 000 ms. A delay above the function timeout produces real timeouts. */
  readonly startupDelayMilliseconds: number;
}

export interface FisInvocationErrorFault extends FisLambdaFaultBase {
  readonly action: typeof FisLambdaActions.Error;
  /** true: return the error without running the function code. */
  readonly preventExecution: boolean;
}

export interface FisHttpResponseFault extends FisLambdaFaultBase {
  readonly action: typeof FisLambdaActions.HttpIntegrationResponse;
  readonly statusCode: number;
  readonly contentTypeHeader: string;
  /** true: answer without running the function code; false: replace its response. */
  readonly preventExecution: boolean;
}

export type FisLambdaFault = FisAddDelayFault | FisInvocationErrorFault | FisHttpResponseFault;

export interface FisTemplateDefinition {
  /** Stable id, kebab-case: the construct id and the template's `Name` tag. */
  readonly id: string;
  readonly description: string;
  /** What the experiment is expected to show, in one sentence (goes into a tag). */
  readonly hypothesis: string;
  readonly faults: readonly FisLambdaFault[];
  /**
   * Keys of the CloudWatch alarms that stop the experiment (the infra passes a map from
   * key to alarm). They are guardrails, not the expected effect: pick the alarm whose
   * firing means "real customers are hurt beyond what this experiment may cost".
   */
  readonly stopConditions: readonly string[];
}

/** The target ARNs and the resolved alarm ARNs a template is rendered with. */
export interface FisRenderInputs {
  readonly roleArn: string;
  readonly functionArns: readonly string[];
  /** Alarm ARN by stop-condition key. */
  readonly alarmArns: Readonly<Record<string, string>>;
}

/** The properties of an `AWS::FIS::ExperimentTemplate`, in CloudFormation's own shape. */
export interface FisExperimentTemplateShape {
  description: string;
  roleArn: string;
  targets: Record<string, { resourceType: string; resourceArns: string[]; selectionMode: 'ALL' }>;
  actions: Record<
    string,
    {
      actionId: FisLambdaActionId;
      description: string;
      parameters: Record<string, string>;
      targets: Record<string, string>;
      startAfter?: string[];
    }
  >;
  stopConditions: { source: 'aws:cloudwatch:alarm'; value: string }[];
  experimentOptions: { accountTargeting: 'single-account'; emptyTargetResolutionMode: 'fail' };
  tags: Record<string, string>;
}

const ACTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const TEMPLATE_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** ISO 8601 duration as FIS expects it: `PT5M`, `PT90S`, `PT1H`. */
export function isoDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `PT${seconds / 3600}H`;
  if (seconds % 60 === 0) return `PT${seconds / 60}M`;
  return `PT${seconds}S`;
}

/** Every problem with a definition, as readable lines; empty when it is valid. */
export function validateFisTemplate(template: FisTemplateDefinition): string[] {
  const problems: string[] = [];
  const where = `FIS template "${template.id}"`;
  const intIn = (value: number, min: number, max: number) => Number.isInteger(value) && value >= min && value <= max;
  if (!TEMPLATE_ID.test(template.id)) problems.push(`${where}: id must be kebab-case`);
  if (template.faults.length === 0) problems.push(`${where}: needs at least one fault`);
  if (template.stopConditions.length === 0) problems.push(`${where}: needs at least one stop-condition alarm`);
  if (template.stopConditions.length > FisLimits.maxStopConditions) {
    problems.push(
      `${where}: at most ${FisLimits.maxStopConditions} stop conditions, got ${template.stopConditions.length}`,
    );
  }
  if (new Set(template.stopConditions).size !== template.stopConditions.length)
    problems.push(`${where}: duplicate stop condition`);
  const names = new Set<string>();
  for (const fault of template.faults) {
    const at = `${where}, fault "${fault.name}"`;
    if (!ACTION_NAME.test(fault.name)) problems.push(`${at}: name must match ${ACTION_NAME.source}`);
    if (names.has(fault.name)) problems.push(`${at}: duplicate name`);
    names.add(fault.name);
    if (!intIn(fault.durationSeconds, FisLimits.minDurationSeconds, FisLimits.maxDurationSeconds)) {
      problems.push(
        `${at}: durationSeconds must be an integer in ${FisLimits.minDurationSeconds}..${FisLimits.maxDurationSeconds}`,
      );
    }
    if (!intIn(fault.invocationPercentage, 1, 100))
      problems.push(`${at}: invocationPercentage must be an integer in 1..100`);
    for (const before of fault.startAfter ?? []) {
      if (!template.faults.some((other) => other.name === before && other !== fault)) {
        problems.push(`${at}: startAfter names unknown fault "${before}"`);
      }
    }
    switch (fault.action) {
      case FisLambdaActions.AddDelay:
        if (!intIn(fault.startupDelayMilliseconds, 0, FisLimits.maxStartupDelayMs)) {
          problems.push(`${at}: startupDelayMilliseconds must be an integer in 0..${FisLimits.maxStartupDelayMs}`);
        }
        break;
      case FisLambdaActions.HttpIntegrationResponse:
        if (!intIn(fault.statusCode, FisLimits.minStatusCode, FisLimits.maxStatusCode)) {
          problems.push(
            `${at}: statusCode must be an HTTP status (${FisLimits.minStatusCode}..${FisLimits.maxStatusCode})`,
          );
        }
        if (!/^[\w.+-]+\/[\w.+-]+$/.test(fault.contentTypeHeader))
          problems.push(`${at}: contentTypeHeader must be a media type`);
        break;
      case FisLambdaActions.Error:
        break;
    }
  }
  return problems;
}

function parametersOf(fault: FisLambdaFault): Record<string, string> {
  const common = {
    duration: isoDuration(fault.durationSeconds),
    invocationPercentage: String(fault.invocationPercentage),
  };
  switch (fault.action) {
    case FisLambdaActions.AddDelay:
      return { ...common, startupDelayMilliseconds: String(fault.startupDelayMilliseconds) };
    case FisLambdaActions.Error:
      return { ...common, preventExecution: String(fault.preventExecution) };
    case FisLambdaActions.HttpIntegrationResponse:
      return {
        ...common,
        statusCode: String(fault.statusCode),
        contentTypeHeader: fault.contentTypeHeader,
        preventExecution: String(fault.preventExecution),
      };
  }
}

/**
 * Renders a definition to the properties of an `AWS::FIS::ExperimentTemplate`. Throws
 * when the definition is invalid or names a stop condition `inputs.alarmArns` lacks.
 */
export function renderFisTemplate(
  template: FisTemplateDefinition,
  inputs: FisRenderInputs,
): FisExperimentTemplateShape {
  const problems = validateFisTemplate(template);
  if (inputs.functionArns.length === 0) problems.push(`FIS template "${template.id}": no target function`);
  const missing = template.stopConditions.filter((key) => inputs.alarmArns[key] === undefined);
  if (missing.length > 0)
    problems.push(`FIS template "${template.id}": no alarm for stop condition(s) ${missing.join(', ')}`);
  if (problems.length > 0) throw new Error(problems.join('\n'));

  return {
    description: template.description,
    roleArn: inputs.roleArn,
    targets: {
      [FIS_LAMBDA_TARGET.key]: {
        resourceType: FIS_LAMBDA_TARGET.resourceType,
        resourceArns: [...inputs.functionArns],
        selectionMode: 'ALL',
      },
    },
    actions: Object.fromEntries(
      template.faults.map((fault) => [
        fault.name,
        {
          actionId: fault.action,
          description: fault.description,
          parameters: parametersOf(fault),
          targets: { [FIS_LAMBDA_TARGET.key]: FIS_LAMBDA_TARGET.key },
          ...(fault.startAfter && fault.startAfter.length > 0 ? { startAfter: [...fault.startAfter] } : {}),
        },
      ]),
    ),
    stopConditions: template.stopConditions.map((key) => ({
      source: 'aws:cloudwatch:alarm',
      value: inputs.alarmArns[key] as string,
    })),
    // Fail instead of "succeeding" on nothing when the target function is gone.
    experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' },
    // FIS shows the Name tag as the template's name; tag values allow at most 256 chars.
    tags: { Name: template.id, Hypothesis: template.hypothesis.slice(0, 256) },
  };
}

/**
 * Stop-condition keys the shipped templates use; the infra maps each to a deployed alarm.
 *
 * The faults are injected by the FIS extension before (or instead of) the handler, so the
 * service's own metrics, and the SLO alarms built on them, never see an injected delay,
 * error or status: they see only the collateral damage on requests the handler did run.
 * The guardrails are therefore what clients and Lambda see: the API's 5xx rate (an alarm
 * the fault-injection stack creates for the purpose), the Lambda error rate (the alarms
 * catalog's page alarm) and, for real collateral damage, the SLO availability pages.
 */
export const FisStopConditions = {
  /** 5xx answered by the HTTP API (AWS/ApiGateway), far above what the experiment injects. */
  ApiErrorRate: 'api-5xx-rate',
  /** The alarms catalog's Lambda error-rate page alarm (AWS/Lambda Errors / Invocations). */
  LambdaErrorRate: 'lambda-error-rate',
  /** Order-write availability SLO burning fast (the catalog's page composite). */
  OrderWriteAvailability: 'order-write-availability',
  /** Menu-read availability SLO burning fast (the catalog's page composite). */
  MenuReadAvailability: 'menu-read-availability',
} as const;
export type FisStopConditionKey = (typeof FisStopConditions)[keyof typeof FisStopConditions];

const FIVE_MINUTES = 300;

/**
 * The shipped templates: one per Lambda fault action, sized so that a game day against
 * the deployed stack under the `average` load profile shows the effect on the API Gateway
 * and Lambda widgets without tripping its own guardrails.
 */
export const FIS_TEMPLATES: readonly FisTemplateDefinition[] = [
  {
    id: 'lambda-latency',
    description: 'Adds 800 ms before the handler runs on 25% of invocations for 5 minutes',
    hypothesis:
      'API Gateway latency p99 rises by about 800 ms while the service-side latency stays flat (the delay is outside the handler); no request times out and availability holds',
    faults: [
      {
        name: 'addDelay',
        action: FisLambdaActions.AddDelay,
        description: '800 ms startup delay on a quarter of invocations',
        durationSeconds: FIVE_MINUTES,
        invocationPercentage: 25,
        startupDelayMilliseconds: 800,
      },
    ],
    stopConditions: [
      FisStopConditions.ApiErrorRate,
      FisStopConditions.LambdaErrorRate,
      FisStopConditions.OrderWriteAvailability,
    ],
  },
  {
    id: 'lambda-errors',
    description: 'Fails 3% of invocations without running the handler for 5 minutes',
    hypothesis:
      'Clients get 500 for about 3% of requests, the Lambda error-rate ticket alarm fires and the page alarm does not; clients that retry with the same Idempotency-Key create no duplicate order',
    faults: [
      {
        name: 'invocationError',
        action: FisLambdaActions.Error,
        description: 'invocation error on 3% of invocations, handler not run',
        durationSeconds: FIVE_MINUTES,
        invocationPercentage: 3,
        preventExecution: true,
      },
    ],
    stopConditions: [FisStopConditions.LambdaErrorRate, FisStopConditions.ApiErrorRate],
  },
  {
    id: 'lambda-http-503',
    description: 'Answers 5% of invocations with 503 problem+json for 5 minutes',
    hypothesis:
      'Clients see 503 on about 5% of requests and retry after a back-off; the API 5xx widgets show it while the service metrics do not, and no acknowledged order is lost',
    faults: [
      {
        name: 'http503',
        action: FisLambdaActions.HttpIntegrationResponse,
        description: '503 answered by the FIS extension on 5% of invocations',
        durationSeconds: FIVE_MINUTES,
        invocationPercentage: 5,
        statusCode: 503,
        contentTypeHeader: 'application/problem+json',
        preventExecution: true,
      },
    ],
    stopConditions: [FisStopConditions.ApiErrorRate, FisStopConditions.MenuReadAvailability],
  },
];
