/**
 * The Node engine's trace ids: the shared generator (../shared/trace-context.ts), seeded
 * from the system's random source per engine thread, with Node's native hex encoding
 * (one call per request, a fresh flat string that holds no larger buffer alive).
 */
import { TraceIdGenerator, type WordsToHex } from '../shared/trace-context.ts';

/** Hex of the words by `Buffer#toString`, with one Buffer view per draw array. */
export function nativeHex(): WordsToHex {
  let words: Uint32Array | undefined;
  let bytes: Buffer | undefined;
  return (draw) => {
    if (draw !== words) {
      words = draw;
      bytes = Buffer.from(draw.buffer, draw.byteOffset, draw.byteLength);
    }
    return (bytes as Buffer).toString('hex');
  };
}

export function createTraceIds(): TraceIdGenerator {
  return new TraceIdGenerator(crypto.getRandomValues(new Uint32Array(4)), nativeHex());
}
