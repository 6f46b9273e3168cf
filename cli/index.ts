// The helpers every folder's commands share. `main.ts` (the `coffee` program) is not part of
// this face: it imports every folder's `cli.ts`, and they import this.
export { ExitCodes } from './run.ts';
export { UsageError, parseIntOption } from './usage-error.ts';
export { stdio, reportProblems } from './command-io.ts';
export type { CommandIo } from './command-io.ts';
export { explainAwsError, awsCall } from './aws-errors.ts';
export { jsonDifferences } from './json-diff.ts';
export { addMonitoringOptions, monitoringOptions, cloudWatchClientFactory } from './monitoring-options.ts';
export type { MonitoringFlags, MonitoringTarget } from './monitoring-options.ts';
export { writeReportPage, renderReportPage, escapeHtml, badge, BadgeTones, REPORT_FILE_NAME } from './report-page.ts';
export type {
  ReportPage,
  ReportSection,
  ReportChart,
  ChartSeries,
  ChartBand,
  ChartLine,
  BadgeTone,
} from './report-page.ts';
