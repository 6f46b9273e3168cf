/**
 * The readers of the configured exporter, all reading the service's own aggregation
 * (direct-metrics.ts): EMF and OTLP are pushed every interval and on every flush
 * (`PushingReader`), Prometheus is read on each scrape. None needs the SDK's
 * `MeterProvider`: its readers only collect what a provider registers with them, and
 * nothing of the service's metrics is in the SDK's storages, while the provider's code,
 * run for the first time, was part of what telemetry added to a Lambda cold start.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporality,
  type InstrumentType,
  type MetricProducer,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import type { TelemetryConfig } from '../config/config.ts';
import type { DirectMetrics } from './direct-metrics.ts';
import { EmfExporter } from './emf.ts';
import type { Telemetry } from './types.ts';

/** What a flush or a shutdown of the telemetry waits for. */
export interface MetricExport {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface MetricReaders {
  /** The push exports (EMF, OTLP), started. */
  exports: MetricExport[];
  /** The Prometheus text exposition, when that exporter is on. */
  prometheus?: Telemetry['prometheus'];
}

/**
 * The readers for `config.metrics` (none for `none`); the exporters are imported only when
 * chosen. `onError` is told of a failed export that no flush waited for, and of a
 * collection's errors (a gauge whose read threw; the other metrics still go out).
 */
export async function startMetricReaders(
  config: TelemetryConfig,
  metrics: DirectMetrics,
  onError: (error: unknown) => void,
  emfWrite: ((line: string) => void) | undefined,
): Promise<MetricReaders> {
  const pushed = (exporter: PushMetricExporter): MetricReaders => {
    const reader = metrics.reader(
      ([producer]) =>
        new PushingReader({ exporter, producer: producer!, intervalMs: config.exportIntervalMs, onError }),
    );
    reader.start();
    return { exports: [reader] };
  };
  if (config.metrics === 'emf') return pushed(new EmfExporter({ write: emfWrite ?? emfWriter(config.emfFile) }));
  if (config.metrics === 'otlp') {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
    return pushed(new OTLPMetricExporter());
  }
  if (config.metrics === 'prometheus') {
    const { PrometheusSerializer } = await import('@opentelemetry/exporter-prometheus');
    let producer: MetricProducer | undefined;
    // Each scrape reads the totals: the reader is the scrape, cumulative.
    metrics.reader(([made]) => {
      producer = made;
      return { selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE };
    });
    const serializer = new PrometheusSerializer();
    const prometheus = async () => {
      const { resourceMetrics, errors } = await producer!.collect();
      if (errors.length > 0) onError(new AggregateError(errors, 'metric collection reported errors'));
      return serializer.serialize(resourceMetrics);
    };
    return { exports: [], prometheus };
  }
  return { exports: [] };
}

export interface PushingReaderOptions {
  exporter: PushMetricExporter;
  /** What is collected and pushed (the direct metrics' producer for this reader). */
  producer: MetricProducer;
  /** How often the timer pushes, in ms. */
  intervalMs: number;
  /**
   * Told of a failed push that no `forceFlush` waited for (a timer's), and of a collection's
   * errors (a gauge whose read threw), whose other metrics are pushed all the same.
   */
  onError: (error: unknown) => void;
}

/** The longest a push may take, as the SDK's reader allows by default (and never longer than the interval). */
const PUSH_TIMEOUT_MS = 30_000;

/**
 * Collects and pushes to an exporter every interval, and on `forceFlush` (every Lambda
 * invocation, before it returns) and `shutdown`, as the SDK's `PeriodicExportingMetricReader`
 * does for a provider's metrics: pushes never overlap (a timer's push is skipped while one
 * is under way, a flush waits for it and then pushes what came since), a push that takes
 * longer than the timeout fails, an empty collection is not pushed, and the exporter's own
 * flush follows a forced push. After `shutdown` nothing is collected or pushed.
 */
export class PushingReader implements MetricExport {
  readonly #exporter: PushMetricExporter;
  readonly #producer: MetricProducer;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #shutdown: Promise<void> | undefined;

  constructor({ exporter, producer, intervalMs, onError }: PushingReaderOptions) {
    this.#exporter = exporter;
    this.#producer = producer;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = Math.min(intervalMs, PUSH_TIMEOUT_MS);
    this.#onError = onError;
  }

  /** The exporter's temporality (cumulative when it names none, as the SDK's reader defaults). */
  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return this.#exporter.selectAggregationTemporality?.(type) ?? AggregationTemporality.CUMULATIVE;
  }

  /** Starts the timer; it never keeps the process alive. */
  start(): void {
    if (this.#shutdown) return;
    this.#timer ??= setInterval(() => {
      if (!this.#running) this.#push().catch(this.#onError);
    }, this.#intervalMs).unref();
  }

  /**
   * Pushes what was recorded since the last push, then flushes the exporter; rejects when
   * the push failed. After `shutdown`, which pushed everything, it does nothing.
   */
  async forceFlush(): Promise<void> {
    if (this.#shutdown) return;
    try {
      await this.#push();
    } finally {
      await this.#exporter.forceFlush();
    }
  }

  /** Stops the timer, pushes what is left and shuts the exporter down (once; every call waits for it). */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      clearInterval(this.#timer);
      try {
        await this.#push();
      } finally {
        await this.#exporter.shutdown();
      }
    })();
    return this.#shutdown;
  }

  /** One push after any under way: the pushes are a chain, never two at once. */
  #push(): Promise<void> {
    const previous = this.#running;
    const run = (async () => {
      if (previous) await previous.catch(() => undefined);
      await this.#pushOnce();
    })();
    this.#running = run;
    const clear = () => {
      if (this.#running === run) this.#running = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  async #pushOnce(): Promise<void> {
    const { resourceMetrics, errors } = await this.#producer.collect();
    if (errors.length > 0) this.#onError(new AggregateError(errors, 'metric collection reported errors'));
    if (resourceMetrics.scopeMetrics.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      new Promise<ExportResult>((resolve) => this.#exporter.export(resourceMetrics, resolve)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the metric export took longer than ${this.#timeoutMs} ms`)),
          this.#timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    if (result.code !== ExportResultCode.SUCCESS) {
      throw result.error ?? new Error('the metric exporter reported a failed export');
    }
  }
}

function emfWriter(file: string | undefined): (line: string) => void {
  if (!file) return (line) => process.stdout.write(line);
  mkdirSync(dirname(file), { recursive: true });
  // Appends are small (a few lines per interval); sync keeps lines whole when the process exits.
  return (line) => appendFileSync(file, line);
}
