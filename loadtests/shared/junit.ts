/**
 * JUnit XML for CI: one test case per threshold (and per baseline finding when a baseline
 * was compared), so a CI job shows which objective failed. Pure, so k6's `handleSummary`
 * writes the same file as the Node engine.
 */
import type { LoadResult } from './result.ts';

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );
}

function formatObserved(value: number | null): string {
  return value === null ? 'nothing measured' : String(Math.round(value * 1000) / 1000);
}

export function toJunitXml(result: LoadResult): string {
  const cases: string[] = [];
  let failures = 0;
  const className = `coffee.load.${result.profile}`;
  for (const t of result.thresholds) {
    const name = `${t.id}: ${t.expression}`;
    const open = `    <testcase classname="${escapeXml(className)}" name="${escapeXml(name)}" time="0">`;
    const props = `      <system-out>${escapeXml(`${t.description}; observed ${formatObserved(t.observed)}; k6: ${t.k6.metric} ${t.k6.expression}`)}</system-out>`;
    if (t.pass) {
      cases.push(`${open}\n${props}\n    </testcase>`);
    } else {
      failures++;
      const message = `observed ${formatObserved(t.observed)}, limit ${t.limit}`;
      cases.push(
        `${open}\n      <failure message="${escapeXml(message)}" type="threshold">${escapeXml(`${t.description}: ${message}`)}</failure>\n${props}\n    </testcase>`,
      );
    }
  }
  for (const f of result.baseline?.findings ?? []) {
    const name = `baseline ${f.scope} ${f.metric}`;
    const detail = `baseline ${f.baseline.toFixed(3)}, now ${f.current.toFixed(3)} (${(f.change * 100).toFixed(1)}%)`;
    const open = `    <testcase classname="${escapeXml(`${className}.baseline`)}" name="${escapeXml(name)}" time="0">`;
    if (f.regression) {
      failures++;
      cases.push(
        `${open}\n      <failure message="${escapeXml(`regression: ${detail}`)}" type="baseline">${escapeXml(detail)}</failure>\n    </testcase>`,
      );
    } else {
      cases.push(`${open}\n      <system-out>${escapeXml(detail)}</system-out>\n    </testcase>`);
    }
  }
  const seconds = (result.durationMs / 1000).toFixed(3);
  const suiteName = `coffee load ${result.profile} (${result.engine}, run ${result.runId})`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="coffee load" tests="${cases.length}" failures="${failures}" errors="0" time="${seconds}">`,
    `  <testsuite name="${escapeXml(suiteName)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds}" timestamp="${escapeXml(result.startedAt)}">`,
    '    <properties>',
    `      <property name="runId" value="${escapeXml(result.runId)}"/>`,
    `      <property name="target" value="${escapeXml(result.target)}"/>`,
    `      <property name="seed" value="${result.seed}"/>`,
    `      <property name="verdict" value="${result.verdict}"/>`,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
