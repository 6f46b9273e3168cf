import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, RandomIdGenerator } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { SpanClock, type LeanSpan } from './lean-span.ts';
import { LeanTracerProvider, type LeanSink } from './lean-tracer.ts';
import { SpanHandOff } from './span-handoff.ts';

function tracerInto(sink: LeanSink) {
  return new LeanTracerProvider({
    resource: resourceFromAttributes({}),
    sampler: new AlwaysOnSampler(),
    idGenerator: new RandomIdGenerator(),
    sink,
  }).getTracer('test');
}

const collecting = (ended: LeanSpan[]): LeanSink => ({
  clock: new SpanClock(),
  register: () => 0,
  onEnd: (span) => ended.push(span),
});

describe('the lean span', () => {
  it('ignores attribute values the SDK refuses, keeping the value set before', () => {
    const ended: LeanSpan[] = [];
    const span = tracerInto(collecting(ended)).startSpan('GET /menu', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    span.setAttribute('kept', 'first');
    span.setAttribute('kept', (() => 'x') as unknown as string);
    span.setAttributes({
      fn: (() => 1) as unknown as number,
      sym: Symbol('s') as unknown as string,
      mixed: [1, 'a'] as unknown as number[],
    });
    span.setAttribute('', 'empty key');
    span.addEvent('e', { ok: 1, fn: (() => 1) as unknown as number });
    span.end();
    expect(ended[0]!.attributes).toEqual({ kept: 'first' });
    expect(ended[0]!.events?.[0]?.attributes).toEqual({ ok: 1 });
    // What reaches the export thread must survive the structured clone.
    expect(() => structuredClone({ attributes: ended[0]!.attributes, events: ended[0]!.events })).not.toThrow();
  });

  it('hands batches over without throwing whatever the service set', async () => {
    const problems: string[] = [];
    const handOff = new SpanHandOff({
      url: 'http://127.0.0.1:9/v1/traces',
      exportTimeoutMillis: 200,
      onProblem: (m) => problems.push(m),
    });
    const span = tracerInto(handOff).startSpan('x', {}, ROOT_CONTEXT);
    span.setAttribute('fn', (() => 1) as unknown as number);
    span.end();
    await expect(handOff.forceFlush()).resolves.toBeUndefined();
    expect(problems.filter((p) => p.includes('could not be handed'))).toEqual([]);
    await handOff.shutdown();
  });
});
