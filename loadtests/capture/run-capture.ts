/**
 * The capture of one run, when the toolkit starts the stack itself: the OTLP receiver, what
 * points the service at it (a tracer provider for a service in this process, `OTEL_*`
 * variables for a child process), a sink for the service's log lines, and at the end the
 * kept traces with their log lines, written as `traces.json` beside the run's other files.
 *
 * Sampling is parent-based with unsampled roots: only requests whose client sent a sampled
 * `traceparent` are traced, so the load's requests are and the toolkit's own probes are not.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TracerProvider } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { DEFAULT_SERVICE_NAME } from '../../service/catalog/index.ts';
import { OtlpPaths, startOtlpReceiver, type OtlpReceiver, type OtlpReceiverOptions } from './receiver.ts';
import { parseServiceLogLine, readServiceLogFile } from './service-logs.ts';
import type { CaptureCounts, CapturedTrace, Exemplar, ExemplarSet } from './types.ts';

/** The run's capture file in its output directory. */
export const TRACES_FILE_NAME = 'traces.json';

/** What a run captured: the kept traces (each with its log lines and the client's view) and the counts. */
export interface CaptureResult {
  /** How long an unmarked trace was held before it was dropped. */
  holdMs: number;
  counts: CaptureCounts;
  traces: CapturedTrace[];
}

/** How the service exports when the capture is on: spans often, so few wait at the run's end. */
const BATCH_DELAY_MS = 500;

export class RunCapture {
  #provider: BasicTracerProvider | undefined;
  #finished: CaptureResult | undefined;

  private constructor(
    private readonly receiver: OtlpReceiver,
    private readonly holdMs: number,
  ) {}

  /** Starts the receiver on 127.0.0.1, port 0 unless told. */
  static async start(options: OtlpReceiverOptions = {}): Promise<RunCapture> {
    const holdMs = options.holdMs ?? 10_000;
    return new RunCapture(await startOtlpReceiver({ ...options, holdMs }), holdMs);
  }

  get url(): string {
    return this.receiver.url;
  }

  /** The environment of a service started as a child process (`coffee serve`). */
  serviceEnv(): Record<string, string> {
    return {
      OTEL_EXPORTER_OTLP_ENDPOINT: this.receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_always_off',
      OTEL_BSP_SCHEDULE_DELAY: String(BATCH_DELAY_MS),
      // The access line (level info) carries the trace id the capture matches logs by.
      COFFEE_LOG_LEVEL: 'info',
    };
  }

  /** A tracer provider for a service in this process (`startLocalStack`'s `telemetry.tracerProvider`). */
  tracerProvider(serviceName = DEFAULT_SERVICE_NAME): TracerProvider {
    this.#provider ??= new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': serviceName }),
      sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: `${this.receiver.url}${OtlpPaths.Traces}` }), {
          scheduledDelayMillis: BATCH_DELAY_MS,
          maxQueueSize: 8_192,
        }),
      ],
    });
    return this.#provider;
  }

  /** A log destination for a service in this process (`telemetry.logDestination`): traced lines go to the store. */
  logDestination(): { write(line: string): void } {
    return {
      write: (line: string) => {
        const log = parseServiceLogLine(line);
        if (log) this.receiver.store.addLogs([log]);
      },
    };
  }

  /** Marks a trace to keep (the engine's `onExemplar`). */
  readonly keep = (exemplar: Exemplar): void => {
    this.receiver.store.keep(exemplar.traceId, exemplar);
  };

  /**
   * Ends the capture: flushes the in-process provider, marks the result's exemplars (the live
   * marks came first), adds the traced lines of a child's log file, stops the receiver.
   */
  async finish({ exemplars, logFile }: { exemplars?: ExemplarSet; logFile?: string } = {}): Promise<CaptureResult> {
    if (this.#finished) return this.#finished;
    await this.#provider?.forceFlush().catch(() => {});
    await this.#provider?.shutdown().catch(() => {});
    const store = this.receiver.store;
    for (const exemplar of exemplars?.items ?? []) store.keep(exemplar.traceId, exemplar);
    if (logFile)
      await readServiceLogFile(logFile, (logs) => store.addLogs(logs.filter((l) => store.isKept(l.traceId))));
    await this.receiver.close();
    const traces = store.finish();
    this.#finished = { holdMs: this.holdMs, counts: { ...store.counts, tracesKept: traces.length }, traces };
    return this.#finished;
  }
}

/** Writes `out/traces.json` and returns its path. */
export async function writeCaptureFile(out: string, capture: CaptureResult): Promise<string> {
  const file = path.join(out, TRACES_FILE_NAME);
  await writeFile(file, `${JSON.stringify(capture)}\n`);
  return file;
}
