// The fault-injection toolkit's public pieces: the fault catalog, the injectors, the
// experiments and their runner. Other folders (infra's FIS templates, bench, docs) import
// from here.
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
export { startDynamoDbFaultProxy, dynamoDbErrorBody, dynamoDbErrorResponse, drawLatency, ProxyOutcomes } from './dynamodb-proxy.ts';
export type { DynamoDbFaultProxy, DynamoDbFaultProxyOptions, ProxyRequestRecord, ProxyStats, ProxyOutcome } from './dynamodb-proxy.ts';
export { createServiceFaultClient, ServiceFaultError } from './service-faults.ts';
export type { ServiceFaultClient } from './service-faults.ts';
export { startServiceProcess } from './service-process.ts';
export type { ServiceProcess, ServiceProcessOptions, ExitInfo } from './service-process.ts';
export { createRandom, forkRandom } from './random.ts';
export type { Random } from './random.ts';
export { defineExperiment, STANDARD_PROBES, RollbackKinds, TargetKinds } from './experiment.ts';
export type { ExperimentDefinition, FaultAction, FaultWindow, FaultSchedule, SteadyStateProbe, AbortCondition, LoadSpec, RollbackKind, TargetKind } from './experiment.ts';
export { EXPERIMENTS, experimentByName } from './experiments/index.ts';
export { runExperiment, ExperimentUsageError } from './runner.ts';
export type { RunExperimentOptions, ExperimentRun, LoadEngine } from './runner.ts';
export { createLoadEngine } from './load-engine.ts';
export { InvariantIds } from './invariants.ts';
export type { InvariantId, InvariantResult, ExpectedServerError } from './invariants.ts';
export { JOURNAL_SCHEMA } from './journal.ts';
export type { Journal, Verdict, JournalStep, JournalFaultWindow } from './journal.ts';
export { DEMO_EXPERIMENT, runDemo } from './demo.ts';
