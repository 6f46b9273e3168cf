/**
 * The metric readers of the configured exporter: EMF and OTLP export periodically,
 * Prometheus is read on each scrape. Each hands the queued measurements over before it
 * collects (see measurement-queue.ts).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import type { TelemetryConfig } from '../config/config.ts';
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
  logger: Logger,
  emfWrite: ((line: string) => void) | undefined,
): Promise<MetricReaders> {
  if (config.metrics === 'emf') {
    const write = emfWrite ?? emfWriter(config.emfFile);
    return {
      readers: [
        new DrainingPeriodicReader(queue, {
          exporter: new EmfExporter({ write }),
          exportIntervalMillis: config.exportIntervalMs,
        }),
      ],
    };
  }
  if (config.metrics === 'otlp') {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
    return {
      readers: [
        new DrainingPeriodicReader(queue, {
          exporter: new OTLPMetricExporter(),
          exportIntervalMillis: config.exportIntervalMs,
        }),
      ],
    };
  }
  if (config.metrics === 'prometheus') {
    const { PrometheusExporter, PrometheusSerializer } = await import('@opentelemetry/exporter-prometheus');
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const serializer = new PrometheusSerializer();
    const prometheus = async () => {
      queue.drain();
      const { resourceMetrics, errors } = await exporter.collect();
      if (errors.length > 0) logger.warn({ errors: errors.map(String) }, 'metric collection reported errors');
      return serializer.serialize(resourceMetrics);
    };
    return { readers: [exporter], prometheus };
  }
  return { readers: [] };
}

/**
 * A periodic reader that hands the queued measurements over before its collection takes
 * its timestamp. The observable callback that drains the queue (catalog-metrics.ts) runs
 * after it, so a series first seen in that batch would start a moment after the end of
 * the interval it is reported in, which strict OTLP backends reject; for other readers
 * (tests' in-memory ones) the callback is what drains.
 */
class DrainingPeriodicReader extends PeriodicExportingMetricReader {
  readonly #queue: MeasurementQueue;
  constructor(queue: MeasurementQueue, options: ConstructorParameters<typeof PeriodicExportingMetricReader>[0]) {
    super(options);
    this.#queue = queue;
  }
  override collect(
    options?: Parameters<PeriodicExportingMetricReader['collect']>[0],
  ): ReturnType<PeriodicExportingMetricReader['collect']> {
    this.#queue.drain();
    return super.collect(options);
  }
}

function emfWriter(file: string | undefined): (line: string) => void {
  if (!file) return (line) => process.stdout.write(line);
  mkdirSync(dirname(file), { recursive: true });
  // Appends are small (a few lines per interval); sync keeps lines whole when the process exits.
  return (line) => appendFileSync(file, line);
}
