import { describe, expect, it } from 'vitest';
import { requestsSection } from './requests-section.ts';
import { runLogsQuery, traceLink, xrayTraceId } from './trace-links.ts';
import type { Exemplar } from './types.ts';

const TRACE = '5759e988bd862e3fe1be46a994272793';

describe('links to the user\u2019s trace backend (deployed target)', () => {
  it('derives the X-Ray id from the W3C id and fills either placeholder', () => {
    expect(xrayTraceId(TRACE)).toBe('1-5759e988-bd862e3fe1be46a994272793');
    expect(traceLink('http://localhost:16686/trace/{traceId}', TRACE)).toBe(`http://localhost:16686/trace/${TRACE}`);
    expect(traceLink('https://x/#xray:traces/{xrayTraceId}', TRACE)).toBe(
      'https://x/#xray:traces/1-5759e988-bd862e3fe1be46a994272793',
    );
    expect(() => traceLink('https://x/trace', TRACE)).toThrow(/\{traceId\}/);
  });

  it('lists the exemplars with their links and a Logs Insights query for the run', () => {
    const exemplar: Exemplar = {
      traceId: TRACE,
      spanId: '1'.repeat(16),
      routeGroup: 'order-write',
      route: 'POST /orders',
      method: 'POST',
      path: '/orders',
      status: 503,
      latencyMs: 812,
      intendedAt: 1_000,
      sentAt: 1_000,
      answeredAt: 1_812,
      second: 1,
      reason: 'failed',
    };
    const section = requestsSection({
      runId: 'run-7',
      origin: 0,
      exemplars: {
        bounds: { slowestPerGroupPerSecond: 3, failuresPerRun: 500 },
        droppedFailures: 0,
        items: [exemplar],
      },
      traceUrl: 'http://jaeger:16686/trace/{traceId}',
    });
    expect(section?.html).toContain(`href="http://jaeger:16686/trace/${TRACE}"`);
    expect(section?.html).toContain('load_run_id = &quot;run-7&quot;');
    expect(runLogsQuery('run-7')).toMatch(/^filter load_run_id = "run-7" \| fields .*trace_id/);
  });
});
