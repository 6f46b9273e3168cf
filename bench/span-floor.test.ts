import { describe, expect, it } from 'vitest';
import { allowanceMicros, leanSpanCost, spanFloorMicros } from './span-floor.ts';

describe('span floor', () => {
  it('gives telemetry the CPU a throughput ratio leaves: 1/budget - 1 of the untraced CPU per request', () => {
    // 20 µs a request untraced; at >= 0.90 the traced side may take 22.2 µs.
    expect(allowanceMicros(20, 0.9)).toBeCloseTo(20 / 9, 6);
    expect(allowanceMicros(1_000, 0.8)).toBeCloseTo(250, 6);
  });

  it('measures spans that the OTLP serializer really encodes', () => {
    // 2,048 spans are four full batches of 512; the function throws if none was serialised.
    const micros = spanFloorMicros(2_048);
    expect(Number.isFinite(micros)).toBe(true);
    expect(micros).toBeGreaterThan(0);
  });

  it("splits the server span's main-thread cost into its phases, and an unsampled span's", async () => {
    // Enough spans that each loop spans several scheduler ticks: the thread's CPU time in
    // /proc is brought up to date at a tick, and a 2,000-span loop could fall between two (its start measured 0 µs).
    const cost = await leanSpanCost(10_000);
    expect(Object.keys(cost).sort()).toEqual(['attributes', 'context', 'end', 'handOff', 'start', 'unsampled']);
    for (const us of Object.values(cost)) expect(Number.isFinite(us)).toBe(true);
    expect(cost.start).toBeGreaterThan(0);
    expect(cost.unsampled).toBeGreaterThan(0);
  });
});
