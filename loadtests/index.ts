/**
 * The load tests' public API, for the fault experiments, the demo and anyone scripting a
 * run. `runLoad` runs a profile on the Node engine and returns the result (the schema of
 * result.json); `writeReport` writes its HTML report. The report writer itself
 * (`writeReportPage`: a headline and sections of trusted HTML and uPlot charts) serves every
 * report of the toolkit; `loadReportSections` are the load run's sections for another page.
 */
export {
  runLoad,
  writeOutputs,
  newRunId,
  normalizeFaultWindows,
  checkTarget,
  TargetUnreachableError,
} from './run-load.ts';
export type { RunLoadOptions } from './run-load.ts';
export {
  writeReport,
  renderReport,
  loadReportSections,
  loadSummarySection,
  exemplarTables,
} from './report/load-report.ts';
export type { ReportOptions, LoadReportOptions, ExemplarTableOptions } from './report/load-report.ts';
export { resultFileName, junitFileName, serviceEmfFileName, serviceLogFileName } from './shared/outputs.ts';
export type { ResponseEvent } from './engine/engine.ts';
export type { ProgressUpdate } from './progress.ts';
export { JOURNEYS, JourneyNames, runHeaders } from './shared/journeys.ts';
export type {
  Journey,
  JourneyName,
  Step,
  RequestSpec,
  StepResponse,
  VirtualUser,
  IterationContext,
} from './shared/journeys.ts';
export { PROFILES, PROFILE_NAMES, ProfileNames, scaleProfile, phasesOf, arrivalClock } from './shared/profiles.ts';
export type { Profile, ProfileName, Stage, Phase } from './shared/profiles.ts';
export { thresholdsFromSlos, k6Threshold } from './shared/thresholds.ts';
export type { ThresholdDefinition } from './shared/thresholds.ts';
export { compareWithBaseline, parseTolerance, DEFAULT_TOLERANCE } from './shared/baseline.ts';
export type { Tolerance } from './shared/baseline.ts';
export { RESULT_SCHEMA_VERSION, Engines, ThresholdMetrics } from './shared/result.ts';
export type {
  LoadResult,
  RequestStats,
  LatencySummary,
  TimeBucket,
  ThresholdResult,
  BaselineComparison,
  BaselineFinding,
  FaultWindow,
  JourneyStats,
  CheckResult,
  Engine,
} from './shared/result.ts';
export { EXEMPLAR_BOUNDS, ExemplarReasons, isFailedAnswer } from './shared/exemplars.ts';
export type { Exemplar, ExemplarSet, ExemplarBounds } from './shared/exemplars.ts';
export { TRACEPARENT, traceparent, parseTraceparent } from './shared/trace-context.ts';
export { toJunitXml } from './shared/junit.ts';
export { formatSummary } from './shared/summary-text.ts';
export { createRetryPolicy, parseRetryAfter, MAX_RETRIES, MAX_BACKOFF_MS, RETRYABLE_STATUSES } from './shared/retry.ts';
export type { RetryPolicy, RetryPolicyOptions } from './shared/retry.ts';
export { RemoteWriter, startPrometheus, verdictFromPrometheus, QUANTILE_RELATIVE_ERROR } from './prometheus/index.ts';
export type { RemoteWriterOptions, PrometheusProcess, VerdictOptions } from './prometheus/index.ts';
export { RunCapture, writeCaptureFile, TRACES_FILE_NAME } from './capture/run-capture.ts';
export { capturedLogDestination } from './capture/load-run-capture.ts';
export type { CaptureResult } from './capture/run-capture.ts';
export { startOtlpReceiver, OtlpPaths } from './capture/receiver.ts';
export type { OtlpReceiver, OtlpReceiverOptions } from './capture/receiver.ts';
export { TraceStore } from './capture/trace-store.ts';
export { requestsSection, slowestTraceLinks, REQUESTS_SECTION_TITLE } from './capture/requests-section.ts';
export { serverSideSection, SERVER_SIDE_SECTION_TITLE } from './capture/server-side.ts';
export { traceLink, xrayTraceId, runLogsQuery } from './capture/trace-links.ts';
export type { CapturedTrace, CapturedSpan, CapturedLog, CaptureCounts } from './capture/types.ts';
