/**
 * Telemetry for the service: explicit OpenTelemetry spans (one server span per request,
 * one client span per DynamoDB call), catalog-driven metrics with the chosen exporter
 * (EMF, Prometheus, OTLP or none), and pino logs correlated by trace id.
 *
 * Providers are parameters that fall back to what the configuration starts; nothing is
 * registered globally here, so several services can live in one process (tests, the
 * local stack). Telemetry never throws into a request: a failing exporter logs once.
 */
import type { Attributes, TracerProvider } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { MeterProvider, type MetricProducer, type MetricReader } from '@opentelemetry/sdk-metrics';
import type { DestinationStream } from 'pino';
import type { TelemetryConfig } from '../config/config.ts';
import { FailureReporter, RunningRequest } from './active-request.ts';
import { CatalogMetrics, TRACER_NAME } from './catalog-metrics.ts';
import { DirectMetrics } from './direct-metrics.ts';
import { createLoggers, type Loggers } from './logger.ts';
import { startMetricReaders } from './metric-readers.ts';
import { ServiceTelemetry, type FullTelemetry } from './service-telemetry.ts';
import type { Tracing } from './tracing.ts';

export { TRACER_NAME };
export type { FullTelemetry };

/** Makes an SDK metric reader that reads `metricProducers` (pass them in its options). */
export type MetricReaderFactory = (metricProducers: MetricProducer[]) => MetricReader;

export interface TelemetryOptions {
  config: TelemetryConfig;
  /** AWS region, for DynamoDB span attributes. */
  region?: string;
  /** Tracer provider; when absent and `config.tracing` is on, `startTracing` makes one. */
  tracerProvider?: TracerProvider;
  /**
   * Starts the trace pipeline when tracing is on and no provider is given: the Node SDK on
   * a server (`startServerTracing`), a lighter one in Lambda (`startLightTracing`). Passed
   * in, so the Lambda bundle never contains the Node SDK.
   */
  startTracing?: (resource: Resource) => Promise<Tracing>;
  /**
   * Extra SDK metric readers (tests use in-memory ones), each made with the producers it
   * must read (the service's metrics; see direct-metrics.ts). They are registered with a
   * `MeterProvider`, the only thing one is made for.
   */
  metricReaders?: MetricReaderFactory[];
  /** Where log lines go (tests); else `config.logFile` or stdout. */
  logDestination?: DestinationStream;
  /** Buffer log lines (default); the Lambda handler turns it off. */
  bufferLogs?: boolean;
  /** Where EMF lines go; else `config.emfFile` or stdout. */
  emfWrite?: (line: string) => void;
  /** Extra resource attributes (e.g. service.version). */
  resourceAttributes?: Attributes;
}

/** Starts logs, traces and metrics as `options` say; see `TelemetryOptions` for the defaults. */
export async function createTelemetry(options: TelemetryOptions): Promise<FullTelemetry> {
  const { config, region = 'local' } = options;
  const resource = resourceFromAttributes({
    'service.name': config.serviceName,
    ...parseResourceAttributes(process.env.OTEL_RESOURCE_ATTRIBUTES),
    ...options.resourceAttributes,
  });
  const running = new RunningRequest();
  const loggers = startLoggers(options, running);
  const failures = new FailureReporter(loggers.logger);
  const { tracing, tracerProvider } = await startTraces(options, resource);

  const directMetrics = new DirectMetrics(resource, TRACER_NAME);
  const extra = (options.metricReaders ?? []).map((make) => directMetrics.reader(make));
  const reportExportFailure = (error: unknown) => failures.report('a metric collection or export failed', error);
  const configured = await startMetricReaders(config, directMetrics, reportExportFailure, options.emfWrite);
  // SDK readers collect only through a provider; none is made for the service's own exports.
  const meterProvider = extra.length > 0 ? new MeterProvider({ resource, readers: extra }) : undefined;

  return new ServiceTelemetry({
    resource,
    region,
    running,
    loggers,
    failures,
    metrics: new CatalogMetrics(directMetrics.hasReaders ? directMetrics : undefined),
    metricExports: meterProvider ? [...configured.exports, meterProvider] : configured.exports,
    prometheus: configured.prometheus,
    tracing,
    tracerProvider,
    tracer: tracerProvider?.getTracer(TRACER_NAME),
    propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  });
}

/** The loggers; every line written while a request's code runs carries its ids. */
function startLoggers(options: TelemetryOptions, running: RunningRequest): Loggers {
  const { config } = options;
  return createLoggers({
    level: config.logLevel,
    accessLevel: config.accessLogLevel,
    serviceName: config.serviceName,
    context: () => running.current?.fields,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
    ...(config.logFile ? { file: config.logFile } : {}),
    buffer: options.bufferLogs ?? true,
  });
}

/** The given tracer provider, or the pipeline `startTracing` starts when tracing is on. */
async function startTraces(
  options: TelemetryOptions,
  resource: Resource,
): Promise<{ tracing?: Tracing; tracerProvider?: TracerProvider }> {
  if (options.tracerProvider) return { tracerProvider: options.tracerProvider };
  if (!options.config.tracing) return {};
  if (!options.startTracing) throw new Error('tracing is on but no trace pipeline was given (startTracing)');
  const tracing = await options.startTracing(resource);
  return { tracing, tracerProvider: tracing.provider };
}

function parseResourceAttributes(raw: string | undefined): Attributes {
  if (!raw) return {};
  const out: Attributes = {};
  for (const pair of raw.split(',')) {
    const [k, ...rest] = pair.split('=');
    if (k?.trim() && rest.length > 0) out[k.trim()] = decodeURIComponent(rest.join('=').trim());
  }
  return out;
}
