import { describe, expect, it } from 'vitest';
import { TraceIdGenerator, wordsToHex } from '../shared/trace-context.ts';
import { createTraceIds, nativeHex } from './trace-ids.ts';

describe("the Node engine's trace ids", () => {
  it("are the shared generator's ids: the native hex encoding agrees with the pure one (k6's)", () => {
    const seed = [0xdeadbeef, 1, 0x80000000, 42];
    const pure = new TraceIdGenerator(seed, { hex: wordsToHex });
    const native = new TraceIdGenerator(seed, { hex: nativeHex(), batch: 64 });
    for (let i = 0; i < 1_000; i++) expect(native.next()).toBe(pure.next());
    expect(wordsToHex(new Uint32Array([0x0a0b0c0d]))).toBe('0d0c0b0a');
  });

  it('differ between engine threads (each seeded from the system)', () => {
    expect(createTraceIds().next()).toMatch(/^[0-9a-f]{48}$/);
    expect(createTraceIds().next()).not.toBe(createTraceIds().next());
  });
});
