// The fault-injection toolkit's public face: the fault catalog, the injectors, the
// experiments and their runner, and the FIS templates and constructs the CDK app deploys.
export {
  DynamoDbErrors,
  DYNAMODB_ERROR_NAMES,
  THROTTLING_ERROR_NAMES,
  FaultPhases,
  DynamoDbFaultKinds,
  ProcessFaultKinds,
  FaultLayers,
  FAULT_CATALOG,
} from './fault-catalog.ts';
export type {
  DynamoDbErrorName,
  FaultPhase,
  LatencySpec,
  DynamoDbFaultKind,
  DynamoDbFault,
  DynamoDbMatch,
  DynamoDbFaultRule,
  ServiceFaultRule,
  ProcessFault,
  ProcessFaultKind,
  FaultLayer,
  FaultCatalogEntry,
} from './fault-catalog.ts';
export { startDynamoDbFaultProxy, ProxyOutcomes } from './dynamodb-proxy.ts';
export { dynamoDbErrorBody, dynamoDbErrorResponse } from './dynamodb-proxy-wire.ts';
export { drawLatency } from './dynamodb-proxy-rules.ts';
export type {
  DynamoDbFaultProxy,
  DynamoDbFaultProxyOptions,
  ProxyRequestRecord,
  ProxyStats,
  ProxyOutcome,
} from './dynamodb-proxy.ts';
export { createServiceFaultClient, ServiceFaultError } from './service-faults.ts';
export type { ServiceFaultClient } from './service-faults.ts';
export { createRandom, forkRandom } from './random.ts';
export type { Random } from './random.ts';
export { defineExperiment, STANDARD_PROBES, RollbackKinds, TargetKinds } from './experiment.ts';
export type {
  ExperimentDefinition,
  FaultAction,
  FaultWindow,
  FaultSchedule,
  SteadyStateProbe,
  AbortCondition,
  LoadSpec,
  RollbackKind,
  TargetKind,
} from './experiment.ts';
export { EXPERIMENTS, experimentByName } from './experiments/index.ts';
export { runExperiment, ExperimentUsageError } from './runner.ts';
export type { RunExperimentOptions, ExperimentRun, LoadEngine } from './runner.ts';
export { createLoadEngine } from './load-engine.ts';
export { InvariantIds } from './invariants.ts';
export type { InvariantId, InvariantResult, ExpectedServerError } from './invariants.ts';
export { JOURNAL_SCHEMA } from './journal.ts';
export type { Journal, Verdict, JournalStep, JournalFaultWindow } from './journal.ts';
export { DEMO_EXPERIMENT, runDemo } from './demo.ts';
export {
  FisLambdaActions,
  FIS_LAMBDA_TARGET,
  FIS_CONFIG_PREFIX,
  FisLimits,
  FisStopConditions,
  FIS_TEMPLATES,
  isoDuration,
  validateFisTemplate,
  renderFisTemplate,
} from './fis/templates.ts';
export type {
  FisLambdaActionId,
  FisLambdaFault,
  FisTemplateDefinition,
  FisRenderInputs,
  FisExperimentTemplateShape,
  FisStopConditionKey,
} from './fis/templates.ts';
export {
  FIS_EXTENSION_LAYER_PARAMETERS,
  FIS_EXEC_WRAPPER,
  fisConfigurationLocation,
  FisLambdaExtension,
  FisExperimentTemplates,
  FisApiErrorRateAlarm,
} from './fis/cdk.ts';
export type { FisLambdaExtensionProps, FisExperimentTemplatesProps, FisApiErrorRateAlarmProps } from './fis/cdk.ts';
