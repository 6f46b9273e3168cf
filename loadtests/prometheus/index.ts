/** Prometheus remote write and the verdict from Prometheus, for the load tests' face. */
export { RemoteWriter, postWriteRequest } from './remote-write.ts';
export type { RemoteWriterOptions } from './remote-write.ts';
export { startPrometheus, PROMETHEUS_MISSING_MESSAGE } from './prometheus-process.ts';
export type { PrometheusProcess } from './prometheus-process.ts';
export { verdictFromPrometheus } from './verdict.ts';
export type { VerdictOptions } from './verdict.ts';
export { QUANTILE_RELATIVE_ERROR, NATIVE_SCHEMA } from './native-histogram.ts';
