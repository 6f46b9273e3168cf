/** `coffee dashboards preview --emf FILE [--logs FILE] [--out DIR]`: the dashboards drawn from a captured run. */
import { readFile } from 'node:fs/promises';
import { escapeHtml, UsageError, writeReportPage, type CommandIo } from '../../cli/index.ts';
import { seriesFromEmf } from '../emf-series.ts';
import { dashboardsPreview } from './dashboards-preview.ts';

export interface PreviewCommandOptions {
  emf: string;
  logs?: string;
  /** Default `out/dashboards-preview`. */
  out?: string;
}

async function readLines(file: string, flag: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n');
  } catch (error) {
    throw new UsageError(
      `${flag} ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

/** Draws the dashboards into DIR/report.html; exit 0, or a `UsageError` (exit 2) on an unreadable or empty EMF file. */
export async function previewCommand(
  { emf, logs, out = 'out/dashboards-preview' }: PreviewCommandOptions,
  io: CommandIo,
): Promise<number> {
  const started = performance.now();
  const series = seriesFromEmf(await readLines(emf, '--emf'));
  if (series.length === 0)
    throw new UsageError(`--emf ${emf}: no EMF document in the file (is it the service's EMF output?)`);
  const logLines = logs === undefined ? undefined : await readLines(logs, '--logs');
  const preview = dashboardsPreview({ series, ...(logLines ? { logLines } : {}) });
  const file = await writeReportPage(out, {
    title: 'Coffee Cloud dashboards, drawn from a run',
    headline: `<h1>Coffee Cloud dashboards, drawn from a run</h1><p class="meta">EMF ${escapeHtml(emf)}${logs ? `, logs ${escapeHtml(logs)}` : ''}</p>`,
    sections: preview.sections,
  });
  for (const d of preview.dashboards)
    io.out(
      `${d.name}: ${d.widgets} widgets, ${d.outcomes.drawn} drawn, ${d.outcomes['no-data']} without data, ${d.outcomes['aws-only']} in AWS only, ${d.outcomes['cloudwatch-only']} in CloudWatch only`,
    );
  io.out(`wrote ${file} (${series.length} series, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return 0;
}
