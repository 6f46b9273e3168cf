/**
 * `coffee load`'s side of the capture: the embedded stack's telemetry options that point
 * the service at the capture (spans, traced log lines, EMF for the server's own view), and
 * the report with the capture's sections after the run's charts, written over the plain one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeReportPage, type ReportSection } from '../../cli/index.ts';
import type { LocalStackOptions } from '../../service/index.ts';
import { loadReportPage } from '../report/load-report.ts';
import type { LoadResult } from '../shared/result.ts';
import { requestsSection } from './requests-section.ts';
import { writeCaptureFile, type CaptureResult, type RunCapture } from './run-capture.ts';
import { serverSideSection } from './server-side.ts';
import type { ExemplarSet } from './types.ts';

/** The service's EMF file in a run's output directory. */
export const SERVICE_EMF_FILE_NAME = 'service-metrics.emf.jsonl';

/** The embedded stack's telemetry when the capture is on. */
export function capturedStackTelemetry(capture: RunCapture, out: string): NonNullable<LocalStackOptions['telemetry']> {
  return {
    tracerProvider: capture.tracerProvider(),
    logLevel: 'info',
    logDestination: capture.logDestination(),
    metrics: 'emf',
    emfFile: path.join(out, SERVICE_EMF_FILE_NAME),
    exportIntervalMs: 1_000,
  };
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
export async function captureSections({
  result,
  capture,
  emfFile,
  traceUrl,
  origin = Date.parse(result.startedAt),
}: {
  result: LoadResult;
  capture?: CaptureResult;
  emfFile?: string;
  traceUrl?: string;
  origin?: number;
}): Promise<ReportSection[]> {
  const exemplars = (result as LoadResult & { exemplars?: ExemplarSet }).exemplars;
  const requests = requestsSection({
    runId: result.runId,
    origin,
    ...(capture ? { capture } : {}),
    ...(exemplars ? { exemplars } : {}),
    ...(traceUrl ? { traceUrl } : {}),
  });
  const server = emfFile ? serverSideSection(await readEmfLines(emfFile), result, origin) : undefined;
  return [...(requests ? [requests] : []), ...(server ? [server] : [])];
}

/**
 * Writes `traces.json` (with a capture) and `report.html` with the capture's sections after the
 * load report's charts; returns the report's path.
 */
export async function writeCapturedLoadReport(
  result: LoadResult,
  { out, capture, traceUrl }: { out: string; capture?: CaptureResult; traceUrl?: string },
): Promise<string> {
  if (capture) await writeCaptureFile(out, capture);
  const page = loadReportPage(result, result.faultWindows ? { faultWindows: result.faultWindows } : {});
  const extra = await captureSections({
    result,
    ...(capture ? { capture, emfFile: path.join(out, SERVICE_EMF_FILE_NAME) } : {}),
    ...(traceUrl ? { traceUrl } : {}),
  });
  const at = page.sections.findIndex((s) => (s.charts ?? []).length > 0) + 1 || page.sections.length;
  return writeReportPage(out, {
    ...page,
    sections: [...page.sections.slice(0, at), ...extra, ...page.sections.slice(at)],
  });
}
