/**
 * The report's alarm sections: which history stood in front of the run, what each fault
 * window did to the alarms and would have done had it gone on (detection and reset times
 * per alarm, as the SRE workbook tabulates them), the experiment's expectations against
 * that prediction, and the state changes of every alarm during the run.
 */
import { badge as toneBadge, BadgeTones, escapeHtml, type ReportSection } from '../cli/index.ts';
import { formatDuration } from '../alarms/index.ts';
import type { WindowAlarmPrediction } from './alarm-timeline.ts';
import { expectationRows } from './invariants-alarms.ts';
import type { Journal } from './journal.ts';

const time = (epochMs: number, origin: number) => `${((epochMs - origin) / 1000).toFixed(1)} s`;
const maybe = (ms: number | undefined, none: string) => (ms === undefined ? none : formatDuration(ms));

function predictionTable(p: WindowAlarmPrediction): string {
  const notifying = p.alarms.filter((a) => a.severity);
  const rows = notifying
    .sort((a, b) => (a.sustainedMs ?? Infinity) - (b.sustainedMs ?? Infinity))
    .map((a) =>
      a.alreadyInAlarm
        ? `<tr><td>${escapeHtml(a.name)}</td><td>${escapeHtml(a.severity ?? '')}</td><td colspan="3">already in ALARM before the fault: the steady state breaches it</td></tr>`
        : `<tr><td>${escapeHtml(a.name)}</td><td>${escapeHtml(a.severity ?? '')}</td><td>${a.inRunMs !== undefined ? toneBadge(`after ${formatDuration(a.inRunMs)}`, BadgeTones.Bad) : 'no'}</td><td>${escapeHtml(maybe(a.sustainedMs, `not within ${formatDuration(p.horizonMs)}`))}</td><td>${escapeHtml(a.sustainedMs === undefined ? '' : maybe(a.resetMs, `not within ${formatDuration(p.horizonMs)}`))}</td></tr>`,
    );
  return `<h3>${escapeHtml(p.label)} (${formatDuration(p.end - p.start)}): ${escapeHtml(p.severity)}</h3><p><strong>${escapeHtml(p.line)}</strong></p><table><tr><th>alarm</th><th>severity</th><th>fired in this window</th><th>detection time if sustained</th><th>reset time</th></tr>${rows.join('')}</table>`;
}

/** Detection times per fault window, and the expectations against them. */
export function alarmPredictionSection(journal: Journal): ReportSection | undefined {
  const { history, predictions } = journal.alarms;
  if (journal.alarms.status !== 'evaluated' || !history) return undefined;
  const cold =
    history.kind === 'none'
      ? `<p>${toneBadge('cold start', BadgeTones.Bad)} Without a history every alarm window holds only the run: a blip looks like a day-long outage. Do not read this as production's answer.</p>`
      : '';
  const expectations = journal.experiment.definition.alarmExpectations ?? [];
  const rows = expectationRows(expectations, predictions ?? []);
  const expectationTable = rows.length
    ? `<h3>Expected against predicted</h3><table><tr><th>fault window</th><th>severity</th><th>expected</th><th>predicted</th><th></th><th>why</th></tr>${rows
        .map(
          (r) =>
            `<tr><td>${escapeHtml(r.window)}</td><td>${r.severity}</td><td>${escapeHtml(r.expected)}</td><td>${escapeHtml(r.predicted)}</td><td>${toneBadge(r.holds ? 'as expected' : 'not as expected', r.holds ? BadgeTones.Ok : BadgeTones.Bad)}</td><td>${escapeHtml(r.reason)}</td></tr>`,
        )
        .join('')}</table>`
    : '';
  const reset = (predictions ?? []).length
    ? "<p>Detection time: how long the fault must last at the severity observed in its window before the alarm fires (the window's rates extended, evaluated once a minute). Reset time: how long the alarm stays in ALARM after such a fault ends (the fault lasting until the last alarm fired, then the steady state again).</p>"
    : '<p>No fault window was applied.</p>';
  return {
    title: 'Alarm predictions',
    html: `<p>History: ${escapeHtml(history.label)}.</p>${cold}${reset}${(predictions ?? []).map(predictionTable).join('')}${expectationTable}`,
  };
}

export function alarmsSection(journal: Journal): ReportSection {
  const origin = journal.load.from;
  const alarmRow = (a: Journal['alarms']['alarms'][number]) =>
    `<tr><td>${escapeHtml(a.name)}</td><td>${escapeHtml(a.severity ?? '')}</td><td>${a.firedAt !== undefined ? toneBadge(`fired at ${time(a.firedAt, origin)}`, BadgeTones.Bad) : 'did not fire'}</td><td>${escapeHtml(a.transitions.map((t) => `${time(t.at, origin)} ${t.state}`).join(' → '))}</td></tr>`;
  const alarmHead =
    '<tr><th>alarm</th><th>severity</th><th>fired</th><th>state changes (time from load start)</th></tr>';
  const firedAlarms = journal.alarms.alarms
    .filter((a) => a.firedAt !== undefined)
    .sort((a, b) => (a.firedAt as number) - (b.firedAt as number));
  const quietAlarms = journal.alarms.alarms.filter((a) => a.firedAt === undefined);
  return {
    title: 'Alarm timeline',
    html: `<p>${escapeHtml(journal.alarms.note)}</p>${firedAlarms.length ? `<table>${alarmHead}${firedAlarms.map(alarmRow).join('')}</table>` : '<p>No alarm would have fired.</p>'}${
      quietAlarms.length
        ? `<details><summary>${quietAlarms.length} alarms that did not fire</summary><table>${alarmHead}${quietAlarms.map(alarmRow).join('')}</table></details>`
        : ''
    }${journal.alarms.withoutData.length ? `<details><summary>${journal.alarms.withoutData.length} alarms without data here</summary><p>${journal.alarms.withoutData.map(escapeHtml).join(', ')}</p></details>` : ''}`,
  };
}
