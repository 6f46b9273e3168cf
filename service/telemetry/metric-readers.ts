/**
 * The metric readers of the configured exporter: EMF and OTLP export periodically,
 * Prometheus is read on each scrape. Each hands the queued measurements over before it
 * collects (see measurement-queue.ts), reads the request-path histograms through a
 * producer (direct-histograms.ts) and merges them into the SDK's scope, so the exporters
 * see one collection as the SDK alone would have given it.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PeriodicExportingMetricReader, type IMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { TelemetryConfig } from '../config/config.ts';
import { INSTRUMENT_ORDER } from './catalog-metrics.ts';
import { mergeScopes, type DirectHistograms } from './direct-histograms.ts';
import { EmfExporter } from './emf.ts';
import type { MeasurementQueue } from './measurement-queue.ts';
import type { Logger, Telemetry } from './types.ts';

export interface MetricReaders {
  readers: IMetricReader[];
  /** The Prometheus text exposition, when that exporter is on. */
  prometheus?: Telemetry['prometheus'];
}

/** The readers for `config.metrics` (none for `none`); the exporters are imported only when chosen. */
export async function startMetricReaders(
  config: TelemetryConfig,
  queue: MeasurementQueue,
  histograms: DirectHistograms,
  logger: Logger,
  emfWrite: ((line: string) => void) | undefined,
): Promise<MetricReaders> {
  /** A reader that exports every interval (EMF, OTLP), handing the queue over before each collection. */
  const periodic = (exporter: PushMetricExporter): MetricReaders => ({
    readers: [
      histograms.reader(
        (metricProducers) =>
          new DrainingPeriodicReader(queue, {
            exporter,
            exportIntervalMillis: config.exportIntervalMs,
            metricProducers,
          }),
      ),
    ],
  });
  if (config.metrics === 'emf') return periodic(new EmfExporter({ write: emfWrite ?? emfWriter(config.emfFile) }));
  if (config.metrics === 'otlp') {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
    return periodic(new OTLPMetricExporter());
  }
  if (config.metrics === 'prometheus') {
    const { PrometheusExporter, PrometheusSerializer } = await import('@opentelemetry/exporter-prometheus');
    const exporter = histograms.reader(
      (metricProducers) => new PrometheusExporter({ preventServerStart: true, metricProducers }),
    );
    const serializer = new PrometheusSerializer();
    const prometheus = async () => {
      queue.drain();
      const { resourceMetrics, errors } = mergeScopes(await exporter.collect(), INSTRUMENT_ORDER);
      if (errors.length > 0) logger.warn({ errors: errors.map(String) }, 'metric collection reported errors');
      return serializer.serialize(resourceMetrics);
    };
    return { readers: [exporter], prometheus };
  }
  return { readers: [] };
}

/**
 * A periodic reader that hands the queued measurements over before its collection takes
 * its timestamp, and merges its producers' scopes into the SDK's (`mergeScopes`). The
 * observable callback that drains the queue (catalog-metrics.ts) runs after it, so a
 * series first seen in that batch would start a moment after the end of the interval it
 * is reported in, which strict OTLP backends reject; for other readers (tests' in-memory
 * ones) the callback is what drains.
 */
export class DrainingPeriodicReader extends PeriodicExportingMetricReader {
  readonly #queue: MeasurementQueue;
  constructor(queue: MeasurementQueue, options: ConstructorParameters<typeof PeriodicExportingMetricReader>[0]) {
    super(options);
    this.#queue = queue;
  }
  override collect(
    options?: Parameters<PeriodicExportingMetricReader['collect']>[0],
  ): ReturnType<PeriodicExportingMetricReader['collect']> {
    this.#queue.drain();
    return super.collect(options).then((result) => mergeScopes(result, INSTRUMENT_ORDER));
  }
}

function emfWriter(file: string | undefined): (line: string) => void {
  if (!file) return (line) => process.stdout.write(line);
  mkdirSync(dirname(file), { recursive: true });
  // Appends are small (a few lines per interval); sync keeps lines whole when the process exits.
  return (line) => appendFileSync(file, line);
}
