/**
 * `coffee load`'s side of the capture: the embedded stack's telemetry options that point
 * the service at the capture (spans, traced log lines, EMF for the server's own view), and
 * the report with the capture's sections after the run's charts, written over the plain one.
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { dashboardsPreview, seriesFromEmf } from '../../alarms/index.ts';
import { writeReportPage, type ReportSection } from '../../cli/index.ts';
import type { LocalStackOptions } from '../../service/index.ts';
import { loadReportPage } from '../report/load-report.ts';
import { serviceEmfFileName, serviceLogFileName } from '../shared/outputs.ts';
import type { LoadResult } from '../shared/result.ts';
import { requestsSection } from './requests-section.ts';
import { writeCaptureFile, type CaptureResult, type RunCapture } from './run-capture.ts';
import { serverSideSection } from './server-side.ts';

/**
 * The embedded stack's telemetry when the capture is on: spans to the capture, log lines to
 * the capture and to `service.log` (the dashboards' Logs Insights widgets read them), EMF to
 * its file. `close()` after the stack has stopped, so the log file is complete.
 */
export function capturedStackTelemetry(
  capture: RunCapture,
  out: string,
): { telemetry: NonNullable<LocalStackOptions['telemetry']>; close(): Promise<void> } {
  const logs = capturedLogDestination(capture, path.join(out, serviceLogFileName));
  return {
    telemetry: {
      tracerProvider: capture.tracerProvider(),
      logLevel: 'info',
      logDestination: logs.destination,
      metrics: 'emf',
      emfFile: path.join(out, serviceEmfFileName),
      exportIntervalMs: 1_000,
    },
    close: logs.close,
  };
}

/**
 * An in-process service's log destination when the capture is on: each line to the capture
 * (traced lines are matched to their traces) and to `file`. `close()` once the service has
 * stopped, so the file is complete.
 */
export function capturedLogDestination(
  capture: RunCapture,
  file: string,
): { destination: { write(line: string): void }; close(): Promise<void> } {
  const captured = capture.logDestination();
  const stream = createWriteStream(file);
  return {
    destination: {
      write(line: string) {
        captured.write(line);
        stream.write(line);
      },
    },
    close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}

/** The CloudWatch dashboards drawn from the service's EMF lines and its log lines in `out` (none without EMF). */
async function dashboardsSections(
  result: LoadResult,
  out: string,
  emfLines: readonly string[],
): Promise<ReportSection[]> {
  const read = (file: string) =>
    readFile(path.join(out, file), 'utf8').then(
      (text) => text.split('\n'),
      () => undefined,
    );
  const series = seriesFromEmf(emfLines);
  if (series.length === 0) return [];
  const startMs = Date.parse(result.startedAt);
  const logLines = await read(serviceLogFileName);
  return dashboardsPreview({
    series,
    // To the service's last EMF document: the one written as it stopped holds the run's last second.
    span: { startMs },
    ...(logLines ? { logLines } : {}),
    bands: (result.faultWindows ?? []).map((w) => ({
      kind: 'fault',
      label: w.label,
      start: (w.startMs - startMs) / 1000,
      end: (w.endMs - startMs) / 1000,
    })),
  }).sections;
}

/** The EMF lines of a file; none when it does not exist. */
export async function readEmfLines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The capture's sections: the slowest and failed requests, and the server's own view. */
export function captureSections({
  result,
  capture,
  emfLines,
  traceUrl,
  origin = Date.parse(result.startedAt),
}: {
  result: LoadResult;
  capture?: CaptureResult;
  emfLines?: readonly string[];
  traceUrl?: string;
  origin?: number;
}): ReportSection[] {
  const { exemplars } = result;
  const requests = requestsSection({
    runId: result.runId,
    origin,
    ...(capture ? { capture } : {}),
    ...(exemplars ? { exemplars } : {}),
    ...(traceUrl ? { traceUrl } : {}),
  });
  const server = emfLines ? serverSideSection(emfLines, result, origin) : undefined;
  return [...(requests ? [requests] : []), ...(server ? [server] : [])];
}

/**
 * Writes `traces.json` (with a capture) and `report.html` with the capture's sections after the
 * load report's charts and the dashboards drawn from the run at the end; returns the report's path.
 */
export async function writeCapturedLoadReport(
  result: LoadResult,
  { out, capture, traceUrl }: { out: string; capture?: CaptureResult; traceUrl?: string },
): Promise<string> {
  if (capture) await writeCaptureFile(out, capture);
  // The capture's section with the traces (or links) takes the place of the exemplars' plain table.
  const page = loadReportPage(result, {
    ...(result.faultWindows ? { faultWindows: result.faultWindows } : {}),
    exemplars: false,
  });
  // Read once: the server's view and the dashboards both draw from the service's EMF.
  const emfLines = capture ? await readEmfLines(path.join(out, serviceEmfFileName)) : undefined;
  const extra = captureSections({
    result,
    ...(capture ? { capture } : {}),
    ...(emfLines ? { emfLines } : {}),
    ...(traceUrl ? { traceUrl } : {}),
  });
  const at = page.sections.findIndex((s) => (s.charts ?? []).length > 0) + 1 || page.sections.length;
  const dashboards = emfLines ? await dashboardsSections(result, out, emfLines) : [];
  return writeReportPage(out, {
    ...page,
    sections: [...page.sections.slice(0, at), ...extra, ...page.sections.slice(at), ...dashboards],
  });
}
